"""The dense-pose stage of the CPU estimator: DensePose IUV for every person, from a fitted 3D body.

Two methods, chosen with :class:`DenseOptions` (``--dense`` on the command line):

* ``body`` (default): the body model fitted to each person, its surface rasterized into the frame and
  reconciled with the mask (:mod:`arsdk.body`). People whose landmarks are too poor to fit get capsules.
* ``capsules``: the mask cut into capsules along the landmark bones, a cylinder chart each
  (:mod:`arsdk.densepose.charts`); no body.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..body.iuv import BodyIUVOptions, BodyTracks, fit_frame, hidden_masks, iuv_from_raster
from ..errors import ConfigError
from ..types import Person
from .charts import DenseChartOptions, dense_iuv

__all__ = ["DENSE_METHODS", "DenseOptions", "DenseIUVStage"]

DENSE_METHODS = ("body", "capsules")


@dataclass(frozen=True, slots=True)
class DenseOptions:
    """Options of the dense-pose stage.

    Attributes:
        method: ``body`` (a fitted 3D body's surface) or ``capsules`` (capsule charts, no body).
        body: options of the body fit and its IUV.
        capsules: options of the capsule charts (also the fallback of ``body``).
    """

    method: str = "body"
    body: BodyIUVOptions = field(default_factory=BodyIUVOptions)
    capsules: DenseChartOptions = field(default_factory=DenseChartOptions)

    def __post_init__(self) -> None:
        if self.method not in DENSE_METHODS:
            raise ConfigError(f"dense method must be one of {', '.join(DENSE_METHODS)}, got {self.method!r}")


class DenseIUVStage:
    """Returns new ``Person`` objects with ``iuv`` (and, with the body method, ``body``) filled in.

    Args:
        options: see :class:`DenseOptions` (a bare :class:`DenseChartOptions` means capsules).
        temporal: frames come in order (VIDEO mode): each person's fit is smoothed from frame to frame and
            its proportions are held. Leave off for unrelated images.
    """

    def __init__(self, options: DenseOptions | DenseChartOptions | None = None, temporal: bool = False) -> None:
        if isinstance(options, DenseChartOptions):
            options = DenseOptions(method="capsules", capsules=options)
        self.options = options or DenseOptions()
        self._tracks = BodyTracks() if temporal else None

    def apply(self, persons: tuple[Person, ...], resolution_wh: tuple[int, int],
              timestamp_ms: float | None = None) -> tuple[Person, ...]:  # fmt: skip
        """Each person with its IUV (persons without landmarks or mask come back unchanged).

        Args:
            persons: the people of one frame.
            resolution_wh: the frame's size.
            timestamp_ms: the frame's time (smoothing over time); default: 10 frames per second.
        """
        if self.options.method == "capsules":
            return tuple(self._capsules(p, resolution_wh) for p in persons)
        fits = fit_frame(persons, resolution_wh, self.options.body, self._tracks, timestamp_ms)
        hidden = hidden_masks(fits)
        out = []
        for person, fitted, covered in zip(persons, fits, hidden):
            if fitted is None:
                out.append(self._capsules(person, resolution_wh))
                continue
            iuv = iuv_from_raster(person, fitted.raster, covered, self.options.body)
            out.append(person.replace(iuv=iuv, body=fitted.body) if iuv is not None else person.replace(body=fitted.body))
        return tuple(out)

    def reset(self) -> None:
        """Forget the people followed from frame to frame."""
        if self._tracks is not None:
            self._tracks.reset()

    def _capsules(self, person: Person, resolution_wh: tuple[int, int]) -> Person:
        iuv = dense_iuv(person, resolution_wh, self.options.capsules)
        return person if iuv is None else person.replace(iuv=iuv)
