"""Quiet start-up: the native libraries' log lines kept off the terminal unless asked for (``-vv``).

MediaPipe, LiteRT, absl, glog and Mesa's EGL write straight to file descriptor 2, whatever Python's logging
says ("Created TensorFlow Lite XNNPACK delegate", "All log messages before absl::InitializeLog()", a
failed EGL probe that looks like an error...). :class:`NativeLogSilenced` points descriptor 2 at the null
device for the length of a command while Python's ``sys.stderr`` (arsdk's own messages, progress bars,
tracebacks) keeps writing to the terminal through a duplicate of the original descriptor.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

__all__ = ["NativeLogSilenced", "setup_logging"]

_QUIET_ENV = {
    "GLOG_minloglevel": "2",  # MediaPipe's glog: errors only
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow Lite / LiteRT
    "OPENCV_FFMPEG_LOGLEVEL": "-8",
    "OPENCV_LOG_LEVEL": "FATAL",
}


def setup_logging(verbosity: int) -> None:
    """arsdk's log lines as ``arsdk: LEVEL: message`` on stderr; ``-v`` info, ``-vv`` debug and native logs."""
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="arsdk: %(levelname)s: %(message)s", stream=sys.stderr)
    if verbosity < 2:
        for key, value in _QUIET_ENV.items():
            os.environ.setdefault(key, value)
        try:
            import cv2

            cv2.setLogLevel(1)  # fatal only: failures surface as exceptions anyway
        except (ImportError, AttributeError):  # pragma: no cover
            pass


class NativeLogSilenced:
    """Context manager: while active, writes to file descriptor 2 from native code go to the null device.

    Where ``sys.stderr`` is the process's own descriptor 2 (a terminal, a pipe), it is replaced by a stream on
    a duplicate of that descriptor, so Python's writes still arrive; where it is something else (a test
    harness's capture), it is left alone. ``enabled=False`` does nothing. Nested or concurrent uses (commands
    run on several threads of one process) share one redirection, undone when the last one ends.
    """

    _lock = threading.Lock()
    _users = 0
    _saved: int | None = None
    _stream = None

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._entered = False

    def __enter__(self) -> NativeLogSilenced:
        if not self.enabled:
            return self
        cls = type(self)
        with cls._lock:
            self._entered = True
            cls._users += 1
            if cls._users == 1:
                cls._silence()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._entered:
            return
        cls = type(self)
        with cls._lock:
            self._entered = False
            cls._users -= 1
            if cls._users == 0:
                cls._restore()

    @classmethod
    def _silence(cls) -> None:
        try:
            sys.stderr.flush()
            own = sys.stderr is sys.__stderr__ and sys.stderr.fileno() == 2
        except (AttributeError, OSError, ValueError):
            own = False
        cls._saved = os.dup(2)
        if own:
            cls._stream = os.fdopen(os.dup(cls._saved), "w", buffering=1, encoding=sys.stderr.encoding or "utf-8",
                                    errors="backslashreplace")  # fmt: skip
            sys.stderr = cls._stream
            for handler in logging.getLogger().handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream is sys.__stderr__:
                    handler.setStream(cls._stream)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)

    @classmethod
    def _restore(cls) -> None:
        if cls._saved is None:  # pragma: no cover
            return
        try:
            sys.stderr.flush()
        except (OSError, ValueError):  # pragma: no cover
            pass
        os.dup2(cls._saved, 2)
        os.close(cls._saved)
        cls._saved = None
        if cls._stream is not None:
            for handler in logging.getLogger().handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream is cls._stream:
                    handler.setStream(sys.__stderr__)
            sys.stderr = sys.__stderr__
            cls._stream.close()
            cls._stream = None
