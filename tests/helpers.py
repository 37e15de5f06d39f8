"""Builders shared by the tests."""

from __future__ import annotations

import numpy as np

from arsdk import Frame, Landmarks, Person
from arsdk.types import LANDMARK_MIRROR


LR_SWAP = list(LANDMARK_MIRROR)
"""BlazePose landmark order with left and right swapped (what mirroring the image does to the labels)."""


def make_landmarks(xy: np.ndarray | None = None, visibility: float = 1.0) -> Landmarks:
    xy = np.zeros((33, 2), np.float32) if xy is None else np.asarray(xy, np.float32)
    ones = np.full(33, visibility, np.float32)
    return Landmarks(xy_px=xy, z_px=np.zeros(33, np.float32), visibility=ones, presence=ones.copy())


def make_person(box=(10, 20, 50, 120), score: float = 0.9, **kw) -> Person:
    return Person(box_xyxy=np.asarray(box, np.float32), score=score, **kw)


def make_frame(h: int = 48, w: int = 64, index: int = 0, value: int = 0) -> Frame:
    return Frame(np.full((h, w, 3), value, np.uint8), index, index * 100.0, "test")


def box_contains(box_xyxy, point_xy, margin: float = 0.0) -> bool:
    x0, y0, x1, y1 = box_xyxy
    x, y = point_xy
    return x0 - margin <= x <= x1 + margin and y0 - margin <= y <= y1 + margin
