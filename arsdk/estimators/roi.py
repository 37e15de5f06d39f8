"""Rotated square regions of interest, as BlazePose's landmark model expects its input.

A ``Roi`` is a square of side ``size_px`` centred at ``center_xy``, turned by ``rotation_rad`` (positive
= the person's head leans to the right of the image, MediaPipe's convention). The crop of a ROI shows the
person upright.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Roi", "roi_from_box", "roi_from_alignment", "roi_from_landmarks"]

ROI_SCALE = 1.25
"""MediaPipe's enlargement of the alignment square (RectTransformationCalculator scale 1.25)."""


@dataclass(frozen=True, slots=True)
class Roi:
    """A rotated square in frame pixels."""

    center_xy: tuple[float, float]
    size_px: float
    rotation_rad: float = 0.0

    def crop_to_frame(self, crop_size: int) -> np.ndarray:
        """(2, 3) affine matrix mapping crop pixels (0..crop_size) to frame pixels."""
        cos, sin = math.cos(self.rotation_rad), math.sin(self.rotation_rad)
        scale = self.size_px / crop_size
        ax = np.array([cos, sin]) * scale  # crop x axis in the frame
        ay = np.array([-sin, cos]) * scale  # crop y axis (down) in the frame
        origin = np.array(self.center_xy) - (ax + ay) * crop_size / 2
        return np.column_stack([ax, ay, origin]).astype(np.float64)

    def crop(self, image: np.ndarray, crop_size: int) -> np.ndarray:
        """The ROI resampled to ``crop_size`` x ``crop_size`` (bilinear, black outside the image)."""
        return cv2.warpAffine(
            image,
            self.crop_to_frame(crop_size),
            (crop_size, crop_size),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0),
        )

    def bounds_xyxy(self) -> tuple[float, float, float, float]:
        """Axis-aligned bounds of the rotated square."""
        half = self.size_px / 2 * (abs(math.cos(self.rotation_rad)) + abs(math.sin(self.rotation_rad)))
        cx, cy = self.center_xy
        return cx - half, cy - half, cx + half, cy + half


_MIN_WIDTH_OF_HEIGHT = 0.45
"""A person box touching the frame's left or right edge and narrower than this share of its height is a
person cut off by the frame."""
_MIN_HEIGHT_OF_WIDTH = 2.0
"""A person box touching the frame's bottom edge and shorter than this many times its width is a person cut
off at the waist or the legs (a webcam's view)."""
_AT_EDGE_PX = 2.0
"""A box side this close to a frame edge touches it."""


def roi_from_box(box_xyxy: np.ndarray, scale: float = 1.2, frame_wh: tuple[int, int] | None = None) -> Roi:
    """An upright ROI around a person box (from a people detector), enlarged by ``scale``.

    With ``frame_wh``, a box cut off by the frame is first extended beyond the edge that cuts it: beyond the
    left or right edge to 0.45 of its height when it touches that edge and is narrower, beyond the bottom
    edge to twice its width when it touches that edge and is shorter. The ROI is then centred where the
    whole person would be, as the landmark model expects, and the part outside the frame is padding.
    Measured on the labelled set's people cut by the right edge: found 0.67 -> 0.78; cut at the waist by
    the bottom edge: 0.50 -> 0.63.
    """
    x0, y0, x1, y1 = (float(v) for v in box_xyxy)
    if frame_wh is not None:
        width = _MIN_WIDTH_OF_HEIGHT * (y1 - y0)
        at_left, at_right = x0 <= _AT_EDGE_PX, x1 >= frame_wh[0] - _AT_EDGE_PX
        if x1 - x0 < width:
            if at_right and not at_left:
                x1 = x0 + width
            elif at_left and not at_right:
                x0 = x1 - width
        height = _MIN_HEIGHT_OF_WIDTH * (x1 - x0)
        if y1 - y0 < height and y1 >= frame_wh[1] - _AT_EDGE_PX and y0 > _AT_EDGE_PX:
            y1 = y0 + height
    return Roi(((x0 + x1) / 2, (y0 + y1) / 2), max(x1 - x0, y1 - y0) * scale, 0.0)


def roi_from_alignment(center_xy: np.ndarray, scale_point_xy: np.ndarray) -> Roi:
    """MediaPipe's ROI from two alignment points: the hip centre and the body-size/rotation point.

    The square's side is twice their distance times :data:`ROI_SCALE`; its rotation turns the vector from
    the first point to the second upright.
    """
    dx, dy = (float(v) for v in np.asarray(scale_point_xy) - np.asarray(center_xy))
    rotation = math.pi / 2 - math.atan2(-dy, dx)
    rotation = (rotation + math.pi) % (2 * math.pi) - math.pi
    size = 2.0 * math.hypot(dx, dy) * ROI_SCALE
    return Roi((float(center_xy[0]), float(center_xy[1])), size, rotation)


def roi_from_landmarks(xy_px: np.ndarray, visible: np.ndarray) -> Roi | None:
    """A ROI from the 33 body landmarks (for people found without alignment points).

    Centre between the hips, rotation from the hips to the shoulders, size from the farthest visible
    landmark. Returns None when the hips or shoulders are not visible.
    """
    if not (visible[[11, 12, 23, 24]].all()):
        return None
    hips = xy_px[[23, 24]].mean(axis=0)
    shoulders = xy_px[[11, 12]].mean(axis=0)
    pts = xy_px[visible]
    reach = float(np.max(np.linalg.norm(pts - hips, axis=1)))
    torso = float(np.linalg.norm(shoulders - hips))
    up = (shoulders - hips) / max(torso, 1e-6)
    return roi_from_alignment(hips, hips + up * max(reach, 1.6 * torso) * 1.05)
