"""Texture atlases in DensePose's layout, and moving colour between images and atlases by IUV.

Layout (DensePose's ``texture_atlas_200.png``): 6N rows x 4N columns of N x N tiles; part p (1..24) sits
in column (p - 1) // 6 and row (p - 1) % 6 (column-major); inside a tile, x = U (N - 1) and
y = (1 - V) (N - 1), so V = 1 is the tile's top row. A fourth channel is alpha; a 3-channel atlas takes
its alpha from non-black pixels, as detectron2 does. arsdk keeps colours in BGR like OpenCV.

* :func:`extract_atlas` writes each person pixel's colour into the atlas (bilinear splatting), into an
  :class:`AtlasAccumulator` whose weighted sums build a track's appearance over many frames.
* :func:`apply_atlas` paints an atlas onto people by their IUV, sampling texels bilinearly (weighted by
  their alpha, so unseen texels never bleed in).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from ..errors import ConfigError, InputError
from ..types import PersonIUV
from .parts import NUM_PARTS

__all__ = ["TextureAtlas", "AtlasAccumulator", "extract_atlas", "apply_atlas", "DEFAULT_TILE_SIZE"]

DEFAULT_TILE_SIZE = 200
"""DensePose's own atlases use 200-pixel tiles (800 x 1200 images)."""


@dataclass(frozen=True, slots=True, weakref_slot=True, eq=False)
class TextureAtlas:
    """A texture atlas as 24 tiles.

    Attributes:
        tiles_bgra: (24, N, N, 4) uint8; ``tiles_bgra[p - 1]`` is part p's tile, row 0 = V 1.
    """

    tiles_bgra: np.ndarray

    def __post_init__(self) -> None:
        t = self.tiles_bgra
        if t.ndim != 4 or t.shape[0] != NUM_PARTS or t.shape[1] != t.shape[2] or t.shape[3] != 4 or t.dtype != np.uint8:
            raise ConfigError(f"tiles_bgra must be (24, N, N, 4) uint8, got {t.shape} {t.dtype}")

    @property
    def tile_size(self) -> int:
        """N, the side of one tile in texels."""
        return int(self.tiles_bgra.shape[1])

    @classmethod
    def from_image(cls, image: np.ndarray) -> TextureAtlas:
        """Parse a 6N x 4N atlas image (BGR or BGRA, uint8).

        Raises:
            ConfigError: the image is not 6N high and 4N wide.
        """
        h, w = image.shape[:2]
        if h % 6 or w % 4 or h // 6 != w // 4 or h == 0:
            raise ConfigError(
                f"a DensePose texture atlas is 6N pixels high and 4N wide (e.g. 1200 x 800); got {h} x {w}"
            )
        n = h // 6
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if image.shape[2] == 3:
            alpha = np.where(image.sum(axis=2) > 0, 255, 0).astype(np.uint8)
            image = np.dstack([image, alpha])
        tiles = image.reshape(6, n, 4, n, 4).transpose(2, 0, 1, 3, 4).reshape(NUM_PARTS, n, n, 4)
        return cls(np.ascontiguousarray(tiles))

    def to_image(self) -> np.ndarray:
        """The (6N, 4N, 4) BGRA atlas image in DensePose's layout."""
        n = self.tile_size
        return np.ascontiguousarray(self.tiles_bgra.reshape(4, 6, n, n, 4).transpose(1, 2, 0, 3, 4).reshape(6 * n, 4 * n, 4))

    @classmethod
    def load(cls, path: str | Path) -> TextureAtlas:
        """Read an atlas image file (PNG with or without alpha, JPEG, ...).

        Raises:
            InputError: the file is missing or not an image; ConfigError: wrong proportions.
        """
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise InputError(f"{path}: cannot read the texture atlas (missing, or not an image)")
        if image.dtype != np.uint8:
            image = (image / 257).astype(np.uint8) if image.dtype == np.uint16 else image.astype(np.uint8)
        return cls.from_image(image)

    def save(self, path: str | Path) -> None:
        """Write the atlas as a BGRA PNG."""
        if not cv2.imwrite(str(path), self.to_image()):
            raise InputError(f"{path}: cannot write the atlas; check the folder exists and is writable")


@dataclass(slots=True)
class AtlasAccumulator:
    """Weighted colour sums per texel, for building an atlas from many pixels and frames.

    Attributes:
        tile_size: N.
        sum_bgr: (24, N, N, 3) float32, weighted colour sums.
        weight: (24, N, N) float32, total weight per texel (0 = never seen).
    """

    tile_size: int = DEFAULT_TILE_SIZE
    sum_bgr: np.ndarray = field(default=None)  # type: ignore[assignment]
    weight: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if not 2 <= self.tile_size <= 2048:
            raise ConfigError(f"tile_size must be in 2..2048, got {self.tile_size}")
        n = self.tile_size
        if self.sum_bgr is None:
            self.sum_bgr = np.zeros((NUM_PARTS, n, n, 3), np.float32)
        if self.weight is None:
            self.weight = np.zeros((NUM_PARTS, n, n), np.float32)

    def decay(self, factor: float) -> None:
        """Scale all sums by ``factor`` in [0, 1] so newer frames count more (an exponential memory)."""
        self.sum_bgr *= factor
        self.weight *= factor

    def coverage(self) -> np.ndarray:
        """(24,) share of each part's texels seen at least once."""
        return (self.weight > 0).reshape(NUM_PARTS, -1).mean(axis=1)

    def to_atlas(self) -> TextureAtlas:
        """The mean colour of every seen texel; unseen texels are transparent."""
        seen = self.weight > 1e-6
        colour = np.zeros(self.sum_bgr.shape, np.float32)
        np.divide(self.sum_bgr, self.weight[..., None], out=colour, where=seen[..., None])
        bgra = np.concatenate([np.clip(colour + 0.5, 0, 255), seen[..., None] * 255.0], axis=-1).astype(np.uint8)
        return TextureAtlas(bgra)


def _texel_coords(iuv: PersonIUV, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For the person's pixels: (row, col) in the box, tile index 0..23, and texel x, y (floats)."""
    ys, xs = np.nonzero(iuv.part_index)
    tile = iuv.part_index[ys, xs].astype(np.int64) - 1
    uv = np.clip(iuv.uv[ys, xs], 0.0, 1.0)
    tx = uv[:, 0] * (n - 1)
    ty = (1.0 - uv[:, 1]) * (n - 1)
    return ys, xs, tile, tx, ty


def _bilinear(tx: np.ndarray, ty: np.ndarray, n: int) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The 4 texel (x, y) neighbours of each point and their bilinear weights."""
    x0 = np.minimum(np.floor(tx).astype(np.int64), n - 2) if n > 1 else np.zeros(tx.shape, np.int64)
    y0 = np.minimum(np.floor(ty).astype(np.int64), n - 2) if n > 1 else np.zeros(ty.shape, np.int64)
    fx, fy = (tx - x0).astype(np.float32), (ty - y0).astype(np.float32)
    xs = [x0, x0 + 1, x0, x0 + 1]
    ys = [y0, y0, y0 + 1, y0 + 1]
    ws = [(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy]
    return xs, ys, ws


def _strided(part_index: np.ndarray, stride: int) -> np.ndarray:
    """``part_index`` with all but every ``stride``-th row and column zeroed."""
    keep = np.zeros(part_index.shape, bool)
    keep[::stride, ::stride] = True
    return np.where(keep, part_index, 0).astype(np.uint8)


def extract_atlas(
    image_bgr: np.ndarray,
    iuv: PersonIUV,
    accumulator: AtlasAccumulator | None = None,
    weight: float = 1.0,
    pixel_stride: int = 1,
) -> AtlasAccumulator:
    """Write a person's pixel colours into an atlas accumulator by their IUV.

    Args:
        image_bgr: (H, W, 3) uint8 frame the IUV belongs to.
        iuv: the person's IUV.
        accumulator: add to this one (building appearance over frames); a new one when None.
        weight: how much this frame counts.
        pixel_stride: use every n-th pixel in each direction (cheaper, for coarse appearance models).

    Returns:
        The accumulator (the same object when one was given).
    """
    acc = accumulator if accumulator is not None else AtlasAccumulator()
    n = acc.tile_size
    if pixel_stride > 1:
        iuv = PersonIUV(iuv.xyxy, _strided(iuv.part_index, pixel_stride), iuv.uv)
    ys, xs, tile, tx, ty = _texel_coords(iuv, n)
    if ys.size == 0:
        return acc
    x0, y0, _, _ = iuv.xyxy
    h, w = image_bgr.shape[:2]
    fy, fx = ys + y0, xs + x0
    inside = (fx >= 0) & (fx < w) & (fy >= 0) & (fy < h)
    colour = image_bgr[fy[inside], fx[inside]].astype(np.float32)
    tile, tx, ty = tile[inside], tx[inside], ty[inside]
    xs4, ys4, ws4 = _bilinear(tx, ty, n)
    index = np.concatenate([(tile * n + ky) * n + kx for kx, ky in zip(xs4, ys4)])
    wk = np.concatenate(ws4) * np.float32(weight)
    colour4 = np.tile(colour, (4, 1))
    flat_weight = acc.weight.reshape(-1)
    flat_sum = acc.sum_bgr.reshape(-1, 3)
    size = flat_weight.size
    if size <= 4 * index.size:  # small atlas: sum straight into it
        flat_weight += np.bincount(index, wk, size).astype(np.float32)
        for c in range(3):
            flat_sum[:, c] += np.bincount(index, wk * colour4[:, c], size).astype(np.float32)
        return acc
    # Large atlas: sum over the texels actually touched (a few thousand), not over the whole atlas.
    touched, compact = np.unique(index, return_inverse=True)
    flat_weight[touched] += np.bincount(compact, wk, touched.size).astype(np.float32)
    for c in range(3):
        flat_sum[touched, c] += np.bincount(compact, wk * colour4[:, c], touched.size).astype(np.float32)
    return acc


def apply_atlas(
    image_bgr: np.ndarray,
    iuvs: Sequence[PersonIUV],
    atlas: TextureAtlas,
    shading: float = 0.0,
) -> np.ndarray:
    """Paint ``atlas`` onto people by their IUV; returns a new image.

    Args:
        image_bgr: (H, W, 3) uint8; not modified.
        iuvs: the people to paint, farthest first (later ones cover earlier ones).
        atlas: the texture.
        shading: 0 pastes the texture as it is; 1 modulates it fully by the frame's luminance relative to
            the person's mean luminance, so folds and shadows stay visible (the texture looks worn).

    Returns:
        (H, W, 3) uint8.
    """
    if not 0.0 <= shading <= 1.0:
        raise ConfigError(f"shading must be in [0, 1], got {shading}")
    out = image_bgr.copy()  # only people's pixels are recomputed
    n = atlas.tile_size
    premultiplied = _premultiplied(atlas)
    h, w = image_bgr.shape[:2]
    luma_image = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY) if shading > 0 else None
    for iuv in iuvs:
        x0, y0, x1, y1 = iuv.xyxy
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        part = iuv.part_index[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
        flat = np.flatnonzero(part)  # only the body's pixels are sampled and blended
        if flat.size == 0:
            continue
        ys, xs = np.divmod(flat, part.shape[1])
        uv = iuv.uv[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0].reshape(-1, 2)[flat]
        tile = part.reshape(-1)[flat].astype(np.int32) - 1
        # Where each pixel samples the atlas image: its tile's origin plus U, (1 - V) in texels; the maps are
        # the body's pixels laid out in rows, so cv2.remap samples exactly those.
        map_x = _as_rows((tile // 6) * n + np.clip(uv[:, 0], 0.0, 1.0) * (n - 1))
        map_y = _as_rows((tile % 6) * n + (1.0 - np.clip(uv[:, 1], 0.0, 1.0)) * (n - 1))
        sampled = cv2.remap(premultiplied, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        sampled = sampled.reshape(-1, 4)[: flat.size]
        alpha = sampled[:, 3:]
        colour = sampled[:, :3] / np.maximum(alpha, 1e-6)
        target = (cy0 + ys) * w + (cx0 + xs)  # indices into the flattened output image
        if luma_image is not None:
            luma = luma_image.reshape(-1)[target].astype(np.float32)
            gain = luma / max(float(luma.mean()), 1.0)
            colour *= (1.0 - shading) + shading * gain[:, None]
        pixels = out.reshape(-1, 3)
        region = pixels[target].astype(np.float32)
        pixels[target] = np.clip(region + (colour - region) * alpha + 0.5, 0, 255).astype(np.uint8)
    return out


def _as_rows(values: np.ndarray, width: int = 512) -> np.ndarray:
    """A 1-D coordinate list as a (rows, ``width``) float32 map for cv2.remap, padded outside the atlas."""
    rows = -(-values.size // width)
    out = np.full(rows * width, -2.0, np.float32)
    out[: values.size] = values
    return out.reshape(rows, width)


_PREMULTIPLIED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _premultiplied(atlas: TextureAtlas) -> np.ndarray:
    """The atlas image as float32 (B*a, G*a, R*a, a), a in [0, 1]: bilinear sampling of it, divided by the
    sampled a, weights texels by their alpha (unseen texels never bleed in). Cached per atlas object."""
    cached = _PREMULTIPLIED.get(atlas)
    if cached is None:
        image = atlas.to_image().astype(np.float32)
        alpha = image[..., 3:] / 255.0
        cached = np.ascontiguousarray(np.concatenate([image[..., :3] * alpha, alpha], axis=-1))
        _PREMULTIPLIED[atlas] = cached
    return cached
