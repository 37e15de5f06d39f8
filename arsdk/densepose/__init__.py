"""DensePose-format dense pose: parts, charts, whole-frame IUV, texture atlases, visualizers."""

from .charts import DenseChartOptions, dense_iuv
from .parts import FLIP_MAP, NUM_PARTS, PART_NAMES, PLAUSIBLE_PARTS
from .stage import DENSE_METHODS, DenseIUVStage, DenseOptions

__all__ = ["DenseOptions", "DENSE_METHODS", "DenseIUVStage", "DenseChartOptions", "dense_iuv", "FLIP_MAP", "NUM_PARTS",
           "PART_NAMES", "PLAUSIBLE_PARTS"]  # fmt: skip
