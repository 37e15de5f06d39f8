"""Whole-frame IUV and instance images in DensePose's original layout.

``iuv``: (H, W, 3) uint8, channel 0 = part index I (0..24), channel 1 = U * 255, channel 2 = V * 255
(written with ``cv2.imwrite`` this puts I in the PNG's blue channel, as DensePose's ``*_IUV.png`` does).
``instances``: (H, W) uint16, 0 = background, k = the k-th person of the frame (1-based, in the order
given) or, with ``use_track_ids``, the person's track id (track ids start at 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import Person

__all__ = ["FrameIUV", "frame_iuv", "depth_order"]


@dataclass(frozen=True, slots=True)
class FrameIUV:
    """The IUV of every person of a frame, pasted into frame-sized images.

    Attributes:
        iuv: (H, W, 3) uint8: I, U * 255, V * 255.
        instances: (H, W) uint16: which person each pixel shows (0 = none).
    """

    iuv: np.ndarray
    instances: np.ndarray


def depth_order(persons: tuple[Person, ...] | list[Person]) -> list[int]:
    """Indices of ``persons`` from the farthest to the nearest.

    When every person has a fitted body, by the depth of its hips (ties as below). Otherwise: people stand on the ground and
    the camera looks at them from above or level, so the lower a person's feet (the box's bottom edge) are in
    the image, the nearer the person is; ties go to the taller person.
    """
    feet = [(float(p.box_xyxy[3]), p.height_px) for p in persons]
    if persons and all(p.body is not None for p in persons):
        depth = [round(float(p.body.pivots[0, 2]), 3) for p in persons]  # type: ignore[union-attr]
        return sorted(range(len(persons)), key=lambda i: (-depth[i],) + feet[i])
    return sorted(range(len(persons)), key=lambda i: feet[i])


def frame_iuv(persons: tuple[Person, ...] | list[Person], resolution_wh: tuple[int, int], use_track_ids: bool = False) -> FrameIUV:
    """Paste every person's IUV into one frame-sized image, nearer people over farther ones.

    Args:
        persons: people with ``iuv`` (those without are skipped).
        resolution_wh: the frame size.
        use_track_ids: label instances with ``track_id`` (when set) instead of the 1-based position. arsdk's
            dump and stream do not: a tracked person's ID can equal an untracked person's position, so the
            position is the one value the image and ``persons[].iuv.instance`` always agree on.
    """
    width, height = resolution_wh
    iuv = np.zeros((height, width, 3), np.uint8)
    instances = np.zeros((height, width), np.uint16)
    for i in depth_order(persons):
        person = persons[i]
        if person.iuv is None:
            continue
        label = person.track_id if use_track_ids and person.track_id is not None else i + 1
        x0, y0, x1, y1 = person.iuv.xyxy
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        part = person.iuv.part_index[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
        uv = person.iuv.uv[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
        on = part > 0
        target = iuv[cy0:cy1, cx0:cx1]
        target[on, 0] = part[on]
        target[on, 1:] = np.clip(uv[on] * 255.0, 0, 255).astype(np.uint8)
        instances[cy0:cy1, cx0:cx1][on] = label
    return FrameIUV(iuv, instances)
