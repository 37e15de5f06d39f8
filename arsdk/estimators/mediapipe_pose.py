"""The default estimator: multi-person BlazePose on the CPU, with proposals for small and turned people.

Per frame: proposals (BlazePose on the whole frame, HOG people boxes, and in VIDEO mode the ROIs that
last frame's people predict) -> the landmark model on each ROI (33 landmarks, world landmarks, mask) ->
duplicates removed -> people sorted nearest first.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..densepose.charts import DenseChartOptions, DenseIUVStage
from ..errors import ConfigError
from ..types import Frame, Person
from .blazepose import BlazePoseLandmarkModel, LandmarkResult
from .models import find_model_files, pose_landmarker_task
from .proposals import BlazePoseProposer, HogProposer, box_iou, person_box
from .roi import Roi, roi_from_box, roi_from_landmarks

__all__ = ["RunMode", "PoseEstimatorOptions", "MediaPipePoseEstimator"]

log = logging.getLogger(__name__)


class RunMode(enum.Enum):
    """IMAGE: every frame on its own. VIDEO: frames in order; people found last frame are followed."""

    IMAGE = "image"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class PoseEstimatorOptions:
    """Options of :class:`MediaPipePoseEstimator`. Defaults work on the sample footage.

    Attributes:
        running_mode: IMAGE or VIDEO (see :class:`RunMode`).
        max_persons: at most this many people per frame.
        min_person_score: the landmark model's pose-presence probability a person needs.
        use_blazepose: run the BlazePose detector on the whole frame (large people, any pose).
        use_hog: run the HOG people detector (small people, hidden faces).
        hog_min_height_px: smallest person height the HOG stage looks for.
        refine_passes: extra landmark passes on ROIs that came from a box (a HOG box is upright and
            loose; the first pass's alignment points give a tight, rotated ROI).
        proposal_interval: VIDEO mode: run the proposal stages on every n-th frame only and follow known
            people in between (1 = every frame).
        flip_test: run the landmark model on each region and on its mirror image and average the two (more
            accurate and left/right-consistent; twice the landmark cost). People the BlazePose detector finds
            then also go through arsdk's landmark pass.
        dense_iuv: give every person DensePose's IUV (part index and chart coordinates) per pixel.
        dense_options: options of the dense-pose stage.
        min_dedup_distance: two people whose head/torso landmarks lie closer than this fraction of their
            torso length are one person.
        task_path: override the ``.task`` bundle (default: built from the mediapipe wheel).
        landmark_model_path: override ``pose_landmark_full.tflite``.
    """

    running_mode: RunMode = RunMode.IMAGE
    max_persons: int = 10
    min_person_score: float = 0.5
    use_blazepose: bool = True
    use_hog: bool = True
    hog_min_height_px: float = 64.0
    refine_passes: int = 1
    proposal_interval: int = 1
    flip_test: bool = False
    dense_iuv: bool = True
    dense_options: DenseChartOptions = field(default_factory=DenseChartOptions)
    min_dedup_distance: float = 0.35
    task_path: Path | None = None
    landmark_model_path: Path | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.max_persons <= 100:
            raise ConfigError(f"max_persons must be in 1..100, got {self.max_persons}")
        if not 0.0 <= self.min_person_score <= 1.0:
            raise ConfigError(f"min_person_score must be in [0, 1], got {self.min_person_score}")
        if not (self.use_blazepose or self.use_hog):
            raise ConfigError("enable at least one proposal stage: use_blazepose or use_hog")
        if not 0 <= self.refine_passes <= 3:
            raise ConfigError(f"refine_passes must be in 0..3, got {self.refine_passes}")
        if self.proposal_interval < 1:
            raise ConfigError(f"proposal_interval must be >= 1, got {self.proposal_interval}")
        if self.hog_min_height_px <= 0:
            raise ConfigError(f"hog_min_height_px must be > 0, got {self.hog_min_height_px}")


@dataclass(slots=True)
class _StageClock:
    """Milliseconds per sub-stage of the last ``infer`` call."""

    last_ms: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, start: float) -> None:
        self.last_ms[name] = self.last_ms.get(name, 0.0) + (time.perf_counter() - start) * 1000.0


class MediaPipePoseEstimator:
    """Multi-person BlazePose with person proposals. A context manager; not thread-safe.

    Example:
        >>> with MediaPipePoseEstimator(PoseEstimatorOptions()) as estimator:  # doctest: +SKIP
        ...     persons = estimator.infer(frame)

    Raises:
        ModelLoadError: the models cannot be found or loaded.
    """

    def __init__(self, options: PoseEstimatorOptions | None = None) -> None:
        self.options = options or PoseEstimatorOptions()
        files = find_model_files()
        self._landmarker = BlazePoseLandmarkModel(self.options.landmark_model_path or files.landmarks)
        self._blazepose = (
            BlazePoseProposer(self.options.task_path or pose_landmarker_task(files), self.options.max_persons)
            if self.options.use_blazepose
            else None
        )
        self._hog = HogProposer(self.options.hog_min_height_px) if self.options.use_hog else None
        self._dense = DenseIUVStage(self.options.dense_options) if self.options.dense_iuv else None
        self._tracked_rois: list[Roi] = []
        self._last_index = -1
        self._frames_since_proposals = 0
        self.clock = _StageClock()

    @classmethod
    def create_from_options(cls, options: PoseEstimatorOptions) -> MediaPipePoseEstimator:
        """Build an estimator (MediaPipe-style factory)."""
        return cls(options)

    def __enter__(self) -> MediaPipePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the MediaPipe graph; safe to call twice."""
        if self._blazepose is not None:
            self._blazepose.close()
            self._blazepose = None

    def infer(self, frame: Frame) -> tuple[Person, ...]:
        """The people in ``frame``, nearest (largest) first.

        Raises:
            ValueError: in VIDEO mode, a frame whose index does not increase.
        """
        video = self.options.running_mode is RunMode.VIDEO
        if video and frame.index <= self._last_index:
            raise ConfigError(
                f"VIDEO mode needs increasing frame indices, got {frame.index} after {self._last_index}; "
                "use RunMode.IMAGE for unordered images"
            )
        self._last_index = frame.index
        self.clock.last_ms = {}
        image = frame.image_bgr
        wh = frame.resolution_wh

        run_proposals = not video or not self._tracked_rois or self._frames_since_proposals + 1 >= (
            self.options.proposal_interval
        )
        self._frames_since_proposals = 0 if run_proposals else self._frames_since_proposals + 1

        persons: list[Person] = []
        if video:
            start = time.perf_counter()
            for roi in self._tracked_rois:
                result = self._landmarker.infer(image, roi, self.options.flip_test)
                if result.score >= self.options.min_person_score:
                    person = self._to_person(result, wh, "track")
                    if not self._is_duplicate(person, persons):
                        persons.append(person)
            self.clock.add("landmarks", start)

        if run_proposals and self._blazepose is not None:
            start = time.perf_counter()
            for person in self._blazepose.propose(image):
                if person.score >= self.options.min_person_score and not self._is_duplicate(person, persons):
                    persons.append(self._relandmark(image, person, wh) if self.options.flip_test else person)
            self.clock.add("proposals_blazepose", start)

        if run_proposals and self._hog is not None:
            start = time.perf_counter()
            boxes = self._hog.propose(image)
            self.clock.add("proposals_hog", start)
            start = time.perf_counter()
            for proposal in boxes:
                if len(persons) >= self.options.max_persons or self._box_covered(proposal.box_xyxy, persons):
                    continue
                flip = self.options.flip_test
                result = self._landmarker.infer(image, roi_from_box(proposal.box_xyxy), flip)
                for _ in range(self.options.refine_passes):
                    result = self._landmarker.infer(image, result.next_roi, flip)
                if result.score < self.options.min_person_score:
                    continue
                person = self._to_person(result, wh, "hog")
                if not self._is_duplicate(person, persons):
                    persons.append(person)
            self.clock.add("landmarks", start)

        persons.sort(key=lambda p: -p.height_px)
        persons = persons[: self.options.max_persons]
        if video:
            self._tracked_rois = [r for r in (self._next_roi(p) for p in persons) if r is not None]
        result = tuple(p.replace(attributes={k: v for k, v in p.attributes.items() if not k.startswith("_")}) for p in persons)
        if self._dense is not None:
            start = time.perf_counter()
            result = self._dense.apply(result, wh)
            self.clock.add("dense_iuv", start)
        return result

    def reset(self) -> None:
        """Forget the people followed in VIDEO mode (for example after a seek)."""
        self._tracked_rois = []
        self._last_index = -1

    # -- helpers -------------------------------------------------------------------------------------------

    def _relandmark(self, image: np.ndarray, person: Person, resolution_wh: tuple[int, int]) -> Person:
        """Run arsdk's own landmark pass (with flip test) on a person MediaPipe's graph found."""
        assert person.landmarks is not None
        roi = roi_from_landmarks(person.landmarks.xy_px, person.landmarks.visible(0.5))
        if roi is None:
            return person
        result = self._landmarker.infer(image, roi, True)
        result = self._landmarker.infer(image, result.next_roi, True)
        if result.score < self.options.min_person_score:
            return person
        return self._to_person(result, resolution_wh, person.proposal)

    def _to_person(self, result: LandmarkResult, resolution_wh: tuple[int, int], proposal: str) -> Person:
        box = person_box(result.landmarks, result.mask, resolution_wh)
        return Person(
            box_xyxy=box,
            score=result.score,
            landmarks=result.landmarks,
            world_landmarks=result.world_landmarks,
            mask=result.mask,
            proposal=proposal,
            attributes={"_next_roi": result.next_roi},
        )

    @staticmethod
    def _next_roi(person: Person) -> Roi | None:
        roi = person.attributes.get("_next_roi")
        if isinstance(roi, Roi):
            return roi
        if person.landmarks is None:
            return None
        return roi_from_landmarks(person.landmarks.xy_px, person.landmarks.visible(0.5))

    def _is_duplicate(self, person: Person, others: list[Person]) -> bool:
        return any(_same_person(person, other, self.options.min_dedup_distance) for other in others)

    @staticmethod
    def _box_covered(box_xyxy: np.ndarray, persons: list[Person]) -> bool:
        """A proposal box already explained by a person found before."""
        if not persons:
            return False
        boxes = np.stack([p.box_xyxy for p in persons])
        iou = box_iou(box_xyxy[None], boxes)[0]
        cx, cy = (box_xyxy[0] + box_xyxy[2]) / 2, (box_xyxy[1] + box_xyxy[3]) / 2
        height = box_xyxy[3] - box_xyxy[1]
        centre_inside = (
            (boxes[:, 0] <= cx) & (cx <= boxes[:, 2]) & (boxes[:, 1] <= cy) & (cy <= boxes[:, 3])
            & (np.abs((boxes[:, 3] - boxes[:, 1]) - height) < 0.35 * height)
        )  # fmt: skip
        return bool(np.any(iou > 0.5) or np.any(centre_inside))


_CORE_POINTS = np.array([0, 11, 12, 23, 24])


def _same_person(a: Person, b: Person, max_distance: float) -> bool:
    """True when two detections are one person: their head and torso landmarks coincide."""
    if a.landmarks is None or b.landmarks is None:
        return bool(box_iou(a.box_xyxy[None], b.box_xyxy[None])[0, 0] > 0.7)
    pa, pb = a.landmarks.xy_px[_CORE_POINTS], b.landmarks.xy_px[_CORE_POINTS]
    torso = max(_torso_length(a), _torso_length(b), 1.0)
    distance = np.linalg.norm(pa - pb, axis=1).mean()
    return bool(distance < max_distance * torso)


def _torso_length(person: Person) -> float:
    assert person.landmarks is not None
    xy = person.landmarks.xy_px
    return float(np.linalg.norm(xy[[11, 12]].mean(axis=0) - xy[[23, 24]].mean(axis=0)))
