"""One camera's stream on the cluster: capture where the camera is, estimation through Ray Serve, and
tracking, compositing and ZeroMQ publishing in the stream's own process.

Backpressure: capture keeps only the newest frame (older ones are dropped and counted) and the stream
has one request in flight, so nothing queues without bound however busy the replicas are. A request
that fails (its replica died) is counted as a gap; the next frame goes to a live replica.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass

from ..types import Frame, FrameResult
from .config import CameraConfig
from .serving import APP_NAME, DEPLOYMENT_NAME

__all__ = ["StreamStats", "StreamWorker"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class StreamStats:
    """What a stream did so far."""

    name: str
    captured: int = 0
    dropped: int = 0
    published: int = 0
    gaps: int = 0
    persons: int = 0
    track_ids: tuple[int, ...] = ()
    first_publish_s: float | None = None
    last_publish_s: float | None = None
    running: bool = True
    error: str | None = None


class _NewestFrame:
    """A one-frame slot: a new frame replaces an unread one (counted as dropped)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self.dropped = 0
        self.ended = False

    def put(self, frame: Frame, keep_every: bool = False, stop: threading.Event | None = None) -> None:
        """Offer a frame; ``keep_every``: first wait until the previous one was taken (nothing dropped)."""
        with self._cond:
            while keep_every and self._frame is not None and not (stop is not None and stop.is_set()):
                self._cond.wait(timeout=0.1)
            self.dropped += self._frame is not None
            self._frame = frame
            self._cond.notify_all()

    def end(self) -> None:
        with self._cond:
            self.ended = True
            self._cond.notify_all()

    def take(self, timeout_s: float = 0.5) -> Frame | None:
        with self._cond:
            self._cond.wait_for(lambda: self._frame is not None or self.ended, timeout=timeout_s)
            frame, self._frame = self._frame, None
            self._cond.notify_all()
            return frame


class StreamWorker:
    """Runs one camera's stream (a Ray actor in ``arsdk cluster``; a plain object works too)."""

    def __init__(self, camera: CameraConfig, request_timeout_s: float = 60.0) -> None:
        self.camera = camera
        self.request_timeout_s = request_timeout_s
        self._stats = StreamStats(camera.name)
        self._stop = threading.Event()
        self._ids: set[int] = set()

    def stats(self) -> dict:
        """The stream's counters (callable while ``run`` works)."""
        self._stats.track_ids = tuple(sorted(self._ids))
        return asdict(self._stats)

    def stop(self) -> None:
        """Finish after the current frame."""
        self._stop.set()

    def run(self) -> dict:
        """Capture, estimate, track, composite and publish until the source ends, ``max_frames`` or ``stop``."""
        from ray import serve

        from ..compositor import Compositor, parse_effect
        from ..sources import open_source
        from ..tracking import PersonTracker
        from ..transport import Publisher

        cam = self.camera
        slot = _NewestFrame()
        try:
            handle = serve.get_deployment_handle(DEPLOYMENT_NAME, app_name=APP_NAME).options(multiplexed_model_id=cam.name)
            with open_source(cam.source) as source, Publisher(cam.publish, stream=cam.name) as publisher, \
                    Compositor([parse_effect(e) for e in cam.effects]) as compositor:  # fmt: skip
                reader = threading.Thread(target=self._capture, args=(source, slot), name=f"capture-{cam.name}", daemon=True)
                reader.start()
                tracker = PersonTracker()
                while not self._stop.is_set():
                    frame = slot.take()
                    if frame is None:
                        if slot.ended:
                            break
                        continue
                    try:
                        request = (cam.name, frame.index, frame.timestamp_ms, frame.image_bgr)
                        persons = handle.infer.remote(request).result(timeout_s=self.request_timeout_s)
                    except Exception as exc:  # noqa: BLE001 - a dead replica or a timeout: a gap, not the end
                        self._stats.gaps += 1
                        log.warning("stream %s: frame %d lost (%s); continuing", cam.name, frame.index, type(exc).__name__)
                        continue
                    persons = tracker.update(persons, frame.timestamp_ms, frame.image_bgr)
                    image = compositor.render(frame, persons)
                    publisher.publish(FrameResult(frame, tuple(persons), image))
                    self._stats.published += 1
                    self._stats.last_publish_s = time.time()
                    if self._stats.first_publish_s is None:
                        self._stats.first_publish_s = self._stats.last_publish_s
                    self._stats.persons += len(persons)
                    self._ids.update(p.track_id for p in persons if p.track_id is not None)
                    self._stats.dropped = slot.dropped
                self._stop.set()
                reader.join(timeout=5.0)
        except Exception as exc:  # noqa: BLE001 - reported through stats, the other streams go on
            self._stats.error = f"{type(exc).__name__}: {exc}"
            log.error("stream %s stopped: %s", cam.name, self._stats.error)
        finally:
            self._stats.dropped = slot.dropped
            self._stats.running = False
        return self.stats()

    def _capture(self, source, slot: _NewestFrame) -> None:  # noqa: ANN001
        cam = self.camera
        fps = float(getattr(source, "fps", 0.0) or 0.0)
        pace = cam.realtime and fps > 0 and not getattr(source, "is_live", False)
        start = time.perf_counter()
        try:
            while not self._stop.is_set():
                if cam.max_frames is not None and self._stats.captured >= cam.max_frames:
                    break
                frame = source.read()
                if frame is None:
                    break
                self._stats.captured += 1
                if pace:  # a file replayed as a camera would deliver it
                    delay = start + frame.timestamp_ms / 1000.0 - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                # files not replayed in real time: every frame is processed, none dropped
                slot.put(frame, keep_every=not pace and not getattr(source, "is_live", False), stop=self._stop)
        except Exception as exc:  # noqa: BLE001 - a broken source ends this stream only
            self._stats.error = f"{type(exc).__name__}: {exc}"
        finally:
            slot.end()
