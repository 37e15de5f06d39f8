"""The subscriber library: the "newest frame wins" receiver that every imagezmq user writes by hand.

A receive thread drains the socket continuously and validates each message; the caller gets the newest
complete, valid message (``LATEST``, the default: no latency build-up when the caller is slower than the
stream) or every message in order (``ALL``, bounded queue). Malformed or foreign messages are dropped and
counted, never raised. ZeroMQ reconnects by itself when the publisher restarts.
"""

from __future__ import annotations

import collections
import enum
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import zmq

from ..errors import ConfigError
from .wire import Packet, WireError, decode

__all__ = ["ReceiveMode", "SubscriberStats", "Subscriber"]


class ReceiveMode(enum.Enum):
    """LATEST: only the newest message is kept. ALL: every message, in order (up to ``queue_size``)."""

    LATEST = "latest"
    ALL = "all"


@dataclass(slots=True)
class SubscriberStats:
    """Counters of a subscriber."""

    received: int = 0
    delivered: int = 0
    dropped_stale: int = 0
    dropped_malformed: int = 0


class Subscriber:
    """Receives arsdk messages. A context manager.

    Args:
        endpoint: the publisher's endpoint (``tcp://127.0.0.1:5555``).
        topics: stream names to receive (empty: all).
        mode: LATEST or ALL.
        queue_size: ALL mode: messages kept before the oldest are dropped.
        curve_keys: folder with this client's key pair and the server's public key (``arsdk keys generate``).
        client_name: which client key pair to use from ``curve_keys``.

    Example:
        >>> with Subscriber("tcp://127.0.0.1:5555") as sub:  # doctest: +SKIP
        ...     packet = sub.receive(timeout_ms=1000)
        ...     print(packet.header["persons"])
    """

    def __init__(
        self,
        endpoint: str = "tcp://127.0.0.1:5555",
        topics: tuple[str, ...] = (),
        *,
        mode: ReceiveMode = ReceiveMode.LATEST,
        queue_size: int = 64,
        curve_keys: str | Path | None = None,
        client_name: str = "client",
    ) -> None:
        if queue_size < 1:
            raise ConfigError(f"queue_size must be >= 1, got {queue_size}")
        self.endpoint, self.mode = endpoint, mode
        self.stats = SubscriberStats()
        self._context = zmq.Context()
        self._socket = self._context.socket(zmq.SUB)
        self._socket.setsockopt(zmq.RCVHWM, 4 if mode is ReceiveMode.LATEST else queue_size)
        self._socket.setsockopt(zmq.RECONNECT_IVL, 100)
        self._socket.setsockopt(zmq.RECONNECT_IVL_MAX, 2000)
        self._socket.setsockopt(zmq.LINGER, 0)
        if curve_keys is not None:
            from .security import client_curve

            client_curve(self._socket, Path(curve_keys), client_name)
        for topic in topics or ("",):
            self._socket.setsockopt(zmq.SUBSCRIBE, topic.encode())
        self._socket.connect(endpoint)
        self._cond = threading.Condition()
        self._queue: collections.deque[Packet] = collections.deque(maxlen=1 if mode is ReceiveMode.LATEST else queue_size)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="arsdk-subscriber", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self._socket.setsockopt(zmq.RCVTIMEO, 50)  # wake up to notice close()
        while not self._closed:
            try:
                frames = self._socket.recv_multipart(copy=True)
            except zmq.Again:
                continue
            except zmq.ZMQError:
                if self._closed:
                    return
                continue
            self.stats.received += 1
            try:
                packet = decode(frames)
            except WireError:
                self.stats.dropped_malformed += 1
                continue
            except Exception:  # noqa: BLE001 - a hostile message must never kill the receiver
                self.stats.dropped_malformed += 1
                continue
            with self._cond:
                if len(self._queue) == self._queue.maxlen:
                    self.stats.dropped_stale += 1
                self._queue.append(packet)
                self._cond.notify_all()

    def receive(self, timeout_ms: float | None = 1000.0) -> Packet | None:
        """The newest (LATEST) or next (ALL) message, waiting up to ``timeout_ms``; None on timeout."""
        deadline = None if timeout_ms is None else time.monotonic() + timeout_ms / 1000.0
        with self._cond:
            while not self._queue:
                remaining = None if deadline is None else deadline - time.monotonic()
                if self._closed or (remaining is not None and remaining <= 0):
                    return None
                self._cond.wait(timeout=remaining if remaining is None else min(remaining, 0.1))
            packet = self._queue.popleft()
            self.stats.delivered += 1
            return packet

    def close(self) -> None:
        """Stop the receive thread and close the socket; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._thread.join(timeout=2.0)
        self._socket.close(linger=0)
        self._context.term()

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
