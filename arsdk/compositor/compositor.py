"""The compositor: an ordered list of effects applied to a frame and its tracked people.

An effect is a small class with one method, ``apply(image_bgr, frame, persons) -> image_bgr``, that
returns a new image (it may read ``frame.image_bgr``, the untouched camera image, for shading and
appearance). Effects are constructed in Python, or on the command line through :data:`EFFECTS` with
``--effect NAME[:key=value,...]``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ..types import Frame, Person

__all__ = ["Effect", "Compositor"]


class Effect(Protocol):
    """One AR effect."""

    def apply(self, image_bgr: np.ndarray, frame: Frame, persons: Sequence[Person]) -> np.ndarray:
        """A new image: ``image_bgr`` with the effect drawn; nothing is modified in place."""
        ...


class Compositor:
    """Applies effects in order. Satisfies :class:`arsdk.protocols.Compositor`.

    Example:
        >>> compositor = Compositor([TextureEffect(TextureAtlas.load("costume.png")), LabelsEffect()])  # doctest: +SKIP
        >>> image = compositor.render(frame, tracked_people)
    """

    def __init__(self, effects: Sequence[Effect]) -> None:
        self.effects = list(effects)
        self.last_ms: dict[str, float] = {}
        """Milliseconds each effect took in the last ``render``, by effect name (``texture``, ``labels``, ...)."""
        self.last_labels: dict[int, str] = {}
        """The label text the effects drew in the last ``render``, by person position (effects that draw
        labels expose theirs as ``last_labels``; a later effect's text wins)."""
        names = [_effect_name(e) for e in self.effects]
        self._names = [n if names.count(n) == 1 else f"{n}{names[:i].count(n) + 1}" for i, n in enumerate(names)]

    def close(self) -> None:
        """Close the effects that hold resources (GL renderers, video writers); safe to call twice."""
        for effect in self.effects:
            close = getattr(effect, "close", None)
            if callable(close):
                close()

    def __enter__(self) -> Compositor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def render(self, frame: Frame, persons: Sequence[Person]) -> np.ndarray:
        """The AR image for ``frame`` (a new array; the frame is read-only)."""
        image = frame.image_bgr
        timings = {}
        labels: dict[int, str] = {}
        for name, effect in zip(self._names, self.effects):
            start = time.perf_counter()
            image = effect.apply(image, frame, persons)
            timings[name] = (time.perf_counter() - start) * 1000.0
            drawn = getattr(effect, "last_labels", None)
            if isinstance(drawn, dict):
                labels.update(drawn)
        self.last_ms = timings
        self.last_labels = labels
        return image.copy() if image is frame.image_bgr else image


def _effect_name(effect: Effect) -> str:
    """``TextureEffect`` -> ``texture``; a ``DenseVisEffect`` by its mode (``segm``, ``contour``, ...)."""
    mode = getattr(effect, "mode", None)
    if isinstance(mode, str):
        return mode
    name = type(effect).__name__
    return (name[: -len("Effect")] if name.endswith("Effect") else name).lower()
