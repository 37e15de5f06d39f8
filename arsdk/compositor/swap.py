"""``swap``: exchange whole-body appearance between tracked people, or put a reference person on everyone.

Appearance comes from each track's atlas, accumulated over frames from its IUV. For rendering, texels
never seen are filled, in this order: from the mirror part (DensePose's flip map; arsdk's charts are
mirror images of each other, so U is mirrored), from the other side of the same segment (front <-> back),
from the nearest seen texel of the same tile, and last from the person's mean colour. No holes.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..densepose.atlas import AtlasAccumulator, TextureAtlas, apply_atlas, extract_atlas
from ..densepose.frame_iuv import depth_order
from ..densepose.parts import FLIP_MAP, NUM_PARTS
from ..errors import ConfigError
from ..types import Frame, Person

__all__ = ["AppearanceBank", "fill_atlas", "SwapEffect", "atlas_of_reference"]

# Back <-> front of each segment (parts 1-based). Hands, feet and head sides have no such partner.
_OTHER_SIDE = {1: 2, 2: 1, 7: 9, 9: 7, 8: 10, 10: 8, 11: 13, 13: 11, 12: 14, 14: 12, 15: 17, 17: 15,
               16: 18, 18: 16, 19: 21, 21: 19, 20: 22, 22: 20}  # fmt: skip


def fill_atlas(acc: AtlasAccumulator) -> TextureAtlas | None:
    """A complete atlas from an accumulator (None when nothing was ever seen)."""
    seen = acc.weight > 1e-6
    if not seen.any():
        return None
    colour = np.zeros(acc.sum_bgr.shape, np.float32)
    np.divide(acc.sum_bgr, acc.weight[..., None], out=colour, where=seen[..., None])
    filled = seen.copy()
    original, original_seen = colour.copy(), seen.copy()
    for p in range(1, NUM_PARTS + 1):  # mirror part, U mirrored
        q = int(FLIP_MAP[p])
        take = ~filled[p - 1] & original_seen[q - 1][:, ::-1]
        colour[p - 1][take] = original[q - 1][:, ::-1][take]
        filled[p - 1] |= take
    snapshot, snapshot_filled = colour.copy(), filled.copy()
    for p, q in _OTHER_SIDE.items():  # the other side of the segment
        take = ~filled[p - 1] & snapshot_filled[q - 1]
        colour[p - 1][take] = snapshot[q - 1][take]
        filled[p - 1] |= take
    mean = colour[filled].mean(axis=0)
    tiles = np.empty(colour.shape, np.uint8)
    for p in range(NUM_PARTS):
        tile = np.clip(colour[p] + 0.5, 0, 255).astype(np.uint8)
        holes = ~filled[p]
        if holes.all():
            tile[:] = np.clip(mean + 0.5, 0, 255).astype(np.uint8)
        elif holes.any():
            tile = _nearest_fill(tile, holes)
        tiles[p] = tile
    alpha = np.full(tiles.shape[:3] + (1,), 255, np.uint8)
    return TextureAtlas(np.concatenate([tiles, alpha], axis=-1))


def _nearest_fill(tile: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """Each hole texel takes the colour of the nearest seen texel of the tile."""
    _, labels = cv2.distanceTransformWithLabels(holes.astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    seen = ~holes
    colour_of_label = np.zeros((int(labels.max()) + 1, 3), np.uint8)
    colour_of_label[labels[seen]] = tile[seen]
    out = tile.copy()
    out[holes] = colour_of_label[labels[holes]]
    return out


class AppearanceBank:
    """Per-person texture atlases accumulated over frames, keyed by track id (or list position when
    there is no tracker).

    Args:
        tile_size: texels per tile side.
        memory: how much the past keeps per observation (exponential forgetting; 1 = never forget).
        refresh_every: refill a track's atlas for rendering after this many observations.
        observe_every: observe known tracks on every n-th frame only.
        forget_after: a person not seen for this many frames is forgotten (memory stays bounded however many
            people come and go; about 100 KB per person remembered at the default tile size).
    """

    def __init__(self, tile_size: int = 64, memory: float = 0.95, refresh_every: int = 10, observe_every: int = 2,
                 forget_after: int = 300) -> None:  # fmt: skip
        if not 0.0 < memory <= 1.0:
            raise ConfigError(f"memory must be in (0, 1], got {memory}")
        if refresh_every < 1 or observe_every < 1 or forget_after < 1:
            raise ConfigError(f"refresh_every, observe_every and forget_after must be >= 1, got {refresh_every}, "
                              f"{observe_every}, {forget_after}")  # fmt: skip
        self.observe_every, self.forget_after = observe_every, forget_after
        self._seen: dict[object, int] = {}
        self._calls = 0
        self.tile_size, self.memory, self.refresh_every = tile_size, memory, refresh_every
        self._atlases: dict[object, AtlasAccumulator] = {}
        self._filled: dict[object, TextureAtlas | None] = {}
        self._since_fill: dict[object, int] = {}

    @staticmethod
    def key(person: Person, position: int) -> object:
        """The bank's key of a person: its track id, else its position in the frame's list."""
        return person.track_id if person.track_id is not None else ("position", position)

    def observe(self, image_bgr: np.ndarray, persons: Sequence[Person]) -> None:
        """Add this frame's pixels of every person with IUV (every ``observe_every``-th call for tracks
        already known: appearance changes slowly)."""
        self._calls += 1
        for position, person in enumerate(persons):
            if person.iuv is None:
                continue
            key = self.key(person, position)
            self._seen[key] = self._calls
            acc = self._atlases.get(key)
            if acc is not None and not isinstance(key, tuple) and self._calls % self.observe_every:
                continue
            if acc is None or isinstance(key, tuple):  # without tracking, a position is not an identity
                acc = self._atlases[key] = AtlasAccumulator(tile_size=self.tile_size)
                self._filled.pop(key, None)
            else:
                acc.decay(self.memory)
            extract_atlas(image_bgr, person.iuv, acc)
            self._since_fill[key] = self._since_fill.get(key, 0) + 1
        gone = [key for key, seen in self._seen.items() if self._calls - seen > self.forget_after]
        for key in gone:
            for table in (self._seen, self._atlases, self._filled, self._since_fill):
                table.pop(key, None)

    def __len__(self) -> int:
        """How many people the bank remembers."""
        return len(self._atlases)

    def atlas(self, key: object) -> TextureAtlas | None:
        """The filled atlas of a person, refilled after every ``refresh_every`` observations (filling
        costs more than observing, and appearance changes slowly)."""
        if key not in self._filled or self._since_fill.get(key, 0) >= self.refresh_every:
            acc = self._atlases.get(key)
            self._filled[key] = fill_atlas(acc) if acc is not None else None
            self._since_fill[key] = 0
        return self._filled[key]


def atlas_of_reference(image_bgr: np.ndarray, estimator, tile_size: int = 64) -> TextureAtlas:  # noqa: ANN001
    """The atlas of the largest person in a reference image (run through ``estimator``).

    Raises:
        ConfigError: nobody is found in the image.
    """
    from dataclasses import replace

    from ..estimators import MediaPipePoseEstimator, RunMode

    options = getattr(estimator, "options", None)
    if options is not None and getattr(options, "running_mode", None) is RunMode.VIDEO:
        # The reference is a still, not a frame of the video: give it an estimator of its own.
        with MediaPipePoseEstimator(replace(options, running_mode=RunMode.IMAGE)) as still:
            return atlas_of_reference(image_bgr, still, tile_size)
    persons = [p for p in estimator.infer(Frame(image_bgr, 0, 0.0, "reference")) if p.iuv is not None]
    if not persons:
        raise ConfigError("no person found in the reference image; use a photo showing one whole person")
    largest = max(persons, key=lambda p: p.height_px)
    atlas = fill_atlas(extract_atlas(image_bgr, largest.iuv, AtlasAccumulator(tile_size=tile_size)))
    assert atlas is not None
    return atlas


class SwapEffect:
    """Exchange appearance between people: with two people A looks like B and B like A; with more, each
    takes the next one's look (by track id). With a ``reference`` atlas, everyone wears the reference.

    Args:
        reference: an atlas to put on everyone (see :func:`atlas_of_reference`), or None to swap.
        shading: how much of the frame's own light and shade is kept (see ``TextureEffect``).
        bank: where appearance accumulates (a new one by default).
    """

    def __init__(self, reference: TextureAtlas | None = None, shading: float = 0.7, bank: AppearanceBank | None = None) -> None:
        if not 0.0 <= shading <= 1.0:
            raise ConfigError(f"shading must be in [0, 1], got {shading}")
        self.reference, self.shading = reference, shading
        self.bank = bank or AppearanceBank()

    def apply(self, image_bgr: np.ndarray, frame: Frame, persons: Sequence[Person]) -> np.ndarray:
        """People painted with each other's (or the reference's) appearance, nearer over farther."""
        if self.reference is None:
            self.bank.observe(frame.image_bgr, persons)
        keys = [AppearanceBank.key(p, i) for i, p in enumerate(persons)]
        with_look = sorted((k for k, p in zip(keys, persons) if p.iuv is not None), key=str)
        partner = {k: with_look[(j + 1) % len(with_look)] for j, k in enumerate(with_look)}
        out = image_bgr
        for i in depth_order(persons):
            person = persons[i]
            if person.iuv is None:
                continue
            atlas = self.reference if self.reference is not None else (
                self.bank.atlas(partner[keys[i]]) if len(with_look) > 1 else None)  # fmt: skip
            if atlas is not None:
                out = apply_atlas(out, [person.iuv], atlas, self.shading)
        return out
