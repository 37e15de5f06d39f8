"""Person-proposal stages: where in the frame to run the landmark model.

Two complementary proposers:

* :class:`BlazePoseProposer` runs MediaPipe's multi-person ``PoseLandmarker`` (BlazePose detector +
  landmarks) on the whole frame. It finds large people in any pose, but misses small people and people
  whose face is hidden.
* :class:`HogProposer` runs OpenCV's HOG people detector on the frame, upscaled for small people. It
  finds upright walkers of any size and facing, but not unusual poses.
* :class:`SegmentationProposer` runs MediaPipe's selfie-segmentation model (from the mediapipe wheel) on
  the whole frame and proposes the box of every person-shaped region: people seen from behind, sitting,
  cut off by the frame, whatever their pose, as long as they are not tiny.

Box proposers share one small protocol: a ``name`` and ``propose(image_bgr) -> list[BoxProposal]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import ConfigError
from ..types import NUM_LANDMARKS, BoxRaster, Landmarks, Person, WorldLandmarks

__all__ = ["BoxProposal", "BlazePoseProposer", "HogProposer", "SegmentationProposer", "box_iou"]


@dataclass(frozen=True, slots=True)
class BoxProposal:
    """A box that probably holds a person.

    Attributes:
        box_xyxy: (4,) float32 box in frame pixels.
        score: detector confidence (HOG: SVM margin; segmentation: mean probability; larger is surer).
        source: the proposer's name (``hog``, ``segmentation``).
    """

    box_xyxy: np.ndarray
    score: float
    source: str = "hog"


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of boxes ``a`` (N, 4) and ``b`` (M, 4), xyxy."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


class HogProposer:
    """OpenCV's built-in HOG + linear SVM people detector (Dalal-Triggs, 64x128 window).

    Args:
        min_height_px: the smallest person height to look for; the frame is upscaled so that such a person
            fills the 128-pixel detection window (at most 2.5x).
        hit_threshold: SVM margin a window must exceed.
        scale_step: image-pyramid step (larger is faster and coarser).
    """

    name = "hog"

    def __init__(self, min_height_px: float = 64.0, hit_threshold: float = -0.3, scale_step: float = 1.05) -> None:
        if min_height_px <= 0:
            raise ConfigError(f"min_height_px must be > 0, got {min_height_px}")
        if scale_step <= 1.0:
            raise ConfigError(f"scale_step must be > 1, got {scale_step}")
        self.min_height_px = min_height_px
        self.hit_threshold = hit_threshold
        self.scale_step = scale_step
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def propose(self, image_bgr: np.ndarray) -> list[BoxProposal]:
        """People boxes in frame pixels, most confident first."""
        upscale = float(np.clip(128.0 / self.min_height_px * 0.8, 1.0, 2.5))
        image = image_bgr
        if upscale > 1.0:
            image = cv2.resize(image_bgr, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_LINEAR)
        window_w, window_h = self._hog.winSize
        if image.shape[0] < window_h or image.shape[1] < window_w:
            return []  # no person fits (and OpenCV's detectMultiScale crashes the process on such a frame)
        rects, weights = self._hog.detectMultiScale(
            image, hitThreshold=self.hit_threshold, winStride=(8, 8), padding=(8, 8), scale=self.scale_step
        )
        proposals = [
            BoxProposal(np.array([x, y, x + w, y + h], np.float32) / upscale, float(s))
            for (x, y, w, h), s in zip(np.asarray(rects).reshape(-1, 4), np.ravel(weights))
        ]
        return sorted(proposals, key=lambda p: -p.score)


class SegmentationProposer:
    """Person regions from MediaPipe's selfie-segmentation model on the whole frame.

    The model (``selfie_segmentation.tflite``, 256 x 256, or its 144 x 256 landscape variant for wide
    frames, both in the mediapipe wheel) gives a person probability per pixel; each connected region above
    ``threshold`` covering at least ``min_area`` of the frame becomes a box, widened by ``margin`` of its
    size (the landmark model then finds the person inside and refines the region).

    Raises:
        ModelLoadError: the model file is missing or LiteRT cannot load it.
    """

    name = "segmentation"

    def __init__(self, threshold: float = 0.5, min_area: float = 0.003, margin: float = 0.1, threads: int = 1) -> None:
        import mediapipe

        from ..errors import ModelLoadError
        from .blazepose import litert_available

        if not 0.0 < threshold < 1.0 or not 0.0 < min_area < 1.0 or margin < 0:
            raise ConfigError(f"segmentation proposer: threshold and min_area in (0, 1), margin >= 0; got "
                              f"{threshold}, {min_area}, {margin}")  # fmt: skip
        self.threshold, self.min_area, self.margin = threshold, min_area, margin
        folder = Path(mediapipe.__file__).parent / "modules" / "selfie_segmentation"
        self._models = {}
        for key, name in (("square", "selfie_segmentation.tflite"), ("wide", "selfie_segmentation_landscape.tflite")):
            path = folder / name
            if not path.is_file():
                raise ModelLoadError(f"{path} is missing: arsdk needs mediapipe==0.10.21 (pip install mediapipe==0.10.21)")
            self._models[key] = _SegmentationModel(path, threads) if litert_available() else _OpenCvSegmentation(path)
        self._last: tuple[np.ndarray, np.ndarray] | None = None  # (frame, its probability)

    def probability(self, image_bgr: np.ndarray) -> np.ndarray:
        """(H, W) float32 person probability over the frame. The map :meth:`propose` made is kept: asked for
        the frame it last proposed on (the estimator's look where nobody was read, after the proposals) it is
        not computed twice."""
        if self._last is not None and self._last[0] is image_bgr:
            return self._last[1]
        return self._computed(image_bgr)

    def _computed(self, image_bgr: np.ndarray) -> np.ndarray:
        h, w = image_bgr.shape[:2]
        model = self._models["wide" if w >= 1.5 * h else "square"]
        return cv2.resize(model(image_bgr), (w, h), interpolation=cv2.INTER_LINEAR)

    def propose(self, image_bgr: np.ndarray) -> list[BoxProposal]:
        """Boxes of the person regions, most confident first."""
        h, w = image_bgr.shape[:2]
        # always computed afresh: a caller that reads every frame into the same array passes the same object
        probability = self._computed(image_bgr)
        self._last = (image_bgr, probability)
        count, labels, stats, _ = cv2.connectedComponentsWithStats((probability >= self.threshold).astype(np.uint8))
        proposals = []
        for k in range(1, count):
            x, y, bw, bh, area = (int(v) for v in stats[k])
            if area < self.min_area * w * h:
                continue
            mx, my = self.margin * bw, self.margin * bh
            box = np.array([max(x - mx, 0), max(y - my, 0), min(x + bw + mx, w), min(y + bh + my, h)], np.float32)
            proposals.append(BoxProposal(box, float(probability[labels == k].mean()), self.name))
        return sorted(proposals, key=lambda p: -p.score)


class _SegmentationModel:
    """The selfie-segmentation model on LiteRT: BGR frame in, (h, w) probability on the model's grid out."""

    def __init__(self, path: Path, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self._interpreter.allocate_tensors()
        detail = self._interpreter.get_input_details()[0]
        self._input, (_, self._h, self._w, _) = detail["index"], (int(v) for v in detail["shape"])
        self._output = self._interpreter.get_output_details()[0]["index"]

    def __call__(self, image_bgr: np.ndarray) -> np.ndarray:
        small = cv2.resize(image_bgr, (self._w, self._h), interpolation=cv2.INTER_AREA)
        self._interpreter.set_tensor(self._input, small[None, :, :, ::-1].astype(np.float32) / 255.0)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)[0, :, :, 0].copy()


class _OpenCvSegmentation:
    """The same model through OpenCV's DNN module (without the ai-edge-litert wheel)."""

    def __init__(self, path: Path) -> None:
        self._net = cv2.dnn.readNetFromTFLite(str(path))
        self._h, self._w = (144, 256) if "landscape" in path.name else (256, 256)

    def __call__(self, image_bgr: np.ndarray) -> np.ndarray:
        blob = cv2.dnn.blobFromImage(image_bgr, 1.0 / 255.0, (self._w, self._h), swapRB=True)
        self._net.setInput(blob.transpose(0, 2, 3, 1))
        return np.asarray(self._net.forward()).reshape(self._h, self._w)


class BlazePoseProposer:
    """MediaPipe's Tasks ``PoseLandmarker`` on the whole frame, returning full ``Person`` objects.

    Args:
        task_path: the ``.task`` bundle (see :func:`arsdk.estimators.models.pose_landmarker_task`).
        max_persons: ``num_poses`` of the landmarker.
        min_detection_score: BlazePose detector threshold.
    """

    def __init__(self, task_path: Path, max_persons: int = 10, min_detection_score: float = 0.5) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(task_path)),
            running_mode=vision.RunningMode.IMAGE,
            num_poses=max_persons,
            min_pose_detection_confidence=min_detection_score,
            min_pose_presence_confidence=0.5,
            output_segmentation_masks=True,
        )
        self._landmarker = vision.PoseLandmarker.create_from_options(options)

    def propose(self, image_bgr: np.ndarray) -> list[Person]:
        """The people the BlazePose detector finds, with landmarks and masks in frame pixels."""
        import mediapipe as mp

        h, w = image_bgr.shape[:2]
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        result = self._landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        masks = result.segmentation_masks or [None] * len(result.pose_landmarks)
        persons = []
        for points, world, mask in zip(result.pose_landmarks, result.pose_world_landmarks, masks):
            raw = np.array([[p.x * w, p.y * h, p.z * w, p.visibility, p.presence] for p in points], np.float32)
            landmarks = Landmarks(
                xy_px=raw[:NUM_LANDMARKS, :2].copy(),
                z_px=raw[:NUM_LANDMARKS, 2].copy(),
                visibility=raw[:NUM_LANDMARKS, 3].copy(),
                presence=raw[:NUM_LANDMARKS, 4].copy(),
            )
            world_xyz = np.array([[p.x, p.y, p.z] for p in world], np.float32)[:NUM_LANDMARKS]
            raster = _mask_raster(mask.numpy_view() if mask is not None else None, landmarks, (w, h))
            box = person_box(landmarks, raster, (w, h))
            persons.append(
                Person(
                    box_xyxy=box,
                    score=float(np.clip(np.mean(raw[[0, 11, 12, 23, 24], 4]), 0.0, 1.0)),
                    landmarks=landmarks,
                    world_landmarks=WorldLandmarks(world_xyz),
                    mask=raster,
                    proposal="blazepose",
                )
            )
        return persons

    def close(self) -> None:
        """Release the MediaPipe graph."""
        self._landmarker.close()


def _mask_raster(mask: np.ndarray | None, landmarks: Landmarks, resolution_wh: tuple[int, int]) -> BoxRaster:
    """Cut a full-frame probability mask down to the box around the person."""
    w, h = resolution_wh
    pts = landmarks.xy_px[landmarks.visible(0.3)]
    if mask is None or pts.size == 0:
        return BoxRaster((0, 0, 0, 0), np.zeros((0, 0), np.float32))
    span = pts.max(axis=0) - pts.min(axis=0)
    margin = 0.35 * float(max(span.max(), 1.0))
    x0, y0 = (np.floor(pts.min(axis=0) - margin)).astype(int)
    x1, y1 = (np.ceil(pts.max(axis=0) + margin)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    data = np.ascontiguousarray(mask.reshape(h, w)[y0:y1, x0:x1], dtype=np.float32)
    return BoxRaster((int(x0), int(y0), int(x1), int(y1)), data)


def person_box(landmarks: Landmarks, mask: BoxRaster | None, resolution_wh: tuple[int, int]) -> np.ndarray:
    """The person's box: the union of the mask (p >= 0.5) and the visible landmarks, clipped to the frame."""
    w, h = resolution_wh
    pts = landmarks.xy_px[landmarks.visible(0.5)]
    if pts.size == 0:
        pts = landmarks.xy_px
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    if mask is not None and mask.data.size:
        fg = mask.data >= 0.5
        rows, cols = np.flatnonzero(fg.any(axis=1)), np.flatnonzero(fg.any(axis=0))
        if rows.size:
            mx0, my0 = mask.xyxy[0] + cols[0], mask.xyxy[1] + rows[0]
            mx1, my1 = mask.xyxy[0] + cols[-1] + 1, mask.xyxy[1] + rows[-1] + 1
            x0, y0, x1, y1 = min(x0, mx0), min(y0, my0), max(x1, mx1), max(y1, my1)
    return np.array([max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)], np.float32)
