"""The pipeline: source -> estimator -> tracker -> compositor -> sinks, with stages overlapping in threads.

Four threads: a reader (decoding the next frame), the caller's thread (the estimator finding people,
mostly native code that releases the GIL), a post thread (the estimator's dense-IUV stage when it can be
handed out, then the tracker, in frame order) and a writer (the compositor, then encoding and the sinks).
While people are found on frame n, frame n-1 gets its IUV and is tracked, and frame n-2 is drawn, encoded
and published.
Files: every frame is processed, in order; the queues block. Live sources (cameras, streams): the source
keeps only the newest frame, the queues between threads hold one frame each, and a frame still waiting
for the estimator when a newer one arrives is dropped, so latency stays bounded instead of growing.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from .errors import ConfigError, SourceEndedEarly
from .protocols import Compositor, FrameSource, PoseEstimator, Sink, Tracker
from .threads import lower_thread_priority
from .types import FrameResult

__all__ = ["PipelineOptions", "PipelineStats", "Pipeline", "blas_threads_limited"]

log = logging.getLogger(__name__)

_STOP = object()


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """Attributes:
    max_frames: stop after this many frames (None: until the source ends).
    queue_size: frames buffered between threads (files only; live sources hold one frame per queue and
        drop stale ones).
    yield_to_estimator: run the post (dense IUV, tracker) and writer (compositor, sinks) threads at a lower OS
        priority (Linux: nice +10 per thread), for set-ups where the estimator alone sets the pace. Off by
        default: with the dense stage on the post thread that thread carries real work, and starving it
        measured slower on files. The command line turns it on for live sources, whose viewers wait for the
        estimator's frame time. Where lowering is not permitted this does nothing.
    dense_on_post_thread: when the estimator can hand out its dense-IUV stage
        (``detach_dense_stage``), run that stage on the post thread, before the tracker: the estimator's
        thread then only finds people, and the two halves overlap (timed as ``estimator.dense_iuv``).
    blas_threads: threads numpy's and scipy's BLAS (OpenBLAS) may use while the pipeline runs (through
        :func:`blas_threads_limited`; the process-wide setting is restored when the last of the runs going on
        in the process returns). The stages already run side by side, and BLAS's own helper threads only take
        the cores the other stages need: end to end on 2 cores (the benchmark's clips, two alternating runs
        each), 1 person 33.3 -> 35.5 fps, 2 people 18.4 -> 19.9, the vtest crowd 8.5 -> 9.7 with 1 instead of
        one per core. None leaves BLAS as it is. The estimator alone, outside a pipeline, keeps one BLAS
        thread per core (its dense stage runs faster so when nothing else runs beside it: the crowd 8.1
        against 7.2 fps).
    """

    max_frames: int | None = None
    queue_size: int = 4
    yield_to_estimator: bool = False
    dense_on_post_thread: bool = True
    blas_threads: int | None = 1

    def __post_init__(self) -> None:
        if self.max_frames is not None and self.max_frames < 1:
            raise ConfigError(f"max_frames must be >= 1, got {self.max_frames}")
        if self.queue_size < 1:
            raise ConfigError(f"queue_size must be >= 1, got {self.queue_size}")
        if self.blas_threads is not None and self.blas_threads < 1:
            raise ConfigError(f"blas_threads must be >= 1 or None, got {self.blas_threads}")


@dataclass(slots=True)
class PipelineStats:
    """What a run did: frames, wall time, per-stage milliseconds for every frame."""

    frames: int = 0
    persons: int = 0
    wall_s: float = 0.0
    stage_ms: dict[str, list[float]] = field(default_factory=dict)
    dropped: int = 0
    ended_early: SourceEndedEarly | None = None

    @property
    def fps(self) -> float:
        """Frames per second over the whole run."""
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def add(self, timings_ms: dict[str, float]) -> None:
        """Record one frame's stage timings."""
        for name, value in timings_ms.items():
            self.stage_ms.setdefault(name, []).append(value)

    def percentiles(self, q: Sequence[float] = (50, 90, 99)) -> dict[str, dict[str, float]]:
        """Per stage: the given latency percentiles and the mean, in milliseconds, and ``count``, the frames
        the stage ran on."""
        out = {}
        for name, values in self.stage_ms.items():
            arr = np.asarray(values)
            out[name] = {f"p{int(p)}": float(np.percentile(arr, p)) for p in q} | {"mean": float(arr.mean()), "count": int(arr.size)}
        return out


class Pipeline:
    """Runs frames from a source through the stages into the sinks.

    Args:
        source: where frames come from (closed by the caller, or use ``with``).
        estimator: finds people.
        tracker: gives them ids (None: skipped).
        compositor: draws the output image (None: the frame itself goes to the sinks).
        sinks: where results go.
        options: see :class:`PipelineOptions`.

    Example:
        >>> with open_source("clip.mp4") as src, MediaPipePoseEstimator() as est:  # doctest: +SKIP
        ...     stats = Pipeline(src, est, compositor=MarkPersons(), sinks=[VideoFileSink("out.mp4")]).run()
    """

    def __init__(
        self,
        source: FrameSource,
        estimator: PoseEstimator,
        tracker: Tracker | None = None,
        compositor: Compositor | None = None,
        sinks: Sequence[Sink] = (),
        options: PipelineOptions | None = None,
    ) -> None:
        self.source = source
        self.estimator = estimator
        self.tracker = tracker
        self.compositor = compositor
        self.sinks = list(sinks)
        self.options = options or PipelineOptions()
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask a running ``run()`` to finish after the current frame (thread-safe)."""
        self._stop.set()

    def process(self, frame) -> FrameResult:  # noqa: ANN001 - a Frame
        """Run the estimator, tracker and compositor on one frame (no threads, no sinks)."""
        persons, timings = self._estimate(frame)
        return self._compose(frame, self._track(frame, persons, timings), timings)

    def _estimate(self, frame) -> tuple[tuple, dict[str, float]]:  # noqa: ANN001 - a Frame
        timings: dict[str, float] = {}
        start = time.perf_counter()
        persons = self.estimator.infer(frame)
        timings["estimator"] = (time.perf_counter() - start) * 1000.0
        sub = getattr(getattr(self.estimator, "clock", None), "last_ms", None)
        if isinstance(sub, dict):
            timings.update({f"estimator.{k}": v for k, v in sub.items()})
        return persons, timings

    def _track(self, frame, persons, timings: dict[str, float], dense=None) -> tuple:  # noqa: ANN001
        """The dense stage (when handed to the pipeline) and the tracker: the post thread's part."""
        if dense is not None:
            start = time.perf_counter()
            persons = dense.apply(tuple(persons), frame.resolution_wh, frame.timestamp_ms)
            timings["estimator.dense_iuv"] = (time.perf_counter() - start) * 1000.0
        if self.tracker is not None:
            start = time.perf_counter()
            persons = self.tracker.update(persons, frame.timestamp_ms, frame.image_bgr)
            timings["tracker"] = (time.perf_counter() - start) * 1000.0
        return tuple(persons)

    def _compose(self, frame, persons: tuple, timings: dict[str, float]) -> FrameResult:  # noqa: ANN001
        """The compositor: the writer thread's part, before the sinks."""
        image = None
        labels: tuple[str | None, ...] = ()
        if self.compositor is not None:
            start = time.perf_counter()
            image = self.compositor.render(frame, persons)
            timings["compositor"] = (time.perf_counter() - start) * 1000.0
            effects = getattr(self.compositor, "last_ms", None)
            if isinstance(effects, dict):
                timings.update({f"compositor.{k}": v for k, v in effects.items()})
            drawn = getattr(self.compositor, "last_labels", None)
            if drawn:
                labels = tuple(drawn.get(i) for i in range(len(persons)))
        return FrameResult(frame=frame, persons=persons, image_bgr=image, timings_ms=timings, labels=labels)

    def queue_depths(self) -> dict[str, int]:
        """Frames waiting between the threads right now, by queue (empty when not running); each is bounded by
        ``PipelineOptions.queue_size``."""
        return {name: q.qsize() for name, q in getattr(self, "_queues", {}).items()}

    def run(self, on_result: Callable[[FrameResult], None] | None = None) -> PipelineStats:
        """Process the source to its end (or ``max_frames``, or ``stop()``).

        Args:
            on_result: called in the writer thread after the sinks, for progress bars and the like.

        Returns:
            The run's statistics. A truncated file is reported in ``stats.ended_early`` after every
            readable frame went through; the caller decides whether that is an error.

        Raises:
            Exception: whatever a stage or sink raises, after the other threads have stopped.
        """
        blas = self.options.blas_threads
        with blas_threads_limited(blas) if blas is not None else nullcontext():
            return self._run(on_result)

    def _run(self, on_result: Callable[[FrameResult], None] | None) -> PipelineStats:
        stats = PipelineStats()
        live = bool(getattr(self.source, "is_live", False))
        size = 1 if live else self.options.queue_size
        inbox: queue.Queue = queue.Queue(maxsize=size)
        estimated: queue.Queue = queue.Queue(maxsize=size)
        outbox: queue.Queue = queue.Queue(maxsize=size)
        stale = [0]  # live frames dropped for a newer one while waiting for the estimator
        self._queues = {"read": inbox, "estimated": estimated, "composited": outbox}
        errors: list[BaseException] = []
        self._stop.clear()
        detach = getattr(self.estimator, "detach_dense_stage", None) if self.options.dense_on_post_thread else None
        dense = detach() if callable(detach) else None

        def reader() -> None:
            count = 0
            try:
                while not self._stop.is_set():
                    if self.options.max_frames is not None and count >= self.options.max_frames:
                        break
                    start = time.perf_counter()
                    frame = self.source.read()
                    if frame is None:
                        break
                    item = (frame, (time.perf_counter() - start) * 1000.0)
                    if live:
                        stale[0] += _put_newest(inbox, item)
                    else:
                        _put(inbox, item, self._stop)
                    count += 1
            except SourceEndedEarly as exc:
                stats.ended_early = exc
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                errors.append(exc)
            finally:
                _put(inbox, _STOP, None)

        def writer() -> None:
            if self.options.yield_to_estimator:
                lower_thread_priority()
            try:
                while (tracked := outbox.get()) is not _STOP:
                    item = self._compose(*tracked)
                    start = time.perf_counter()
                    for sink in self.sinks:
                        sink.write(item)
                        parts = getattr(sink, "last_ms", None)
                        if isinstance(parts, dict):
                            item.timings_ms.update({f"{type(sink).__name__.lower()}.{k}": v for k, v in parts.items()})
                    item.timings_ms["sinks"] = (time.perf_counter() - start) * 1000.0
                    stats.add(item.timings_ms)
                    if on_result is not None:
                        on_result(item)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                errors.append(exc)
                self._stop.set()
                while outbox.get() is not _STOP:  # drain so the producer never blocks
                    pass

        def post() -> None:
            if self.options.yield_to_estimator:
                lower_thread_priority()
            try:
                while (item := estimated.get()) is not _STOP:
                    frame, persons, timings = item
                    if self._stop.is_set():
                        continue  # drain the estimator
                    persons = self._track(frame, persons, timings, dense)
                    stats.persons += len(persons)
                    outbox.put((frame, persons, timings))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                errors.append(exc)
                self._stop.set()
                while estimated.get() is not _STOP:  # drain so the estimator never blocks
                    pass
            finally:
                outbox.put(_STOP)

        threads = [threading.Thread(target=reader, name="arsdk-reader", daemon=True),
                   threading.Thread(target=post, name="arsdk-post", daemon=True),
                   threading.Thread(target=writer, name="arsdk-writer", daemon=True)]  # fmt: skip
        wall_start = time.perf_counter()
        for thread in threads:
            thread.start()
        try:
            while (item := inbox.get()) is not _STOP:
                frame, capture_ms = item
                if self._stop.is_set():
                    continue  # drain the reader
                persons, timings = self._estimate(frame)
                timings["capture"] = capture_ms
                stats.frames += 1
                _put(estimated, (frame, persons, timings), self._stop)
        except BaseException:
            self._stop.set()
            while inbox.get() is not _STOP:
                pass
            raise
        finally:
            estimated.put(_STOP)
            for thread in threads:
                thread.join()
            stats.wall_s = time.perf_counter() - wall_start
            stats.dropped = int(getattr(self.source, "dropped", 0)) + stale[0]
            if dense is not None:
                self.estimator.attach_dense_stage(dense)
        if errors:
            raise errors[0]
        return stats


_blas_lock = threading.Lock()
_blas_runs = 0
_blas_limiter: threadpool_limits | None = None


@contextmanager
def blas_threads_limited(threads: int) -> Iterator[None]:
    """numpy's and scipy's BLAS limited to ``threads`` while the block runs (``threadpoolctl``). Blocks may
    overlap (pipelines run side by side in one process): the first one in sets the limit and the last one
    out restores what was there before, whatever order they end in."""
    global _blas_runs, _blas_limiter
    with _blas_lock:
        if _blas_runs == 0:
            _blas_limiter = threadpool_limits(limits=threads, user_api="blas")
        _blas_runs += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_runs -= 1
            if _blas_runs == 0 and _blas_limiter is not None:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


def _put_newest(q: queue.Queue, item: object) -> int:
    """Put ``item``; if the queue is full, drop the oldest waiting item first. Returns how many were dropped."""
    dropped = 0
    while True:
        try:
            q.put_nowait(item)
            return dropped
        except queue.Full:
            try:
                q.get_nowait()
                dropped += 1
            except queue.Empty:
                pass


def _put(q: queue.Queue, item: object, stop: threading.Event | None) -> None:
    """Put, but give up when ``stop`` is set (so a stopped pipeline never deadlocks on a full queue)."""
    while True:
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            if stop is not None and stop.is_set():
                return
