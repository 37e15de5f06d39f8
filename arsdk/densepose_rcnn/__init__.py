"""DensePose R-CNN for machines with a GPU (issue 7, in progress): the official checkpoints' layouts, a
safe loader and checker, the input preprocessing and the ResNet-FPN backbone (parity with detectron2
verified). The RPN, box head and DensePose head are not implemented yet."""

from .checkpoint import CheckpointReport, check_checkpoint, load_state_dict
from .keys import VARIANTS, Variant, detect_variant, expected_shapes
from .zoo import MODEL_ZOO, ZooModel

__all__ = ["MODEL_ZOO", "ZooModel", "VARIANTS", "Variant", "detect_variant", "expected_shapes", "load_state_dict",
           "check_checkpoint", "CheckpointReport"]  # fmt: skip
