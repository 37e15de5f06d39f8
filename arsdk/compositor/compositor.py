"""The compositor: an ordered list of effects applied to a frame and its tracked people.

An effect is a small class with one method, ``apply(image_bgr, frame, persons) -> image_bgr``, that
returns a new image (it may read ``frame.image_bgr``, the untouched camera image, for shading and
appearance). Effects are constructed in Python, or on the command line through :data:`EFFECTS` with
``--effect NAME[:key=value,...]``.
"""

from __future__ import annotations

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
        for effect in self.effects:
            image = effect.apply(image, frame, persons)
        return image.copy() if image is frame.image_bgr else image
