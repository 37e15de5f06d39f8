"""``texture``: paint a DensePose-layout atlas onto chosen or all people, keeping their shading."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..densepose.atlas import TextureAtlas, apply_atlas
from ..densepose.frame_iuv import depth_order
from ..errors import ConfigError
from ..types import Frame, Person

__all__ = ["TextureEffect"]


class TextureEffect:
    """Dress people in a texture atlas.

    Args:
        atlas: the texture (DensePose layout, see ``docs/iuv-conventions.md``).
        track_ids: only these tracks: ids, or a test on the id (None: everyone).
        shading: how much of the frame's own light and shade modulates the texture (0: flat paste,
            1: fully; the default keeps folds and shadows so the texture looks worn, not pasted).
    """

    def __init__(
        self, atlas: TextureAtlas, track_ids: Sequence[int] | Callable[[int], bool] | None = None, shading: float = 0.7
    ) -> None:
        if not 0.0 <= shading <= 1.0:
            raise ConfigError(f"shading must be in [0, 1], got {shading}")
        self.atlas = atlas
        if track_ids is None or callable(track_ids):
            self._wanted = track_ids
        else:
            chosen = set(track_ids)
            self._wanted = chosen.__contains__
        self.shading = shading

    def apply(self, image_bgr: np.ndarray, frame: Frame, persons: Sequence[Person]) -> np.ndarray:
        """People (farthest first, so nearer ones cover them) painted with the atlas."""
        chosen = [persons[i] for i in depth_order(persons) if persons[i].iuv is not None and (
            self._wanted is None or (persons[i].track_id is not None and self._wanted(persons[i].track_id)))]  # fmt: skip
        if not chosen:
            return image_bgr
        return apply_atlas(image_bgr, [p.iuv for p in chosen], self.atlas, self.shading)
