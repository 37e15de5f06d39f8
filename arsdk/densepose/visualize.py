"""DensePose visualizations, like detectron2's ``apply_net show``: ``segm``, ``u``, ``v``, ``contour``,
``texture``, ``bbox``. Each is a small class with one method, ``visualize(image_bgr, persons)``, returning a
new image; :data:`VISUALIZERS` is the registry the CLI resolves names through.

As in ``apply_net``, the data visualizers draw over a grey version of the image, with alpha 0.7, through
OpenCV's PARULA colour map (I scaled by 255/24, U and V by 255).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from ..errors import ConfigError
from ..types import Person
from .atlas import TextureAtlas, apply_atlas
from .frame_iuv import depth_order, frame_iuv

__all__ = [
    "SegmVisualizer",
    "UVisualizer",
    "VVisualizer",
    "ContourVisualizer",
    "TextureVisualizer",
    "BBoxVisualizer",
    "VISUALIZERS",
    "make_visualizers",
    "visualize_all",
    "VisualizerCompositor",
]

_ALPHA = 0.7


def _grey(image_bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


def _overlay(image_bgr: np.ndarray, values_u8: np.ndarray, where: np.ndarray) -> np.ndarray:
    out = image_bgr.copy()
    coloured = cv2.applyColorMap(values_u8, cv2.COLORMAP_PARULA)
    out[where] = (out[where] * (1 - _ALPHA) + coloured[where] * _ALPHA).astype(np.uint8)
    return out


class _ChannelVisualizer:
    channel = 0
    scale = 1.0

    def visualize(self, image_bgr: np.ndarray, persons: Sequence[Person]) -> np.ndarray:
        """A new image: ``image_bgr`` in grey with this channel of the people's IUV in colour."""
        h, w = image_bgr.shape[:2]
        iuv = frame_iuv(persons, (w, h)).iuv
        values = np.clip(iuv[..., self.channel].astype(np.float32) * self.scale, 0, 255).astype(np.uint8)
        return _overlay(_grey(image_bgr), values, iuv[..., 0] > 0)


class SegmVisualizer(_ChannelVisualizer):
    """The part index I (1..24) in colour."""

    channel, scale = 0, 255.0 / 24.0


class UVisualizer(_ChannelVisualizer):
    """The chart coordinate U in colour."""

    channel = 1


class VVisualizer(_ChannelVisualizer):
    """The chart coordinate V in colour."""

    channel = 2


class ContourVisualizer:
    """Iso-lines of U (red) and V (green) at every 0.1, and part boundaries (white)."""

    def __init__(self, levels: int = 10) -> None:
        if levels < 2:
            raise ConfigError(f"levels must be >= 2, got {levels}")
        self.levels = levels

    def visualize(self, image_bgr: np.ndarray, persons: Sequence[Person]) -> np.ndarray:
        """A new image with the contour lines over the grey image."""
        h, w = image_bgr.shape[:2]
        iuv = frame_iuv(persons, (w, h)).iuv
        out = _grey(image_bgr)
        part = iuv[..., 0].astype(np.int32)
        on = part > 0
        for channel, colour in ((1, (0, 0, 255)), (2, (0, 255, 0))):
            band = np.floor(iuv[..., channel].astype(np.float32) / 256.0 * self.levels).astype(np.int32)
            key = part * 1000 + band
            edge = _edges(key) & on
            out[edge] = colour
        out[_edges(part) & on] = (255, 255, 255)
        return out


def _edges(key: np.ndarray) -> np.ndarray:
    """Pixels whose right or lower neighbour has another key."""
    edge = np.zeros(key.shape, bool)
    edge[:, :-1] |= key[:, :-1] != key[:, 1:]
    edge[:-1, :] |= key[:-1, :] != key[1:, :]
    return edge


class TextureVisualizer:
    """A texture atlas painted onto the people (over the colour image).

    Args:
        atlas: the texture; ``shading`` as in :func:`arsdk.densepose.atlas.apply_atlas`.
    """

    def __init__(self, atlas: TextureAtlas, shading: float = 0.0) -> None:
        self.atlas, self.shading = atlas, shading

    def visualize(self, image_bgr: np.ndarray, persons: Sequence[Person]) -> np.ndarray:
        """A new image with every person wearing the atlas, nearer people over farther ones."""
        iuvs = [persons[i].iuv for i in depth_order(persons) if persons[i].iuv is not None]
        return apply_atlas(image_bgr, iuvs, self.atlas, self.shading)


class BBoxVisualizer:
    """Each person's box and score."""

    def visualize(self, image_bgr: np.ndarray, persons: Sequence[Person]) -> np.ndarray:
        """A new image with the boxes drawn."""
        out = image_bgr.copy()
        for person in persons:
            x0, y0, x1, y1 = np.round(person.box_xyxy).astype(int)
            cv2.rectangle(out, (x0, y0), (x1, y1), (0, 255, 0), 1, cv2.LINE_AA)
            cv2.putText(out, f"{person.score:.2f}", (x0, max(y0 - 3, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                        (0, 255, 0), 1, cv2.LINE_AA)  # fmt: skip
        return out


VISUALIZERS: dict[str, Callable[..., object]] = {
    "segm": SegmVisualizer,
    "u": UVisualizer,
    "v": VVisualizer,
    "contour": ContourVisualizer,
    "texture": TextureVisualizer,
    "bbox": BBoxVisualizer,
}
"""Name -> visualizer class; the CLI's ``--vis`` resolves through this dict."""


def make_visualizers(names: Sequence[str], atlas: TextureAtlas | None = None) -> list:
    """Visualizers by name, in order.

    Raises:
        ConfigError: an unknown name, or ``texture`` without an atlas.
    """
    out = []
    for name in names:
        if name not in VISUALIZERS:
            raise ConfigError(f"unknown visualization {name!r}; choose from {', '.join(VISUALIZERS)}")
        if name == "texture":
            if atlas is None:
                raise ConfigError("the texture visualization needs an atlas: add --atlas FILE")
            out.append(TextureVisualizer(atlas))
        else:
            out.append(VISUALIZERS[name]())
    return out


def visualize_all(visualizers: Sequence, image_bgr: np.ndarray, persons: Sequence[Person]) -> np.ndarray:
    """Apply visualizers one after the other (``segm,bbox`` draws boxes over the parts)."""
    out = image_bgr
    for visualizer in visualizers:
        out = visualizer.visualize(out, persons)
    return out


class VisualizerCompositor:
    """A compositor made of visualizers (satisfies :class:`arsdk.protocols.Compositor`)."""

    def __init__(self, visualizers: Sequence) -> None:
        self.visualizers = list(visualizers)

    def render(self, frame, persons) -> np.ndarray:  # noqa: ANN001 - see the Compositor protocol
        """The frame with every visualizer applied."""
        return visualize_all(self.visualizers, frame.image_bgr, persons)
