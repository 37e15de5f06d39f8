"""A vectorized z-buffer rasterizer for triangle meshes, in NumPy.

For a window of the frame it gives, per pixel, the nearest front-facing triangle and the perspective-
correct barycentric coordinates of the pixel centre in it. Triangles are enumerated over their bounding
boxes all at once (no Python loop over faces), the nearest wins by sorting on inverse depth. Measured
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
        xyxy: integer window (left, top, right, bottom), right/bottom exclusive.
        face: (h, w) int32, the visible triangle per pixel, -1 where the mesh is not.
        bary: (h, w, 3) float32 perspective-correct barycentric coordinates (0 where ``face`` is -1).
        inv_depth: (h, w) float32, 1 / z (metres) of the visible surface, 0 where none.
    """

    xyxy: tuple[int, int, int, int]
    face: np.ndarray
    bary: np.ndarray
    inv_depth: np.ndarray

    @property
    def covered(self) -> np.ndarray:
        """(h, w) bool: pixels the mesh covers."""
        return self.face >= 0


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
    tri_x, tri_y, tri_z = px[faces], py[faces], z[faces]
    # signed area (image y down): > 0 for triangles counter-clockwise as seen in 3D from the camera
    area = (tri_x[:, 1] - tri_x[:, 0]) * (tri_y[:, 2] - tri_y[:, 0]) - (tri_x[:, 2] - tri_x[:, 0]) * (tri_y[:, 1] - tri_y[:, 0])
    keep = (tri_z.min(axis=1) > 1e-3) & (np.abs(area) > 1e-9)
    if cull_back:
        keep &= area < 0
    lo_x = np.ceil(tri_x.min(axis=1)).astype(np.int64)
    hi_x = np.floor(tri_x.max(axis=1)).astype(np.int64)
    lo_y = np.ceil(tri_y.min(axis=1)).astype(np.int64)
    hi_y = np.floor(tri_y.max(axis=1)).astype(np.int64)
    np.maximum(lo_x, 0, out=lo_x)
    np.maximum(lo_y, 0, out=lo_y)
    np.minimum(hi_x, w - 1, out=hi_x)
    np.minimum(hi_y, h - 1, out=hi_y)
    nx, ny = hi_x - lo_x + 1, hi_y - lo_y + 1
    keep &= (nx > 0) & (ny > 0)
    ids = np.flatnonzero(keep)
    if ids.size == 0:
        return Raster((x0, y0, x1, y1), face_img.reshape(h, w), bary_img.reshape(h, w, 3), inv_img.reshape(h, w))
    counts = (nx[ids] * ny[ids]).astype(np.int64)
    total = int(counts.sum())
    owner = np.repeat(ids, counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    local = np.arange(total, dtype=np.int64) - start
    nx_o = nx[owner]
    cx = (lo_x[owner] + local % nx_o).astype(np.float32)
    cy = (lo_y[owner] + local // nx_o).astype(np.float32)
    ax, ay = tri_x[owner, 0], tri_y[owner, 0]
    bx, by = tri_x[owner, 1], tri_y[owner, 1]
    qx, qy = tri_x[owner, 2], tri_y[owner, 2]
    inv_area = 1.0 / area[owner]
    b1 = ((cx - ax) * (qy - ay) - (qx - ax) * (cy - ay)) * inv_area
    b2 = ((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)) * inv_area
    b0 = 1.0 - b1 - b2
    eps = -1e-5
    inside = (b0 >= eps) & (b1 >= eps) & (b2 >= eps)
    owner, cx, cy, b0, b1, b2 = owner[inside], cx[inside], cy[inside], b0[inside], b1[inside], b2[inside]
    iz = 1.0 / tri_z[owner]
    w0, w1, w2 = b0 * iz[:, 0], b1 * iz[:, 1], b2 * iz[:, 2]
    inv_depth = w0 + w1 + w2  # 1/z is linear in screen space
    pixel = cy.astype(np.int64) * w + cx.astype(np.int64)
    key = inv_depth if depth_bias is None else inv_depth / (1.0 + depth_bias[owner] * inv_depth)  # 1 / (z + bias)
    order = np.argsort(-key, kind="stable")  # near to far: the first sample of a pixel is visible
    _, first = np.unique(pixel[order], return_index=True)
    sel = order[first]
    pixel = pixel[sel]
    face_img[pixel] = owner[sel]
    inv_img[pixel] = inv_depth[sel]
    norm = 1.0 / inv_depth[sel]
    bary_img[pixel] = np.column_stack([w0[sel] * norm, w1[sel] * norm, w2[sel] * norm])
    return Raster((x0, y0, x1, y1), face_img.reshape(h, w), bary_img.reshape(h, w, 3), inv_img.reshape(h, w))
