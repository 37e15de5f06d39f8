"""The effect registry: ``--effect NAME[:key=value,...]`` on the command line resolves through
:data:`EFFECTS`, one explicit dict (no registration by import)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from ..densepose.atlas import TextureAtlas
from ..densepose.visualize import VISUALIZERS
from ..errors import ConfigError
from ..types import Frame, Person
from .labels import LabelsEffect
from .swap import SwapEffect
from .texture import TextureEffect

__all__ = ["EFFECTS", "DenseVisEffect", "parse_effect", "shipped_atlases", "load_atlas"]


class DenseVisEffect:
    """A DensePose visualization (``segm``, ``u``, ``v``, ``contour``) as an effect."""

    def __init__(self, name: str) -> None:
        if name not in ("segm", "u", "v", "contour"):
            raise ConfigError(f"unknown DensePose visualization {name!r}")
        self.mode = name
        self.visualizer = VISUALIZERS[name]()

    def apply(self, image_bgr: np.ndarray, frame: Frame, persons: Sequence[Person]) -> np.ndarray:
        """The visualization over the current image."""
        return self.visualizer.visualize(image_bgr, persons)


def shipped_atlases() -> dict[str, Path]:
    """The texture atlases shipped with arsdk, by name (``costume``, ``pattern``, ``stripes``)."""
    folder = Path(str(resources.files("arsdk") / "data" / "atlases"))
    return {p.stem: p for p in sorted(folder.glob("*.png"))}


def load_atlas(name_or_path: str) -> TextureAtlas:
    """A shipped atlas by name, or an atlas file by path."""
    shipped = shipped_atlases()
    if name_or_path in shipped:
        return TextureAtlas.load(shipped[name_or_path])
    if not Path(name_or_path).is_file():
        raise ConfigError(f"atlas {name_or_path!r}: neither a file nor one of the shipped atlases ({', '.join(shipped)})")
    return TextureAtlas.load(name_or_path)


def _float(options: dict, key: str, default: float) -> float:
    try:
        return float(options.pop(key, default))
    except ValueError as exc:
        raise ConfigError(f"effect option {key} must be a number") from exc


def _texture(options: dict, context: dict):  # noqa: ANN202
    ids = options.pop("ids", None)
    if ids in ("odd", "even"):
        track_ids = (lambda i: i % 2 == 1) if ids == "odd" else (lambda i: i % 2 == 0)
    else:
        try:
            track_ids = [int(v) for v in ids.split("+")] if ids else None
        except ValueError as exc:
            raise ConfigError(f"texture ids must be odd, even or numbers joined by '+', got {ids!r}") from exc
    return TextureEffect(load_atlas(options.pop("atlas", "costume")), track_ids, _float(options, "shading", 0.7))


def _swap(options: dict, context: dict):  # noqa: ANN202
    from .swap import atlas_of_reference

    reference = options.pop("reference", None)
    atlas = None
    if reference is not None:
        import cv2

        image = cv2.imread(reference)
        if image is None:
            raise ConfigError(f"swap reference {reference!r}: not an image")
        atlas = atlas_of_reference(image, context["estimator"])
    return SwapEffect(atlas, _float(options, "shading", 0.7))


def _avatar(options: dict, context: dict):  # noqa: ANN202
    from .avatar import AvatarEffect

    atlas = options.pop("atlas", None)
    return AvatarEffect(load_atlas(atlas) if atlas else None, view=options.pop("view", "orbit"),
                        overlay=options.pop("overlay", "yes") not in ("no", "0", "false"),
                        view_output=options.pop("view_output", None))  # fmt: skip


def _labels(options: dict, context: dict):  # noqa: ANN202
    return LabelsEffect(font_scale=_float(options, "scale", 0.45))


EFFECTS: dict[str, Callable[[dict, dict], object]] = {
    "texture": _texture,
    "swap": _swap,
    "labels": _labels,
    "avatar": _avatar,
    **{name: (lambda options, context, name=name: DenseVisEffect(name)) for name in ("segm", "u", "v", "contour")},
}
"""Effect name -> factory(options, context). Options come from ``NAME:key=value,key=value``."""


def parse_effect(spec: str, context: dict | None = None):  # noqa: ANN201
    """Build an effect from ``NAME[:key=value,...]`` (e.g. ``texture:atlas=stripes,shading=0.5``).

    Raises:
        ConfigError: unknown effect or option.
    """
    name, _, rest = spec.partition(":")
    name = name.strip()
    if name not in EFFECTS:
        raise ConfigError(f"unknown effect {name!r}; choose from {', '.join(EFFECTS)}")
    options = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise ConfigError(f"effect option {item!r} must be key=value (in {spec!r})")
        options[key.strip()] = value.strip()
    effect = EFFECTS[name](options, context or {})
    if options:
        raise ConfigError(f"effect {name} does not take {', '.join(options)}")
    return effect
