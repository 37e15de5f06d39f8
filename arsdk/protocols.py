"""One small Protocol per pluggable stage, one verb each.

Plugins satisfy these structurally: there is no base class to import. Every stage that holds a resource
(a camera, a model session, a file) is also a context manager with an idempotent ``close()``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from .types import Frame, FrameResult, Person

__all__ = ["FrameSource", "PoseEstimator", "Tracker", "Compositor", "Sink"]


@runtime_checkable
class FrameSource(Protocol):
    """Where frames come from: a camera, a file, a folder, a stream."""

    @property
    def is_live(self) -> bool:
        """True for cameras and network streams (frames are dropped rather than queued)."""
        ...

    def read(self) -> Frame | None:
        """The next frame, or None at the end of the source."""
        ...

    def close(self) -> None:
        """Release the device or file; safe to call twice."""
        ...


@runtime_checkable
class PoseEstimator(Protocol):
    """Finds the people in a frame."""

    def infer(self, frame: Frame) -> tuple[Person, ...]:
        """The people in ``frame``, nearest first."""
        ...


@runtime_checkable
class Tracker(Protocol):
    """Gives people stable identities across frames."""

    def update(
        self, persons: tuple[Person, ...], timestamp_ms: float, image_bgr: np.ndarray | None = None
    ) -> tuple[Person, ...]:
        """New ``Person`` objects with ``track_id`` set; the input is not modified. ``image_bgr`` (the frame)
        is optional, for appearance."""
        ...


@runtime_checkable
class Compositor(Protocol):
    """Turns a frame and its people into the AR image."""

    def render(self, frame: Frame, persons: tuple[Person, ...]) -> np.ndarray:
        """A new (H, W, 3) uint8 BGR image; ``frame`` is not modified."""
        ...


@runtime_checkable
class Sink(Protocol):
    """Where results go: a video file, a window, a folder, a network publisher."""

    def write(self, result: FrameResult) -> None:
        """Consume one result."""
        ...

    def close(self) -> None:
        """Flush and release; safe to call twice."""
        ...
