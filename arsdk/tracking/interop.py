"""Interop with roboflow's supervision (optional import): bring its annotators to arsdk's people."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError
from ..types import Person

__all__ = ["to_supervision"]


def to_supervision(persons: Sequence[Person]):
    """The people as ``supervision.Detections`` (xyxy, confidence, class_id 0, tracker_id).

    ``tracker_id`` is -1 for people without a track. Raises ConfigError when supervision is not installed.
    """
    try:
        import supervision as sv
    except ImportError as exc:
        raise ConfigError("to_supervision needs the supervision package: pip install supervision") from exc
    n = len(persons)
    return sv.Detections(
        xyxy=np.stack([p.box_xyxy for p in persons]).astype(np.float32) if n else np.zeros((0, 4), np.float32),
        confidence=np.array([p.score for p in persons], np.float32),
        class_id=np.zeros(n, int),
        tracker_id=np.array([-1 if p.track_id is None else p.track_id for p in persons], int),
    )
