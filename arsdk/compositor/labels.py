"""``labels``: a label per person with live statistics, above the head, with a leader line.

Labels never overlap one another (placed nearest first, each moved up or sideways until it is free),
stay inside the image, and are readable on any background (a dark translucent box with white text and a
border in the track's colour). User code can supply the text per person.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from ..draw import color_for
from ..types import Person

__all__ = ["LabelsEffect", "default_label_text"]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_ARROWS = {"left": "<-", "right": "->", "towards": "v", "away": "^", "still": "."}


def default_label_text(person: Person) -> list[str]:
    """``#id  time`` and ``speed  direction  facing  pose`` from the tracker's statistics."""
    stats = person.attributes
    head = f"#{person.track_id}" if person.track_id is not None else "person"
    if "time_on_screen_s" in stats:
        head += f"  {stats['time_on_screen_s']:.0f}s"
    lines = [head]
    parts = []
    if stats.get("speed_m_s") is not None:
        parts.append(f"{stats['speed_m_s']:.1f} m/s")
    elif "speed_px_s" in stats:
        parts.append(f"{stats['speed_px_s']:.0f} px/s")
    if stats.get("direction"):
        parts.append(_ARROWS.get(stats["direction"], stats["direction"]))
    if stats.get("facing"):
        parts.append(stats["facing"])
    parts.extend(stats.get("pose") or [])
    if parts:
        lines.append(" ".join(parts))
    return lines


def _anchor(person: Person) -> tuple[int, int]:
    """The top of the head (or of the box), centred on the head."""
    x0, y0, x1, _ = person.box_xyxy
    if person.landmarks is not None and person.landmarks.visible(0.5)[:11].any():
        head = person.landmarks.xy_px[:11][person.landmarks.visible(0.5)[:11]]
        return int(head[:, 0].mean()), int(min(head[:, 1].min(), y0))
    return int((x0 + x1) / 2), int(y0)


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class LabelsEffect:
    """Labels with live statistics above people.

    Args:
        text: a function from a person to the label's lines (default: :func:`default_label_text`).
        tracked_only: label only people with a track id.
        font_scale: text size (0.45 suits 640x480).
    """

    def __init__(self, text: Callable[[Person], Sequence[str]] | None = None, tracked_only: bool = False,
                 font_scale: float = 0.45) -> None:  # fmt: skip
        self.text = text or default_label_text
        self.tracked_only = tracked_only
        self.font_scale = font_scale
        self.placed: list[tuple[int, int, int, int]] = []  # the last frame's label boxes (for tests and UIs)
        self.last_labels: dict[int, str] = {}
        """The last frame's label text by person position (lines joined by newlines): what was drawn."""

    def apply(self, image_bgr: np.ndarray, frame, persons: Sequence[Person]) -> np.ndarray:  # noqa: ANN001
        """A new image with the labels drawn."""
        out = image_bgr.copy()
        h, w = out.shape[:2]
        order = sorted(range(len(persons)), key=lambda i: -persons[i].height_px)  # nearest first
        placed: list[tuple[int, int, int, int]] = []
        overlay = out.copy()
        drawn = []
        texts: dict[int, str] = {}
        for i in order:
            person = persons[i]
            if self.tracked_only and person.track_id is None:
                continue
            lines = [str(line) for line in self.text(person)]
            if not lines:
                continue
            texts[i] = "\n".join(lines)
            sizes = [cv2.getTextSize(line, _FONT, self.font_scale, 1)[0] for line in lines]
            line_h = max(s[1] for s in sizes) + 6
            box_w, box_h = max(s[0] for s in sizes) + 10, line_h * len(lines) + 4
            ax, ay = _anchor(person)
            rect = self._place(ax, ay, box_w, box_h, placed, w, h)
            placed.append(rect)
            colour = color_for(person.track_id if person.track_id is not None else i)
            cv2.rectangle(overlay, rect[:2], (rect[2] - 1, rect[3] - 1), (20, 20, 20), -1)
            drawn.append((rect, lines, line_h, colour, (ax, ay)))
        out = cv2.addWeighted(overlay, 0.7, out, 0.3, 0)
        for rect, lines, line_h, colour, (ax, ay) in drawn:
            bottom = (int((rect[0] + rect[2]) / 2), rect[3] - 1)
            cv2.line(out, (ax, max(ay - 2, 0)), bottom, colour, 1, cv2.LINE_AA)
            cv2.rectangle(out, rect[:2], (rect[2] - 1, rect[3] - 1), colour, 1)
            for k, line in enumerate(lines):
                y = rect[1] + 2 + line_h * (k + 1) - 5
                cv2.putText(out, line, (rect[0] + 5, y), _FONT, self.font_scale, (255, 255, 255), 1, cv2.LINE_AA)
        self.placed = placed
        self.last_labels = texts
        return out

    @staticmethod
    def _place(ax: int, ay: int, box_w: int, box_h: int, placed: list, w: int, h: int) -> tuple[int, int, int, int]:
        """The first free spot: above the anchor, then higher, then shifted sideways; inside the image."""
        candidates = []
        for lift in range(0, 12):
            for shift in (0, -1, 1, -2, 2):
                x0 = ax - box_w // 2 + shift * (box_w // 2 + 4)
                y1 = ay - 12 - lift * (box_h + 4)
                candidates.append((x0, y1 - box_h))
        for lift in range(1, 6):  # below the feet is better than covering another label
            candidates.append((ax - box_w // 2, ay + lift * (box_h + 4)))
        fallback = None
        for x0, y0 in candidates:
            x0 = int(np.clip(x0, 0, max(w - box_w, 0)))
            y0 = int(np.clip(y0, 0, max(h - box_h, 0)))
            rect = (x0, y0, x0 + box_w, y0 + box_h)
            fallback = fallback or rect
            if not any(_overlaps(rect, other) for other in placed):
                return rect
        return fallback  # a crowded frame: every spot taken; overlap rather than vanish
