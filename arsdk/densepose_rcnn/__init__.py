"""DensePose R-CNN in plain PyTorch, for machines with a GPU (runs on the CPU too, slowly): the official
detectron2 model-zoo checkpoints (R_50/R_101 FPN s1x, their DeepLab-head "DL" and legacy variants) loaded
safely, the network with detectron2's module names, and the estimator that plugs into the pipeline."""

from .checkpoint import CheckpointReport, check_checkpoint, load_state_dict
from .keys import VARIANTS, Variant, detect_variant, expected_shapes
from .model import DensePoseEstimator, DensePoseOptions, DensePoseRCNN
from .zoo import MODEL_ZOO, ZooModel

__all__ = ["MODEL_ZOO", "ZooModel", "VARIANTS", "Variant", "detect_variant", "expected_shapes", "load_state_dict",
           "check_checkpoint", "CheckpointReport", "DensePoseRCNN", "DensePoseOptions", "DensePoseEstimator"]  # fmt: skip
