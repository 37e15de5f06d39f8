"""The publisher: a PUB socket that sends every frame result to AR front-ends.

Latency stays bounded: the send queue per subscriber holds ``send_hwm`` messages (2 by default), so a slow
or stalled subscriber loses old frames at the publisher instead of building up delay, and never slows the
publisher or other subscribers. Buffers are sent zero-copy; each message gets fresh buffers, so nothing
still in flight is ever reused.
"""

from __future__ import annotations

import enum
import json
import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import zmq

from ..errors import ConfigError, TransportError
from ..types import FrameResult
from .endpoints import check_bind_endpoint
from .wire import encode

__all__ = ["WireFormat", "Publisher"]


log = logging.getLogger(__name__)

_ZERO_COPY_BYTES = 65536
"""Frames at least this large are sent without copying (pyzmq's advice: copying is faster below ~64 kB)."""


class WireFormat(enum.Enum):
    """``ARSDK``: arsdk's versioned multipart format. ``IMAGEZMQ``: what an unmodified imagezmq
    ``ImageHub(REQ_REP=False)`` reads with ``recv_jpg()`` (JPEG) or ``recv_image()`` (raw encoding)."""

    ARSDK = "arsdk"
    IMAGEZMQ = "imagezmq"


class Publisher:
    """Publishes frame results on a ZeroMQ PUB socket. A sink (``write``) and a context manager.

    Args:
        endpoint: where to bind: ``tcp://127.0.0.1:5555`` (default) or ``ipc://path``.
        stream: the topic, so one subscriber can choose among several streams.
        encoding: ``jpeg``, ``png`` or ``raw``.
        jpeg_quality: 1..100.
        include_iuv: also send the IUV and instance images.
        wire_format: arsdk's format or imagezmq's.
        send_hwm: messages queued per subscriber before the oldest are dropped.
        curve_keys: folder made by ``arsdk keys generate``: the server's secret key and the allowed clients'
            public keys; subscribers without an allowed key receive nothing.
        allow_all_interfaces: permit binding a non-loopback or wildcard address.
        encode_threads: 1 encodes in ``publish`` itself. More: ``publish`` hands the frame to that many
            encoder threads and returns; a sender thread sends the messages in order (at most twice that
            many frames wait; beyond, ``publish`` waits). Faster on several cores; ``flush`` waits for all.

    Labels: each person's ``label`` in the header is ``publisher.labels[track_id]`` when the application set
    one (``publisher.labels[3] = "goalkeeper"``; ``--label 3=goalkeeper`` on the command line), else the
    text the labels effect drew for that person (``label_drawn`` is then true), else null.

    Raises:
        ConfigError: bad options, or a non-loopback endpoint without ``allow_all_interfaces``.
        TransportError: the endpoint cannot be bound (already in use).
    """

    def __init__(
        self,
        endpoint: str = "tcp://127.0.0.1:5555",
        stream: str = "arsdk",
        *,
        encoding: str = "jpeg",
        jpeg_quality: int = 85,
        include_iuv: bool = False,
        wire_format: WireFormat = WireFormat.ARSDK,
        send_hwm: int = 2,
        curve_keys: str | Path | None = None,
        allow_all_interfaces: bool = False,
        encode_threads: int = 1,
    ) -> None:
        if not 1 <= encode_threads <= 16:
            raise ConfigError(f"encode_threads must be in 1..16, got {encode_threads}")
        if not 1 <= jpeg_quality <= 100:
            raise ConfigError(f"jpeg_quality must be in 1..100, got {jpeg_quality}")
        if send_hwm < 1:
            raise ConfigError(f"send_hwm must be >= 1, got {send_hwm}")
        if wire_format is WireFormat.IMAGEZMQ and encoding == "png":
            raise ConfigError("imagezmq receivers read JPEG (recv_jpg) or raw arrays (recv_image): use jpeg or raw")
        self.endpoint = check_bind_endpoint(endpoint, allow_all_interfaces)
        self.stream, self.encoding, self.jpeg_quality = stream, encoding, jpeg_quality
        self.include_iuv, self.wire_format = include_iuv, wire_format
        self.sequence = 0
        self.labels: dict[int, str] = {}
        self.last_ms: dict[str, float] = {}
        """Milliseconds of the last ``publish``: ``encode`` (image and header) and ``send``."""
        self._context = zmq.Context()
        self._authenticator = None
        self._socket = self._context.socket(zmq.PUB)
        self._socket.setsockopt(zmq.SNDHWM, send_hwm)
        self._socket.setsockopt(zmq.LINGER, 0)
        if curve_keys is not None:
            from .security import server_curve

            self._authenticator = server_curve(self._context, self._socket, Path(curve_keys))
        self._pool = None
        self._sender: threading.Thread | None = None
        try:
            self._socket.bind(self.endpoint)
        except zmq.ZMQError as exc:
            self.close()
            raise TransportError(f"cannot bind {self.endpoint}: {exc}; is another publisher using it?") from exc
        if encode_threads > 1:  # from here on only the sender thread touches the socket
            self._pool = ThreadPoolExecutor(encode_threads, thread_name_prefix="arsdk-encode")
            self._pending: queue.Queue = queue.Queue(maxsize=2 * encode_threads)
            self._sender = threading.Thread(target=self._send_in_order, name="arsdk-publish", daemon=True)
            self._sender.start()

    def publish(self, result: FrameResult) -> None:
        """Send one result (never blocks on subscribers: with none, or slow ones, the message is dropped)."""
        start = time.perf_counter()
        sequence, labels = self.sequence, dict(self.labels)
        self.sequence += 1
        if self._pool is not None:
            self._pending.put(self._pool.submit(self._frames, result, sequence, labels))
            self.last_ms = {"queue": (time.perf_counter() - start) * 1000.0}
            return
        frames = self._frames(result, sequence, labels)
        encoded = time.perf_counter()
        self._send(frames)
        self.last_ms = {"encode": (encoded - start) * 1000.0, "send": (time.perf_counter() - encoded) * 1000.0}

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait until every published result has been sent (encoder threads only; otherwise nothing waits)."""
        if self._pool is None:
            return
        deadline = time.monotonic() + timeout_s
        while self._pending.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.001)

    def _frames(self, result: FrameResult, sequence: int, labels: dict[int, str]) -> list:
        if self.wire_format is WireFormat.IMAGEZMQ:
            return self._imagezmq_frames(result, sequence, labels)
        return encode(result, self.stream, sequence, encoding=self.encoding, jpeg_quality=self.jpeg_quality,
                      include_iuv=self.include_iuv, labels=labels)  # fmt: skip

    def _send(self, frames: list) -> None:
        try:
            last = len(frames) - 1
            for i, frame in enumerate(frames):
                # small frames are copied (cheaper than a zero-copy frame's bookkeeping); images go zero-copy
                big = len(frame) >= _ZERO_COPY_BYTES
                self._socket.send(frame, zmq.NOBLOCK | (zmq.SNDMORE if i < last else 0), copy=not big)
        except zmq.Again:
            pass  # PUB never blocks; kept for clarity

    def _send_in_order(self) -> None:
        while (future := self._pending.get()) is not None:
            try:
                self._send(future.result())
            except Exception as exc:  # noqa: BLE001 - one bad frame must not stop the stream
                log.error("publisher: a frame could not be encoded: %s", exc)
            finally:
                self._pending.task_done()
        self._pending.task_done()

    write = publish

    def _imagezmq_frames(self, result: FrameResult, sequence: int, labels: dict[int, str]) -> list:
        frames = encode(result, self.stream, sequence, encoding=self.encoding, jpeg_quality=self.jpeg_quality,
                        labels=labels)  # fmt: skip
        header = bytes(frames[1]).decode()
        if self.encoding == "raw":
            image = np.ascontiguousarray(result.output_bgr)
            metadata = {"msg": header, "dtype": str(image.dtype), "shape": list(image.shape)}
        else:
            metadata = {"msg": header}
        return [json.dumps(metadata).encode(), frames[2]]

    def close(self) -> None:
        """Send what is still queued, then close the socket; safe to call twice."""
        linger_ms = 0  # a plain publisher drops what subscribers have not taken (it never waits on them)
        if self._sender is not None:
            self._pending.put(None)
            self._sender.join()
            self._sender = None
            linger_ms = 250  # the encoder threads' last messages were just handed over: let them leave
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._authenticator is not None:
            self._authenticator.stop()
            self._authenticator = None
        if not self._socket.closed:
            self._socket.close(linger=linger_ms)
        self._context.term()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
