"""Drawing people on images: boxes, skeletons, masks, IDs. Always on a copy, never on the caller's array."""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

from .types import SKELETON_EDGES, Person

__all__ = ["color_for", "draw_persons", "MarkPersons"]


def color_for(key: int) -> tuple[int, int, int]:
    """A distinct, stable BGR colour for an index or track id (golden-ratio hue steps)."""
    hue = (key * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 1.0)
    return int(b * 255), int(g * 255), int(r * 255)


def draw_persons(
    image_bgr: np.ndarray,
    persons: tuple[Person, ...] | list[Person],
    *,
    masks: bool = True,
    skeleton: bool = True,
    boxes: bool = True,
    captions: bool = True,
) -> np.ndarray:
    """A copy of ``image_bgr`` with each person marked.

    Args:
        image_bgr: (H, W, 3) uint8.
        persons: the people to mark; the colour follows ``track_id`` when set, else the list position.
        masks: tint each person's mask (p >= 0.5).
        skeleton: draw landmarks with visibility >= 0.5 and the bones between them.
        boxes: draw the box.
        captions: write the id (or position) and score above the box.

    Returns:
        A new (H, W, 3) uint8 image.
    """
    out = image_bgr.copy()
    thickness = max(1, round(max(out.shape[:2]) / 500))
    for position, person in enumerate(persons):
        key = person.track_id if person.track_id is not None else position
        color = color_for(key)
        if masks and person.mask is not None and person.mask.data.size:
            view, prob = person.mask.paste(out)
            fg = prob >= 0.5
            view[fg] = (view[fg] * 0.55 + np.array(color, np.float32) * 0.45).astype(np.uint8)
        if skeleton and person.landmarks is not None:
            xy = np.round(person.landmarks.xy_px).astype(np.int32)
            seen = person.landmarks.visible(0.5)
            for a, b in SKELETON_EDGES:
                if seen[a] and seen[b]:
                    cv2.line(out, tuple(xy[a]), tuple(xy[b]), color, thickness, cv2.LINE_AA)
            for point in xy[seen]:
                cv2.circle(out, tuple(point), thickness, (255, 255, 255), -1, cv2.LINE_AA)
        x0, y0, x1, y1 = np.round(person.box_xyxy).astype(int)
        if boxes:
            cv2.rectangle(out, (x0, y0), (x1, y1), color, thickness, cv2.LINE_AA)
        if captions:
            label = f"#{person.track_id}" if person.track_id is not None else f"{position}"
            text = f"{label} {person.score:.2f}"
            scale = 0.4 * thickness
            (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
            ty = max(y0 - 3, th + 2)
            cv2.rectangle(out, (x0, ty - th - 2), (x0 + tw + 2, ty + base - 1), color, -1)
            cv2.putText(out, text, (x0 + 1, ty - 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out


class MarkPersons:
    """The simplest compositor: the frame with every person marked (mask tint, skeleton, box, caption).

    Satisfies :class:`arsdk.protocols.Compositor`.
    """

    def __init__(self, *, masks: bool = True, skeleton: bool = True, boxes: bool = True) -> None:
        self.masks, self.skeleton, self.boxes = masks, skeleton, boxes

    def render(self, frame, persons) -> np.ndarray:  # noqa: ANN001 - see the Compositor protocol
        """A new image: ``frame.image_bgr`` with ``persons`` drawn on it."""
        return draw_persons(frame.image_bgr, persons, masks=self.masks, skeleton=self.skeleton, boxes=self.boxes)
