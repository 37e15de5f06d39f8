"""The per-person tracker: stable IDs through crossings, occlusions and short exits.

Per frame (``update``):

1. every track's Kalman filter predicts its box;
2. confident detections are matched to confirmed and recently lost tracks (Hungarian assignment on
   1 - IoU, plus an appearance term where both atlases share texels; an appearance veto stops swaps);
3. low-score detections are matched to the confirmed tracks still unmatched (ByteTrack's second stage:
   a partly hidden person keeps its ID);
4. tentative tracks take what confident detections are left;
5. detections still unmatched are compared by appearance with every lost track kept (``max_lost_ms``):
   a person coming back after an occlusion or a short exit gets its old ID, wherever it reappears;
6. the rest start tentative tracks, confirmed after ``min_hits`` matches.

Outputs are new ``Person`` objects (inputs are never modified) with ``track_id``, a smoothed box and
landmarks (One Euro filter), and statistics in ``attributes``.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..errors import ConfigError
from ..estimators.proposals import box_iou
from ..types import Landmarks, Person
from .appearance import AppearanceModel, appearance_distance, appearance_of
from .kalman import BoxKalman
from .one_euro import OneEuroFilter
from .stats import colour_name, direction_name, facing, person_height_m, pose_states

__all__ = ["TrackerOptions", "PersonTracker", "TrackState", "Track"]

_INFEASIBLE = 1e6


class TrackState(enum.Enum):
    """A track's life: tentative until confirmed; lost while unmatched; removed when too old."""

    TENTATIVE = "tentative"
    CONFIRMED = "confirmed"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class TrackerOptions:
    """Options of :class:`PersonTracker`; defaults work on the sample footage. All range-checked.

    Attributes:
        high_score: detections at least this confident take part in the first association.
        low_score: detections below this are ignored; between the two, the second association.
        new_track_score: an unmatched detection needs this score to start a track.
        match_iou: IoU a confident detection needs with a track's predicted box.
        low_match_iou: IoU a low-score detection needs.
        min_hits: matches that confirm a tentative track (the first frame's people are confirmed at once).
        motion_lost_ms: how long a lost track is still matched by its predicted box.
        max_lost_ms: how long a lost track is kept for re-identification by appearance.
        appearance: use appearance (needs people with IUV and the frame image).
        appearance_weight: weight of the appearance distance in the association cost.
        lost_penalty: added to the association cost of a track that missed the previous frame: when one
            detection could continue either of two people walking together (one hidden behind the other),
            the one seen last keeps it instead of the ID flipping between them from frame to frame.
        reid_max_distance: appearance distance below which a detection re-attaches to a lost track.
        veto_distance: appearance distance above which a detection may not take a track at all.
        smoothing: One Euro filtering of boxes and landmarks.
        min_cutoff_hz, beta: One Euro parameters (lower cut-off: smoother; higher beta: less lag).
    """

    high_score: float = 0.6
    low_score: float = 0.1
    new_track_score: float = 0.65
    match_iou: float = 0.2
    low_match_iou: float = 0.4
    min_hits: int = 2
    motion_lost_ms: float = 1500.0
    max_lost_ms: float = 15000.0
    appearance: bool = True
    appearance_weight: float = 0.5
    lost_penalty: float = 0.1
    reid_max_distance: float = 0.1
    veto_distance: float = 0.25
    smoothing: bool = True
    min_cutoff_hz: float = 1.5
    beta: float = 0.02

    def __post_init__(self) -> None:
        for name in ("high_score", "low_score", "new_track_score", "match_iou", "low_match_iou"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"TrackerOptions.{name} must be in [0, 1], got {value}")
        if self.low_score > self.high_score:
            raise ConfigError(f"low_score ({self.low_score}) must not exceed high_score ({self.high_score})")
        if not 0.0 <= self.lost_penalty <= 1.0:
            raise ConfigError(f"TrackerOptions.lost_penalty must be in [0, 1], got {self.lost_penalty}")
        if self.min_hits < 1:
            raise ConfigError(f"min_hits must be >= 1, got {self.min_hits}")
        if not 0 <= self.motion_lost_ms <= self.max_lost_ms:
            raise ConfigError("need 0 <= motion_lost_ms <= max_lost_ms")
        if not 0 < self.reid_max_distance <= self.veto_distance <= 1:
            raise ConfigError("need 0 < reid_max_distance <= veto_distance <= 1")
        if self.min_cutoff_hz <= 0 or self.beta < 0:
            raise ConfigError("min_cutoff_hz must be > 0 and beta >= 0")


@dataclass(eq=False)
class Track:
    """One person followed over time (internal state, readable for debugging)."""

    kalman: BoxKalman
    first_ms: float
    last_ms: float
    score: float
    state: TrackState = TrackState.TENTATIVE
    track_id: int | None = None
    hits: int = 1
    appearance: AppearanceModel | None = None
    box_filter: OneEuroFilter | None = None
    landmark_filter: OneEuroFilter | None = None
    px_per_m: float | None = None
    travelled: list = field(default_factory=list)


class PersonTracker:
    """Gives people stable IDs. Satisfies :class:`arsdk.protocols.Tracker`.

    Example:
        >>> tracker = PersonTracker()  # doctest: +SKIP
        >>> for frame in source:
        ...     tracked = tracker.update(estimator.infer(frame), frame.timestamp_ms, frame.image_bgr)
    """

    def __init__(self, options: TrackerOptions | None = None) -> None:
        self.options = options or TrackerOptions()
        self.tracks: list[Track] = []
        self._ids = itertools.count(1)
        self._last_ms: float | None = None
        self._frame_ms: float | None = None

    def reset(self) -> None:
        """Forget every track (for a new video, or after a seek)."""
        self.tracks, self._ids, self._last_ms, self._frame_ms = [], itertools.count(1), None, None

    def update(
        self, persons: tuple[Person, ...] | list[Person], timestamp_ms: float, image_bgr: np.ndarray | None = None
    ) -> tuple[Person, ...]:
        """Track one frame's people.

        Args:
            persons: the estimator's people for this frame.
            timestamp_ms: the frame's time; must increase from call to call.
            image_bgr: the frame, for appearance (optional; without it tracking uses motion only).

        Returns:
            The same people, in the same order, as new objects: ``track_id`` set for those on confirmed
            tracks (None for tentative tracks and unmatched detections), boxes and landmarks smoothed,
            statistics in ``attributes``.

        Raises:
            ValueError: ``timestamp_ms`` did not increase.
        """
        opts = self.options
        if self._last_ms is not None and timestamp_ms <= self._last_ms:
            raise ConfigError(f"timestamps must increase: got {timestamp_ms} ms after {self._last_ms} ms")
        first_frame = self._last_ms is None
        dt_frames = 1.0
        if self._last_ms is not None:
            delta = timestamp_ms - self._last_ms
            self._frame_ms = delta if self._frame_ms is None else 0.9 * self._frame_ms + 0.1 * delta
            dt_frames = delta / max(self._frame_ms, 1e-3)
        self._last_ms = timestamp_ms
        # after a gap in the frames (a stream that reconnected, a paused source) time still counts: tracks
        # unseen for longer than the tracker keeps anyone are gone, and tracks unseen for longer than motion
        # can bridge are lost (re-identified by appearance only)
        self.tracks = [t for t in self.tracks if timestamp_ms - t.last_ms <= opts.max_lost_ms]
        for track in self.tracks:
            if track.state is TrackState.CONFIRMED and timestamp_ms - track.last_ms > opts.motion_lost_ms:
                track.state = TrackState.LOST
            track.kalman.predict(dt_frames)

        n = len(persons)
        boxes = np.stack([p.box_xyxy for p in persons]).astype(np.float64) if n else np.zeros((0, 4))
        scores = np.array([p.score for p in persons])
        looks = _Looks(persons, image_bgr if opts.appearance else None, scores >= opts.low_score)
        high = [i for i in range(n) if scores[i] >= opts.high_score]
        low = [i for i in range(n) if opts.low_score <= scores[i] < opts.high_score]
        match: dict[int, Track] = {}

        active = [t for t in self.tracks if t.state is TrackState.CONFIRMED
                  or (t.state is TrackState.LOST and timestamp_ms - t.last_ms <= opts.motion_lost_ms)]  # fmt: skip
        left_high, left_tracks = self._associate(high, active, boxes, looks, opts.match_iou, match)
        still = [t for t in left_tracks if t.state is TrackState.CONFIRMED]
        self._associate(low, still, boxes, looks, opts.low_match_iou, match, use_appearance=False)
        tentative = [t for t in self.tracks if t.state is TrackState.TENTATIVE]
        left_high, _ = self._associate(left_high, tentative, boxes, looks, opts.match_iou, match)
        lost = [t for t in self.tracks if t.state is TrackState.LOST and t not in match.values()]
        left_high = self._reidentify(left_high, lost, looks, match, boxes)

        for i in left_high:
            if scores[i] >= opts.new_track_score:
                track = Track(BoxKalman(boxes[i]), timestamp_ms, timestamp_ms, float(scores[i]))
                if opts.appearance:
                    track.appearance = AppearanceModel()
                self.tracks.append(track)
                match[i] = track
                if first_frame or opts.min_hits <= 1:
                    self._confirm(track)

        overlapping = box_iou(boxes, boxes) if n else np.zeros((0, 0))
        matched_tracks = set()
        for i, track in match.items():
            matched_tracks.add(id(track))
            if track.last_ms != timestamp_ms:  # an existing track (a track started this frame is set up)
                track.kalman.update(boxes[i])
                track.hits += 1
                track.last_ms = timestamp_ms
                track.score = float(scores[i])
            clear = n < 2 or float(np.max(np.delete(overlapping[i], i))) < 0.3
            refresh = track.appearance is not None and (track.appearance.updates < 3 or track.hits % _APPEARANCE_EVERY == 0)
            if refresh and clear and looks[i] is not None:
                track.appearance.update(looks[i])
            if track.state is TrackState.LOST or (track.state is TrackState.TENTATIVE and track.hits >= opts.min_hits):
                self._confirm(track)
        survivors = []
        for track in self.tracks:
            if id(track) not in matched_tracks:
                if track.state is TrackState.TENTATIVE:
                    continue
                track.state = TrackState.LOST  # dropped once unseen for max_lost_ms (at the start of update)
            survivors.append(track)
        self.tracks = survivors

        out = []
        for i, person in enumerate(persons):
            track = match.get(i)
            if track is None or track.state is not TrackState.CONFIRMED:
                out.append(person.replace(track_id=None))
            else:
                out.append(self._output(person, track, timestamp_ms))
        return tuple(out)

    # -- association ---------------------------------------------------------------------------------------

    def _associate(
        self,
        detections: list[int],
        tracks: list[Track],
        boxes: np.ndarray,
        looks: list,
        min_iou: float,
        match: dict[int, Track],
        use_appearance: bool = True,
    ) -> tuple[list[int], list[Track]]:
        """Hungarian assignment of ``detections`` to ``tracks``; fills ``match``; returns what is left."""
        if not detections or not tracks:
            return list(detections), list(tracks)
        predicted = np.stack([t.kalman.box_xyxy for t in tracks])
        iou = box_iou(boxes[detections], predicted)
        cost = 1.0 - iou + self.options.lost_penalty * np.array([t.state is TrackState.LOST for t in tracks])
        cost[iou < min_iou] = _INFEASIBLE
        if use_appearance and self.options.appearance:
            feasible = cost < _INFEASIBLE
            for r, i in enumerate(detections):
                # one detection and one track that only have each other: motion decides (no appearance needed)
                candidates = np.flatnonzero(feasible[r])
                if len(candidates) == 0 or (len(candidates) == 1 and feasible[:, candidates[0]].sum() == 1):
                    continue
                if looks[i] is None:
                    continue
                for c, track in enumerate(tracks):
                    if cost[r, c] >= _INFEASIBLE or track.appearance is None or track.appearance.updates == 0:
                        continue
                    distance = appearance_distance(looks[i], track.appearance.atlas)
                    if distance is None:
                        continue
                    if distance > self.options.veto_distance:
                        cost[r, c] = _INFEASIBLE
                    else:
                        cost[r, c] += self.options.appearance_weight * distance
        rows, cols = linear_sum_assignment(cost)
        taken_rows, taken_cols = set(), set()
        for r, c in zip(rows, cols):
            if cost[r, c] < _INFEASIBLE:
                match[detections[r]] = tracks[c]
                taken_rows.add(r)
                taken_cols.add(c)
        return ([d for r, d in enumerate(detections) if r not in taken_rows],
                [t for c, t in enumerate(tracks) if c not in taken_cols])  # fmt: skip

    def _reidentify(
        self, detections: list[int], lost: list[Track], looks: list, match: dict[int, Track], boxes: np.ndarray
    ) -> list[int]:
        """Re-attach detections to lost tracks by appearance alone (after occlusions and exits)."""
        candidates = [i for i in detections if looks[i] is not None]
        tracks = [t for t in lost if t.appearance is not None and t.appearance.updates > 0 and t.track_id is not None]
        if not candidates or not tracks:
            return detections
        cost = np.full((len(candidates), len(tracks)), _INFEASIBLE)
        for r, i in enumerate(candidates):
            for c, track in enumerate(tracks):
                distance = appearance_distance(looks[i], track.appearance.atlas)
                if distance is not None and distance < self.options.reid_max_distance:
                    cost[r, c] = distance
        rows, cols = linear_sum_assignment(cost)
        taken = set()
        for r, c in zip(rows, cols):
            if cost[r, c] < _INFEASIBLE:
                match[candidates[r]] = tracks[c]
                tracks[c].kalman = BoxKalman(boxes[candidates[r]])  # it reappears elsewhere: restart motion
                taken.add(candidates[r])
        return [i for i in detections if i not in taken]

    def _confirm(self, track: Track) -> None:
        """Confirm a track; a new one first looks for a lost track it may be (same appearance) and takes its ID."""
        if track.track_id is None and track.appearance is not None and track.appearance.updates:
            best, best_distance = None, self.options.reid_max_distance
            for other in self.tracks:
                if other.state is not TrackState.LOST or other.appearance is None or not other.appearance.updates:
                    continue
                distance = appearance_distance(track.appearance.atlas, other.appearance.atlas)
                if distance is not None and distance < best_distance:
                    best, best_distance = other, distance
            if best is not None:
                track.track_id, track.first_ms = best.track_id, best.first_ms
                self.tracks.remove(best)
        track.state = TrackState.CONFIRMED
        if track.track_id is None:
            track.track_id = next(self._ids)

    # -- output --------------------------------------------------------------------------------------------

    def _output(self, person: Person, track: Track, timestamp_ms: float) -> Person:
        opts = self.options
        box = person.box_xyxy
        landmarks = person.landmarks
        time_s = timestamp_ms / 1000.0
        if opts.smoothing:
            track.box_filter = track.box_filter or OneEuroFilter(opts.min_cutoff_hz, opts.beta)
            box = track.box_filter(box, time_s).astype(np.float32)
            if landmarks is not None:
                track.landmark_filter = track.landmark_filter or OneEuroFilter(opts.min_cutoff_hz, opts.beta)
                xy = track.landmark_filter(landmarks.xy_px, time_s).astype(np.float32)
                landmarks = Landmarks(xy, landmarks.z_px, landmarks.visibility, landmarks.presence)
        return person.replace(
            track_id=track.track_id,
            box_xyxy=box,
            landmarks=landmarks,
            attributes={**person.attributes, **self._stats(person, track, timestamp_ms)},
        )

    def _stats(self, person: Person, track: Track, timestamp_ms: float) -> dict:
        frame_s = (self._frame_ms or 100.0) / 1000.0
        vx, vy = (float(v) / frame_s for v in track.kalman.velocity_px_per_frame)
        height_px = float(track.kalman.mean[3])
        growth = float(track.kalman.mean[7]) / frame_s / max(height_px, 1.0)
        speed_px_s = float(np.hypot(vx, vy))
        height_m = person_height_m(person)
        if height_m is not None:
            scale = person.height_px / height_m
            track.px_per_m = scale if track.px_per_m is None else 0.9 * track.px_per_m + 0.1 * scale
        stats = {
            "time_on_screen_s": round((timestamp_ms - track.first_ms) / 1000.0, 2),
            "speed_px_s": round(speed_px_s, 1),
            "speed_m_s": round(speed_px_s / track.px_per_m, 2) if track.px_per_m else None,
            "direction": direction_name(vx, vy, growth, min_speed=0.1 * height_px),
            "facing": facing(person),
            "pose": pose_states(person),
        }
        if track.appearance is not None and track.appearance.updates:
            acc = track.appearance.atlas
            torso = acc.weight[:2] > 1e-3
            if torso.any():
                bgr = acc.sum_bgr[:2][torso].sum(0) / acc.weight[:2][torso].sum()
                stats["clothing_colour"] = colour_name(bgr)
                stats["clothing_bgr"] = [int(round(v)) for v in bgr]
        return stats


_APPEARANCE_EVERY = 3
"""A confirmed track's appearance model takes in a new look every this many frames (after its first three)."""


class _Looks:
    """Each detection's appearance (a small atlas), computed the first time it is asked for: unambiguous
    matches never need one, and models are refreshed only every few frames."""

    def __init__(self, persons, image_bgr: np.ndarray | None, usable: np.ndarray) -> None:  # noqa: ANN001
        self._persons, self._image, self._usable = persons, image_bgr, usable
        self._cache: dict[int, object] = {}

    def __getitem__(self, index: int):  # noqa: ANN204 - an appearance atlas or None
        if self._image is None or not self._usable[index]:
            return None
        if index not in self._cache:
            self._cache[index] = appearance_of(self._image, self._persons[index])
        return self._cache[index]
