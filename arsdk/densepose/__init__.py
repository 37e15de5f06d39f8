"""DensePose-format dense pose: parts, charts, whole-frame IUV, texture atlases, visualizers."""

from .charts import DenseChartOptions, DenseIUVStage, dense_iuv
from .parts import FLIP_MAP, NUM_PARTS, PART_NAMES, PLAUSIBLE_PARTS

__all__ = ["DenseChartOptions", "DenseIUVStage", "dense_iuv", "FLIP_MAP", "NUM_PARTS", "PART_NAMES", "PLAUSIBLE_PARTS"]
