"""Tracking people across frames: stable IDs, appearance memory, smoothing, live statistics."""

from .appearance import AppearanceModel, appearance_distance, appearance_of
from .interop import to_supervision
from .one_euro import OneEuroFilter
from .tracker import PersonTracker, Track, TrackerOptions, TrackState

__all__ = [
    "PersonTracker", "TrackerOptions", "TrackState", "Track", "OneEuroFilter", "AppearanceModel",
    "appearance_of", "appearance_distance", "to_supervision",
]  # fmt: skip
