"""Live statistics of a track, for labels and subscribers (JSON-serialisable values)."""

from __future__ import annotations

import colorsys
import math

import numpy as np

from ..types import Person

__all__ = ["pose_states", "facing", "colour_name", "direction_name", "person_height_m"]


def person_height_m(person: Person) -> float | None:
    """Standing height in metres from the world landmarks (ankles to nose, plus the head above the nose)."""
    if person.world_landmarks is None:
        return None
    w = person.world_landmarks.xyz_m
    leg = (np.linalg.norm(w[23] - w[25]) + np.linalg.norm(w[25] - w[27]) + np.linalg.norm(w[24] - w[26])
           + np.linalg.norm(w[26] - w[28])) / 2  # fmt: skip
    trunk = np.linalg.norm(w[[23, 24]].mean(0) - w[[11, 12]].mean(0))
    neck_head = np.linalg.norm(w[[11, 12]].mean(0) - w[0]) + 0.12
    height = float(leg + trunk + neck_head)
    return height if 1.0 < height < 2.4 else None


def facing(person: Person) -> str | None:
    """``towards`` or ``away`` (from the camera), from the torso's 3D normal; None when unsure."""
    if person.world_landmarks is None:
        return None
    w = person.world_landmarks.xyz_m
    left = (w[11] - w[12]) + (w[23] - w[24])
    up = w[[11, 12]].mean(0) - w[[23, 24]].mean(0)
    normal = np.cross(left, up)
    norm = float(np.linalg.norm(normal))
    if norm < 1e-6:
        return None
    z = normal[2] / norm
    return "towards" if z < -0.3 else "away" if z > 0.3 else "sideways"


def pose_states(person: Person) -> list[str]:
    """Simple pose states: ``arms_raised`` (a wrist above the head's top), ``crouching`` (hips low)."""
    if person.landmarks is None:
        return []
    lm = person.landmarks
    xy, seen = lm.xy_px, lm.visible(0.5)
    states = []
    torso = float(np.linalg.norm(xy[[11, 12]].mean(0) - xy[[23, 24]].mean(0)))
    if seen[[15, 16]].any() and seen[0]:
        wrists = xy[[15, 16]][seen[[15, 16]]]
        if float(wrists[:, 1].min()) < xy[0, 1] - 0.2 * torso:
            states.append("arms_raised")
    if seen[[23, 24, 27, 28]].all() and torso > 1:
        hips_to_ankles = float(xy[[27, 28], 1].mean() - xy[[23, 24], 1].mean())
        if hips_to_ankles < 0.9 * torso:
            states.append("crouching")
    return states


_COLOUR_NAMES = ((0, "red"), (20, "orange"), (35, "yellow"), (75, "green"), (165, "cyan"), (200, "blue"),
                 (260, "purple"), (310, "pink"), (345, "red"))  # fmt: skip


def colour_name(bgr: np.ndarray) -> str:
    """A plain name for a BGR colour (black, white, grey, red, ...)."""
    b, g, r = (float(v) / 255.0 for v in bgr)
    hue, light, saturation = colorsys.rgb_to_hls(r, g, b)
    if light < 0.18:
        return "black"
    if light > 0.85:
        return "white"
    if saturation < 0.2:
        return "grey"
    degrees = hue * 360
    return [name for start, name in _COLOUR_NAMES if degrees >= start][-1]


def direction_name(vx: float, vy: float, growth: float, min_speed: float) -> str:
    """Where a person heads: ``left``, ``right``, ``towards`` or ``away`` from the camera, or ``still``.

    Args:
        vx, vy: image velocity (any unit) of the box centre.
        growth: relative change of the box height per the same time unit (growing = coming closer).
        min_speed: below this image speed the person counts as still.
    """
    speed = math.hypot(vx, vy)
    if speed < min_speed and abs(growth) < 0.02:
        return "still"
    if abs(vx) >= abs(vy):
        return "right" if vx > 0 else "left"
    return "towards" if vy > 0 or growth > 0 else "away"
