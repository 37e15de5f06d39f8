"""The live pipeline against its ceiling and against MediaPipe, on the benchmark clips.

* ``estimator_alone``: arsdk's estimator (proposals, landmarks, dense IUV) on frames in memory, in frame
  order: the speed no pipeline around it can beat.
* ``end_to_end``: the whole pipeline from a video file: capture, estimator, tracker, texture and labels
  effects, JPEG encoding and ZeroMQ publishing to a subscriber on 127.0.0.1, with per-stage latency
  percentiles.
* ``as_live_source``: the same pipeline reading the clip from an HTTP MJPEG camera on 127.0.0.1 at 10 fps
  (a live source, set up as the command line sets one up: background search for new people, steady frame
  times, the stages after the estimator yielding to it, frames dropped rather than queued): the estimator's
  per-frame latency percentiles, whose p99 must stay within 2x the p50 (no stalls).
* ``against_mediapipe``: arsdk's frame time (estimator + tracker, one frame after the other) beside
  MediaPipe's own single-person pose (``mp.solutions.pose``, the speed users get today without dense
  output) on the same frames.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import zmq

from .. import Frame, MediaPipePoseEstimator, PersonTracker, Pipeline, PoseEstimatorOptions, RunMode, open_source
from ..compositor import Compositor, parse_effect
from ..estimators import LIVE_STEADY_FRAME_TIME
from ..pipeline import PipelineOptions
from ..transport import Publisher
from ..transport.endpoints import free_loopback_endpoint
from .clips import Clip
from .memory import PeakMemory
from .timing import percentiles

__all__ = ["estimator_options", "estimator_alone", "end_to_end", "alone_and_end_to_end", "against_mediapipe",
           "STAGES"]

STAGES = ("capture", "estimator.proposals_blazepose", "estimator.proposals_detector", "estimator.proposals_hog",
          "estimator.landmarks",
          "estimator.dense_iuv", "tracker", "compositor.texture", "compositor.labels", "publisher.encode",
          "publisher.send")  # fmt: skip
"""The stages the report breaks a frame into, in pipeline order."""


def estimator_options(max_persons: int = 10) -> PoseEstimatorOptions:
    """What ``arsdk run`` uses on videos: follow people, look for new ones every 5 to 30 frames."""
    return PoseEstimatorOptions(running_mode=RunMode.VIDEO, max_persons=max_persons, proposal_interval=5,
                                max_proposal_interval=30)


def estimator_alone(clip: Clip) -> dict:
    """Frames per second of the estimator alone and its frame-time percentiles."""
    frame_ms, people = [], []
    with PeakMemory() as memory, MediaPipePoseEstimator(estimator_options()) as estimator:
        start = time.perf_counter()
        for index, image in enumerate(clip.frames_bgr):
            t0 = time.perf_counter()
            people.append(len(estimator.infer(Frame(image, index, index * 40.0))))
            frame_ms.append((time.perf_counter() - t0) * 1000.0)
        wall_s = time.perf_counter() - start
    return {"fps": len(frame_ms) / wall_s, "frame_ms": percentiles(frame_ms), "people_mean": float(np.mean(people)),
            "peak_rss_mb": memory.peak_mb}  # fmt: skip


class _Receiver:
    """A ZeroMQ SUB socket on a thread that counts the messages it receives (a front-end stand-in)."""

    def __init__(self, endpoint: str) -> None:
        self.count = 0
        self._context = zmq.Context()
        self._socket = self._context.socket(zmq.SUB)
        self._socket.setsockopt(zmq.SUBSCRIBE, b"")
        self._socket.setsockopt(zmq.RCVTIMEO, 50)
        self._socket.connect(endpoint)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="arsdk-bench-receiver", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._socket.recv_multipart(copy=False)
                self.count += 1
            except zmq.Again:
                continue

    def __enter__(self) -> _Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close(linger=0)
        self._context.term()


def end_to_end(clip: Clip, effects: tuple[str, ...] = ("texture", "labels")) -> dict:
    """The whole pipeline on the clip's file (see :func:`write_clip`), publishing JPEG q85 frames to a local
    subscriber."""
    endpoint = free_loopback_endpoint()
    if clip.path is None:
        raise ValueError("end_to_end reads the clip's file: pass a clip from write_clip()")
    with PeakMemory() as memory, open_source(clip.path) as source, MediaPipePoseEstimator(estimator_options()) as estimator, \
            Compositor([parse_effect(e) for e in effects]) as compositor, Publisher(endpoint) as publisher, \
            _Receiver(endpoint) as receiver:  # fmt: skip
        time.sleep(0.2)  # let the subscription reach the publisher
        stats = Pipeline(source, estimator, tracker=PersonTracker(), compositor=compositor, sinks=[publisher]).run()
        time.sleep(0.1)
        received = receiver.count
    return {"fps": stats.fps, "frames": stats.frames, "people_mean": stats.persons / max(stats.frames, 1),
            "received": received, "stages_ms": stats.percentiles(), "peak_rss_mb": memory.peak_mb}  # fmt: skip


def alone_and_end_to_end(clip: Clip, rounds: int = 2) -> tuple[dict, dict]:
    """:func:`estimator_alone` and :func:`end_to_end` on the clip, ``rounds`` times each in the order alone,
    end to end, end to end, alone, ... so that a machine whose speed drifts during the run (a shared host's
    other tenants; the same code measured 20 and 35 fps alone in two runs an hour apart) slows both alike.
    Their ``fps`` are the means over the rounds (``rounds_fps`` lists each); the other measures are the
    first round's."""
    alone: list[dict] = []
    whole: list[dict] = []
    for k in range(rounds):
        if k % 2 == 0:
            alone.append(estimator_alone(clip))
            whole.append(end_to_end(clip))
        else:
            whole.append(end_to_end(clip))
            alone.append(estimator_alone(clip))

    def merged(runs: list[dict]) -> dict:
        fps = [run["fps"] for run in runs]
        return {**runs[0], "fps": float(np.mean(fps)), "rounds_fps": fps,
                "peak_rss_mb": max(run["peak_rss_mb"] for run in runs)}  # fmt: skip

    return merged(alone), merged(whole)


def as_live_source(clip: Clip, seconds: float = 15.0, fps: float = 10.0) -> dict:
    """The pipeline on the clip served as a live HTTP MJPEG camera: estimator latency percentiles."""
    from ..sources import SourceOptions
    from .cameras import MjpegHttpServer

    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, max_persons=10, proposal_interval=5,
                                   max_proposal_interval=30, background_proposals=True,
                                   steady_frame_time=LIVE_STEADY_FRAME_TIME)  # fmt: skip
    estimator_ms: list[float] = []

    class _Collect:
        def write(self, result) -> None:  # noqa: ANN001
            estimator_ms.append(result.timings_ms.get("estimator", 0.0))

        def close(self) -> None:
            pass

    with MjpegHttpServer(list(clip.frames_bgr), fps=fps) as camera, \
            open_source(camera.url, SourceOptions(open_timeout_ms=5000, read_timeout_ms=5000)) as source, \
            MediaPipePoseEstimator(options) as estimator, Compositor([parse_effect("labels")]) as compositor:  # fmt: skip
        pipeline = Pipeline(source, estimator, tracker=PersonTracker(), compositor=compositor, sinks=[_Collect()],
                            options=PipelineOptions(yield_to_estimator=True))  # fmt: skip
        stopper = threading.Timer(seconds, pipeline.stop)
        stopper.start()
        stats = pipeline.run()
        stopper.cancel()
    settled = estimator_ms[5:] or estimator_ms  # the first frames load models and start the search thread
    p = percentiles(settled)
    return {"frames": stats.frames, "dropped": stats.dropped, "estimator_ms": p,
            "p99_over_p50": p["p99"] / p["p50"] if p.get("p50") else None}  # fmt: skip


_WARM_UP_FRAMES = 10
"""Frames each side processes before its frame times count (model loading, caches, the first search)."""


def against_mediapipe(clip: Clip, max_persons: int = 1) -> dict:
    """Per-frame milliseconds: arsdk (estimator with dense IUV, and tracker) and ``mp.solutions.pose`` on the
    same frames, taking turns frame by frame (so that both see the same state of the machine), in the
    steady state (the first frames do not count). ``max_persons=1`` sets arsdk up for the same task as
    MediaPipe's single-person pose (it then searches for a person only while it follows nobody)."""
    import mediapipe as mp

    ours, theirs, found = [], [], 0
    with MediaPipePoseEstimator(estimator_options(max_persons)) as estimator, \
            mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:  # fmt: skip
        tracker = PersonTracker()
        for index, image in enumerate(clip.frames_bgr):
            t0 = time.perf_counter()
            persons = estimator.infer(Frame(image, index, index * 40.0))
            tracker.update(persons, index * 40.0, image)
            t1 = time.perf_counter()
            result = pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            t2 = time.perf_counter()
            ours.append((t1 - t0) * 1000.0)
            theirs.append((t2 - t1) * 1000.0)
            found += result.pose_landmarks is not None
    ours, theirs = ours[_WARM_UP_FRAMES:] or ours, theirs[_WARM_UP_FRAMES:] or theirs
    return {"arsdk_ms": percentiles(ours), "mediapipe_ms": percentiles(theirs), "mediapipe_found": found / len(clip.frames_bgr),
            "ratio": float(np.mean(ours) / np.mean(theirs)), "warm_up_frames": _WARM_UP_FRAMES}  # fmt: skip
