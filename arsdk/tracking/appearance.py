"""Appearance memory per track: a small texture atlas accumulated from the person's IUV.

Dense correspondence makes appearance pose-invariant: the colour of the left thigh's front is compared with
the left thigh's front, whatever the pose and wherever the person stands. Two atlases are compared over
the texels both have seen; where they share too few, the distance is unknown (None), never a guess.
"""

from __future__ import annotations

import math

import numpy as np

from ..densepose.atlas import AtlasAccumulator, extract_atlas
from ..types import Person

__all__ = ["AppearanceModel", "appearance_of", "appearance_distance"]


class AppearanceModel:
    """A track's appearance: an exponentially decaying atlas.

    Args:
        tile_size: texels per tile side (small: appearance, not texture).
        memory: how much the past keeps per update (0.9: the last ~10 updates dominate).
    """

    def __init__(self, tile_size: int = 12, memory: float = 0.9) -> None:
        self.atlas = AtlasAccumulator(tile_size=tile_size)
        self.memory = memory
        self.updates = 0

    def update(self, observation: AtlasAccumulator) -> None:
        """Blend in one frame's atlas."""
        self.atlas.decay(self.memory)
        self.atlas.sum_bgr += observation.sum_bgr
        self.atlas.weight += observation.weight
        self.updates += 1


def appearance_of(image_bgr: np.ndarray, person: Person, tile_size: int = 12, max_pixels: int = 1500) -> AtlasAccumulator | None:
    """One frame's appearance atlas of a person (None without IUV); samples at most ~``max_pixels`` pixels."""
    if person.iuv is None:
        return None
    count = int(np.count_nonzero(person.iuv.part_index))
    if count == 0:
        return None
    stride = max(1, int(math.sqrt(count / max_pixels)))
    return extract_atlas(image_bgr, person.iuv, AtlasAccumulator(tile_size=tile_size), pixel_stride=stride)


def appearance_distance(a: AtlasAccumulator, b: AtlasAccumulator, min_common_texels: int = 12) -> float | None:
    """Mean colour difference (0 = same, 1 = black vs white) over the texels both have seen, or None."""
    common = (a.weight > 1e-3) & (b.weight > 1e-3)
    if int(common.sum()) < min_common_texels:
        return None
    colour_a = a.sum_bgr[common] / a.weight[common][:, None]
    colour_b = b.sum_bgr[common] / b.weight[common][:, None]
    weights = np.minimum(a.weight[common], b.weight[common])
    difference = np.abs(colour_a - colour_b).mean(axis=1) / 255.0
    return float((difference * weights).sum() / max(float(weights.sum()), 1e-9))
