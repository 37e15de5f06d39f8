"""A vectorized z-buffer rasterizer for triangle meshes, in NumPy.

For a window of the frame it gives, per pixel, the nearest front-facing triangle and the perspective-
correct barycentric coordinates of the pixel centre in it. Triangles are enumerated over their bounding
boxes all at once (no Python loop over faces), the nearest wins through a per-pixel maximum of inverse
depth (``np.maximum.at``). Measured
faster here than an EGL round trip through pyrender for one person, and exact (no multisampling blends
the triangle ids at edges).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import CameraIntrinsics

__all__ = ["Raster", "rasterize"]


@dataclass(frozen=True, slots=True)
class Raster:
    """What a mesh covers over the window ``xyxy`` of the frame.

    Attributes:
        xyxy: integer window (left, top, right, bottom), right/bottom exclusive, on the raster's grid.
        face: (h, w) int32, the visible triangle per pixel, -1 where the mesh is not.
        bary: (h, w, 3) float32 perspective-correct barycentric coordinates (0 where ``face`` is -1).
        inv_depth: (h, w) float32, 1 / z (metres) of the visible surface, 0 where none.
        scale: the grid's pixels per frame pixel (1: the frame's own grid; less for a large person drawn
            at reduced resolution).
        frame_xyxy: the window in frame pixels (``xyxy`` when ``scale`` is 1).
    """

    xyxy: tuple[int, int, int, int]
    face: np.ndarray
    bary: np.ndarray
    inv_depth: np.ndarray
    scale: float = 1.0
    frame_xyxy: tuple[int, int, int, int] | None = None

    @property
    def covered(self) -> np.ndarray:
        """(h, w) bool: pixels the mesh covers."""
        return self.face >= 0

    @property
    def window(self) -> tuple[int, int, int, int]:
        """The window in frame pixels."""
        return self.xyxy if self.frame_xyxy is None else self.frame_xyxy

    def to_frame_grid(self, image: np.ndarray, interpolation: int = 0) -> np.ndarray:
        """An (h, w, ...) array on this raster's grid resized onto :attr:`window`'s frame pixels
        (``interpolation``: an OpenCV flag, nearest by default)."""
        if self.scale == 1.0:
            return image
        import cv2

        x0, y0, x1, y1 = self.window
        return cv2.resize(image, (x1 - x0, y1 - y0), interpolation=interpolation)

    def covered_in_frame(self, resolution_wh: tuple[int, int]) -> np.ndarray:
        """(H, W) bool over the whole frame: pixels the mesh covers."""
        width, height = resolution_wh
        out = np.zeros((height, width), bool)
        x0, y0, x1, y1 = self.window
        covered = self.to_frame_grid(self.covered.view(np.uint8)).view(bool)
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        out[cy0:cy1, cx0:cx1] = covered[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
        return out


def rasterize(vertices: np.ndarray, faces: np.ndarray, camera: CameraIntrinsics, xyxy: tuple[int, int, int, int],
              cull_back: bool = True, depth_bias: np.ndarray | None = None) -> Raster:  # fmt: skip
    """Rasterize a mesh into a window of the frame.

    Args:
        vertices: (V, 3) camera-frame positions (metres, z forward); vertices behind the camera drop their
            triangles.
        faces: (F, 3) int triangles, counter-clockwise seen from outside.
        camera: intrinsics of the frame.
        xyxy: the window (integer pixels, right/bottom exclusive).
        cull_back: skip triangles that face away from the camera (closed meshes).
        depth_bias: (F,) metres added to each triangle's depth in the visibility test only (a positive bias
            lets other triangles within that distance in front win), or None.

    Returns:
        The window's :class:`Raster`.
    """
    x0, y0, x1, y1 = (int(v) for v in xyxy)
    h, w = max(y1 - y0, 0), max(x1 - x0, 0)
    face_img = np.full(h * w, -1, np.int32)
    bary_img = np.zeros((h * w, 3), np.float32)
    inv_img = np.zeros(h * w, np.float32)
    if h == 0 or w == 0 or len(faces) == 0:
        return Raster((x0, y0, x1, y1), face_img.reshape(h, w), bary_img.reshape(h, w, 3), inv_img.reshape(h, w))
    z = vertices[:, 2].astype(np.float32)
    safe_z = np.maximum(z, 1e-4)
    # window coordinates with pixel centres at integers
    px = (camera.fx * vertices[:, 0] / safe_z + camera.cx - x0 - 0.5).astype(np.float32)
    py = (camera.fy * vertices[:, 1] / safe_z + camera.cy - y0 - 0.5).astype(np.float32)
    fa, fb, fc = faces[:, 0], faces[:, 1], faces[:, 2]
    ax_, ay_, bx_, by_, cx_, cy_ = px[fa], py[fa], px[fb], py[fb], px[fc], py[fc]
    # signed area (image y down): < 0 for triangles counter-clockwise as seen from the camera (front faces)
    area = (bx_ - ax_) * (cy_ - ay_) - (cx_ - ax_) * (by_ - ay_)
    za, zb, zc = z[fa], z[fb], z[fc]
    keep = (np.minimum(np.minimum(za, zb), zc) > 1e-3) & (np.abs(area) > 1e-9)
    if cull_back:
        keep &= area < 0
    ids = np.flatnonzero(keep)
    ax_, ay_, bx_, by_, cx_, cy_, area = ax_[ids], ay_[ids], bx_[ids], by_[ids], cx_[ids], cy_[ids], area[ids]
    tri_z = np.column_stack([za[ids], zb[ids], zc[ids]])
    lo_x = np.maximum(np.ceil(np.minimum(np.minimum(ax_, bx_), cx_)).astype(np.int64), 0)
    hi_x = np.minimum(np.floor(np.maximum(np.maximum(ax_, bx_), cx_)).astype(np.int64), w - 1)
    lo_y = np.maximum(np.ceil(np.minimum(np.minimum(ay_, by_), cy_)).astype(np.int64), 0)
    hi_y = np.minimum(np.floor(np.maximum(np.maximum(ay_, by_), cy_)).astype(np.int64), h - 1)
    nx, ny = hi_x - lo_x + 1, hi_y - lo_y + 1
    live = np.flatnonzero((nx > 0) & (ny > 0))  # positions among the kept faces
    if live.size == 0:
        return Raster((x0, y0, x1, y1), face_img.reshape(h, w), bary_img.reshape(h, w, 3), inv_img.reshape(h, w))
    counts = (nx[live] * ny[live]).astype(np.int64)
    total = int(counts.sum())
    slot = np.repeat(live, counts)  # index into the kept faces
    start = np.repeat(np.cumsum(counts) - counts, counts)
    local = np.arange(total, dtype=np.int64) - start
    nx_o = nx[slot]
    cx = (lo_x[slot] + local % nx_o).astype(np.float32)
    cy = (lo_y[slot] + local // nx_o).astype(np.float32)
    ax, ay = ax_[slot], ay_[slot]
    bx, by = bx_[slot], by_[slot]
    qx, qy = cx_[slot], cy_[slot]
    inv_area = 1.0 / area[slot]
    b1 = ((cx - ax) * (qy - ay) - (qx - ax) * (cy - ay)) * inv_area
    b2 = ((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)) * inv_area
    b0 = 1.0 - b1 - b2
    eps = -1e-5
    inside = (b0 >= eps) & (b1 >= eps) & (b2 >= eps)
    slot, cx, cy, b0, b1, b2 = slot[inside], cx[inside], cy[inside], b0[inside], b1[inside], b2[inside]
    owner = ids[slot]
    iz = 1.0 / tri_z[slot]
    w0, w1, w2 = b0 * iz[:, 0], b1 * iz[:, 1], b2 * iz[:, 2]
    inv_depth = w0 + w1 + w2  # 1/z is linear in screen space
    pixel = cy.astype(np.int64) * w + cx.astype(np.int64)
    key = inv_depth if depth_bias is None else inv_depth / (1.0 + depth_bias[owner] * inv_depth)  # 1 / (z + bias)
    nearest = np.zeros(h * w, np.float32)
    np.maximum.at(nearest, pixel, key.astype(np.float32))  # per pixel the nearest sample's key
    sel = np.flatnonzero(key.astype(np.float32) >= nearest[pixel])  # (exact ties: the last one written stays)
    pixel = pixel[sel]
    face_img[pixel] = owner[sel]
    inv_img[pixel] = inv_depth[sel]
    norm = 1.0 / inv_depth[sel]
    bary_img[pixel] = np.column_stack([w0[sel] * norm, w1[sel] * norm, w2[sel] * norm])
    return Raster((x0, y0, x1, y1), face_img.reshape(h, w), bary_img.reshape(h, w, 3), inv_img.reshape(h, w))
