"""BlazePose's full landmark model run directly on a ROI, through LiteRT (XNNPACK; the fast path) or,
where the ``ai-edge-litert`` wheel is missing, OpenCV's TFLite importer.

Running the landmark model on a crop we choose, instead of through MediaPipe's graph, is what lets arsdk
find people that the BlazePose detector misses (small ones, and those whose face is hidden): any person
box from any proposal stage becomes a ROI.

Model I/O (pose_landmark_full.tflite): input (1, 256, 256, 3) RGB in [0, 1]; outputs ``Identity``
(1, 195) = 39 points x (x, y, z, visibility logit, presence logit) in input pixels, ``Identity_1`` the
pose-presence probability, ``Identity_2`` (1, 256, 256, 1) segmentation logits, ``Identity_4`` (1, 117) =
39 world points in metres. Points 33 and 34 are the alignment points for the next ROI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import ConfigError, ModelLoadError
from ..types import LANDMARK_MIRROR, NUM_LANDMARKS, BoxRaster, Landmarks, WorldLandmarks
from .roi import Roi, roi_from_alignment

__all__ = ["LandmarkResult", "BlazePoseLandmarkModel", "litert_available"]

INPUT_SIZE = 256


@dataclass(frozen=True, slots=True)
class LandmarkResult:
    """What the landmark model says about one ROI.

    Attributes:
        score: pose-presence probability in [0, 1].
        landmarks: 33 landmarks in frame pixels.
        world_landmarks: 33 landmarks in metres.
        mask: segmentation probability over the ROI's bounds (clipped to the frame).
        next_roi: the ROI MediaPipe would use for this person next (from the alignment points).
        roi: the ROI this result came from.
    """

    score: float
    landmarks: Landmarks
    world_landmarks: WorldLandmarks
    mask: BoxRaster
    next_roi: Roi
    roi: Roi


# Landmark order with left and right swapped (the 6 alignment points 33..38 have no side).
_MIRROR_ORDER = np.array([*LANDMARK_MIRROR, 33, 34, 35, 36, 37, 38])


def _unmirror(outputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Outputs of the mirrored crop, expressed for the unmirrored crop."""
    points, flag, seg, world = outputs
    points = points[_MIRROR_ORDER].copy()
    points[:, 0] = INPUT_SIZE - points[:, 0]
    world = world[_MIRROR_ORDER].copy()
    world[:, 0] = -world[:, 0]
    return points, flag, seg[:, ::-1], world


def _average(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    return tuple((x + y) * 0.5 for x, y in zip(a, b))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))).astype(np.float32)


class _OpenCvRunner:
    """The model on OpenCV DNN (NCHW blob)."""

    name = "opencv"

    def __init__(self, model_path: Path) -> None:
        try:
            self._net = cv2.dnn.readNetFromTFLite(str(model_path))
        except cv2.error as exc:
            raise ModelLoadError(f"OpenCV cannot read {model_path} as a TFLite model: {exc}") from exc
        missing = set(_OUTPUTS) - set(self._net.getUnconnectedOutLayersNames())
        if missing:
            raise ModelLoadError(f"{model_path} is not BlazePose's full landmark model (no outputs {missing})")

    def __call__(self, crop_bgr: np.ndarray) -> tuple[np.ndarray, ...]:
        self._net.setInput(cv2.dnn.blobFromImage(crop_bgr, scalefactor=1.0 / 255.0, swapRB=True))
        return tuple(self._net.forward(_OUTPUTS))


class _LiteRtRunner:
    """The model on LiteRT's interpreter with XNNPACK (2.5x faster than OpenCV DNN here)."""

    name = "litert"

    def __init__(self, model_path: Path, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        try:
            self._interpreter = Interpreter(model_path=str(model_path), num_threads=threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"LiteRT cannot load {model_path}: {exc}") from exc
        inputs = self._interpreter.get_input_details()
        outputs = {d["name"]: d["index"] for d in self._interpreter.get_output_details()}
        if len(inputs) != 1 or tuple(inputs[0]["shape"]) != (1, INPUT_SIZE, INPUT_SIZE, 3) or set(_OUTPUTS) - set(outputs):
            raise ModelLoadError(f"{model_path} is not BlazePose's full landmark model (inputs {inputs[0]['shape']}, "
                                 f"outputs {sorted(outputs)})")  # fmt: skip
        self._input = inputs[0]["index"]
        self._outputs = [outputs[name] for name in _OUTPUTS]
        self._rgb = np.empty((1, INPUT_SIZE, INPUT_SIZE, 3), np.float32)

    def __call__(self, crop_bgr: np.ndarray) -> tuple[np.ndarray, ...]:
        np.multiply(crop_bgr[None, :, :, ::-1], np.float32(1.0 / 255.0), out=self._rgb)
        self._interpreter.set_tensor(self._input, self._rgb)
        self._interpreter.invoke()
        return tuple(self._interpreter.get_tensor(index) for index in self._outputs)


_OUTPUTS = ["Identity", "Identity_1", "Identity_2", "Identity_4"]


def litert_available() -> bool:
    """Whether the ``ai-edge-litert`` wheel (the fast landmark runtime) is installed."""
    import importlib.util

    return importlib.util.find_spec("ai_edge_litert") is not None


class BlazePoseLandmarkModel:
    """The BlazePose full landmark model. Not thread-safe: one instance per thread.

    Args:
        model_path: ``pose_landmark_full.tflite`` (see :func:`arsdk.estimators.models.find_model_files`).
        backend: ``auto`` (LiteRT when installed, else OpenCV DNN), ``litert`` or ``opencv``.
        threads: LiteRT interpreter threads (default: all cores).

    Raises:
        ModelLoadError: the file is missing or is not a model the backend can read.
        ConfigError: an unknown backend, or ``litert`` without the ``ai-edge-litert`` wheel.
    """

    def __init__(self, model_path: Path, backend: str = "auto", threads: int | None = None) -> None:
        import os

        if not Path(model_path).is_file():
            raise ModelLoadError(f"landmark model {model_path} not found; reinstall mediapipe==0.10.21")
        if backend not in ("auto", "litert", "opencv"):
            raise ConfigError(f"landmark backend must be auto, litert or opencv, got {backend!r}")
        if backend == "litert" and not litert_available():
            raise ConfigError("the litert landmark backend needs the ai-edge-litert wheel: pip install ai-edge-litert")
        use_litert = backend == "litert" or (backend == "auto" and litert_available())
        self._runner = _LiteRtRunner(model_path, threads or os.cpu_count() or 1) if use_litert else _OpenCvRunner(model_path)

    @property
    def backend(self) -> str:
        """``litert`` or ``opencv``: the runtime in use."""
        return self._runner.name

    def infer(self, image_bgr: np.ndarray, roi: Roi, flip_test: bool = False) -> LandmarkResult:
        """Run the model on ``roi`` of ``image_bgr`` and map everything back to frame coordinates.

        Args:
            image_bgr: the frame.
            roi: where the person is.
            flip_test: also run the mirrored crop and average both (left and right swapped back): more
                accurate and mirror-consistent, at twice the cost.
        """
        crop = roi.crop(image_bgr, INPUT_SIZE)
        outputs = self._run(crop)
        if flip_test:
            outputs = _average(outputs, _unmirror(self._run(np.ascontiguousarray(crop[:, ::-1]))))
        return self._decode(image_bgr.shape[:2], roi, *outputs)

    def _run(self, crop_bgr: np.ndarray) -> tuple[np.ndarray, ...]:
        points, flag, seg, world = self._runner(crop_bgr)
        return points.reshape(39, 5).copy(), flag.reshape(1).copy(), seg.reshape(INPUT_SIZE, INPUT_SIZE).copy(), world.reshape(39, 3).copy()

    def _decode(
        self,
        image_hw: tuple[int, int],
        roi: Roi,
        raw_points: np.ndarray,
        flag: np.ndarray,
        seg: np.ndarray,
        world: np.ndarray,
    ) -> LandmarkResult:
        affine = roi.crop_to_frame(INPUT_SIZE)
        points = raw_points.reshape(39, 5).astype(np.float64)
        xy = points[:, :2] @ affine[:, :2].T + affine[:, 2]
        scale = roi.size_px / INPUT_SIZE
        landmarks = Landmarks(
            xy_px=xy[:NUM_LANDMARKS].astype(np.float32),
            z_px=(points[:NUM_LANDMARKS, 2] * scale).astype(np.float32),
            visibility=_sigmoid(points[:NUM_LANDMARKS, 3]),
            presence=_sigmoid(points[:NUM_LANDMARKS, 4]),
        )
        cos, sin = np.cos(roi.rotation_rad), np.sin(roi.rotation_rad)
        w = world.reshape(39, 3)[:NUM_LANDMARKS].astype(np.float64)
        world_xyz = np.column_stack([w[:, 0] * cos - w[:, 1] * sin, w[:, 0] * sin + w[:, 1] * cos, w[:, 2]])
        return LandmarkResult(
            score=float(np.clip(flag.ravel()[0], 0.0, 1.0)),
            landmarks=landmarks,
            world_landmarks=WorldLandmarks(world_xyz.astype(np.float32)),
            mask=self._mask_to_frame(image_hw, roi, affine, seg.reshape(INPUT_SIZE, INPUT_SIZE)),
            next_roi=roi_from_alignment(xy[33], xy[34]),
            roi=roi,
        )

    @staticmethod
    def _mask_to_frame(image_hw: tuple[int, int], roi: Roi, affine: np.ndarray, logits: np.ndarray) -> BoxRaster:
        h, w = image_hw
        bx0, by0, bx1, by1 = roi.bounds_xyxy()
        x0, y0 = max(int(np.floor(bx0)), 0), max(int(np.floor(by0)), 0)
        x1, y1 = min(int(np.ceil(bx1)), w), min(int(np.ceil(by1)), h)
        if x1 <= x0 or y1 <= y0:
            return BoxRaster((0, 0, 0, 0), np.zeros((0, 0), np.float32))
        to_region = affine.copy()
        to_region[:, 2] -= (x0, y0)
        prob = _sigmoid(logits)
        region = cv2.warpAffine(
            prob, to_region, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        )
        return BoxRaster((x0, y0, x1, y1), region)
