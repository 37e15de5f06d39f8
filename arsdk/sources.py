"""Video sources behind one call, :func:`open_source`.

* a camera index (``0``), an ``rtsp://``, ``rtsps://``, ``rtmp://``, ``http(s)://`` stream: *live*. A
  thread reads continuously and keeps only the newest frame, so a slow consumer never sees latency build
  up; frames it missed are counted in ``dropped``. A lost camera or stream reconnects with exponential
  backoff and says so in the log.
* a video file, an image file, a folder of images: *files*. Every frame is delivered in order; with
  ``loop=True`` the source starts again at the end.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import ConfigError, SourceEndedEarly, SourceError
from .types import Frame

__all__ = [
    "SourceOptions",
    "open_source",
    "VideoFileSource",
    "ImageSource",
    "FolderSource",
    "LiveSource",
    "IMAGE_EXTENSIONS",
    "STREAM_SCHEMES",
]

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """How sources open and behave.

    Attributes:
        loop: files start again at the end (for demos and soak tests).
        image_fps: timestamps of image files and folders advance at this rate.
        open_timeout_ms: how long to wait for a stream or camera to open.
        read_timeout_ms: how long one read of a network stream may block; after that the stream counts as
            lost and reconnects.
        reconnect: live sources reconnect after a loss (False: the source ends).
        reconnect_initial_s: first wait before reconnecting; doubles up to ``reconnect_max_s``.
        reconnect_max_s: longest wait between reconnection attempts (so frames flow again at most this long,
            plus the time to open, after the camera or server is back).
        reconnect_give_up_s: stop trying after this long without a frame (None: never); the source then
            ends with :class:`~arsdk.errors.SourceEndedEarly` saying what to check.
    """

    loop: bool = False
    image_fps: float = 10.0
    open_timeout_ms: int = 5000
    read_timeout_ms: int = 5000
    reconnect: bool = True
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 3.0
    reconnect_give_up_s: float | None = None

    def __post_init__(self) -> None:
        if self.image_fps <= 0:
            raise ConfigError(f"image_fps must be > 0, got {self.image_fps}")
        if self.open_timeout_ms <= 0 or self.read_timeout_ms <= 0:
            raise ConfigError("open_timeout_ms and read_timeout_ms must be > 0")
        if not 0 < self.reconnect_initial_s <= self.reconnect_max_s:
            raise ConfigError("need 0 < reconnect_initial_s <= reconnect_max_s")
        if self.reconnect_give_up_s is not None and self.reconnect_give_up_s <= 0:
            raise ConfigError(f"reconnect_give_up_s must be > 0 (or None: never give up), got {self.reconnect_give_up_s}")


class _SourceBase:
    """Context-manager and iterator plumbing shared by every source."""

    is_live = False

    def __init__(self, source_id: str) -> None:
        self.source_id = source_id
        self._closed = False

    def read(self) -> Frame | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file; safe to call twice."""
        self._closed = True

    def __enter__(self):  # noqa: D105
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame


class VideoFileSource(_SourceBase):
    """Every frame of a video file, in order.

    Raises:
        SourceError: the file cannot be opened or holds no decodable frame.
        SourceEndedEarly: from ``read()``, when the video stops well before its stated length
            (truncated or damaged); the frames before were delivered.
    """

    def __init__(self, path: Path, options: SourceOptions) -> None:
        super().__init__(str(path))
        self.path = path
        self.options = options
        self._cap = self._open()
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 0.5 < fps < 1000 else 25.0
        first = self._grab()
        if first is None:
            self._cap.release()
            raise SourceError(
                f"{path}: OpenCV opened the file but could not decode a single frame; the file is damaged or "
                "uses a codec this OpenCV build lacks. Re-encode it (e.g. to H.264 MP4) and try again."
            )
        self._pending: np.ndarray | None = first
        self._index = 0

    def _open(self) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise SourceError(
                f"{self.path}: not a video OpenCV can open (wrong format, damaged, or not a video at all). "
                "Check the file with 'arsdk info' or re-encode it."
            )
        return cap

    def _grab(self) -> np.ndarray | None:
        ok, image = self._cap.read()
        return image if ok and image is not None and image.ndim == 3 else None

    def read(self) -> Frame | None:
        """The next frame, or None at the end of the file.

        Raises:
            SourceEndedEarly: the file ended before its stated length (truncated).
        """
        if self._closed:
            return None
        image, self._pending = (self._pending, None) if self._pending is not None else (self._grab(), None)
        if image is None:
            if self.frame_count and self._index < self.frame_count * 0.98 - 1:
                read, expected = self._index, self.frame_count
                self.close()
                raise SourceEndedEarly(
                    f"{self.path}: video ended after {read} of {expected} frames; the file looks truncated or "
                    "damaged. The frames before the damage were processed; re-encode or re-copy the file.",
                    read,
                    expected,
                )
            if not self.options.loop or self._index == 0:
                return None
            self._cap.release()
            self._cap = self._open()
            image = self._grab()
            if image is None:
                return None
        frame = Frame(image, self._index, self._index * 1000.0 / self.fps, self.source_id, time.monotonic() * 1000.0)
        self._index += 1
        return frame

    def close(self) -> None:
        """Release the file; safe to call twice."""
        if not self._closed:
            self._cap.release()
        super().close()


class _ImageListSource(_SourceBase):
    """Images read one by one from a list of paths."""

    def __init__(self, source_id: str, paths: list[Path], options: SourceOptions) -> None:
        super().__init__(source_id)
        self.paths = paths
        self.options = options
        self._position = 0
        self._index = 0

    def read(self) -> Frame | None:
        """The next decodable image; undecodable ones are skipped with a warning."""
        while not self._closed:
            if self._position >= len(self.paths):
                if not self.options.loop or self._index == 0:
                    return None
                self._position = 0
            path = self.paths[self._position]
            self._position += 1
            image = self._load(path)
            if image is None:
                log.warning("%s: cannot decode this image; skipped", path)
                continue
            frame = Frame(image, self._index, self._index * 1000.0 / self.options.image_fps, str(path),
                          time.monotonic() * 1000.0)  # fmt: skip
            self._index += 1
            return frame
        return None

    def _load(self, path: Path) -> np.ndarray | None:
        return _imread(path)


_JPEG_START, _JPEG_END = b"\xff\xd8", b"\xff\xd9"
_JPEG_TAIL = 4096
"""Bytes at the end of a JPEG file searched for its end marker (cameras and editors may append a little)."""


def _imread(path: Path) -> np.ndarray | None:
    """The image as BGR, or None when it does not decode. A JPEG file without its end marker (a download or
    copy cut short) decodes only in part, the rest grey: it is read, with a warning."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None or not image.size:
        return None
    if _cut_short_jpeg(path):
        log.warning("%s: the JPEG file ends early (a download or copy cut short?); only its top part holds "
                    "the picture, the rest decodes as grey: copy the file again", path)
    return image


def _cut_short_jpeg(path: Path) -> bool:
    """Whether ``path`` is a JPEG file without its end marker near its end."""
    try:
        with open(path, "rb") as file:
            if file.read(2) != _JPEG_START:
                return False
            file.seek(0, 2)
            file.seek(max(file.tell() - _JPEG_TAIL, 0))
            return _JPEG_END not in file.read()
    except OSError:
        return False


class ImageSource(_ImageListSource):
    """One image file (one frame, or the same frame forever with ``loop=True``).

    Raises:
        SourceError: the file is not an image OpenCV can decode.
    """

    def __init__(self, path: Path, options: SourceOptions) -> None:
        image = _imread(path)
        if image is None:
            raise SourceError(f"{path}: not an image OpenCV can decode (damaged or wrong format)")
        super().__init__(str(path), [path], options)
        self._image = image  # decoded once, also when looped

    def _load(self, path: Path) -> np.ndarray | None:
        return self._image


def _natural_key(path: Path) -> list:
    """Name order with numbers compared as numbers (``2.jpg`` before ``10.jpg``)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


class FolderSource(_ImageListSource):
    """The images of a folder, in name order (numbers in names compared as numbers: ``2.jpg`` before
    ``10.jpg``).

    Raises:
        SourceError: the folder holds no image files.
    """

    def __init__(self, path: Path, options: SourceOptions) -> None:
        paths = sorted((p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS),
                       key=_natural_key)  # fmt: skip
        if not paths:
            exts = ", ".join(sorted(IMAGE_EXTENSIONS))
            raise SourceError(f"{path}: folder holds no images ({exts}); point SOURCE at images or a video")
        super().__init__(str(path), paths, options)


class LiveSource(_SourceBase):
    """A camera or network stream read in a background thread; ``read()`` returns the newest frame.

    Frames that arrive faster than they are read are overwritten, never queued: ``dropped`` counts them.
    After a loss (no frame for ``read_timeout_ms``, or a read error) the source reconnects with
    exponential backoff, logging each attempt.

    Raises:
        SourceError: the first open fails (nothing at that index or URL, or it timed out).
    """

    is_live = True

    def __init__(self, source_id: str, opener: Callable[[], cv2.VideoCapture], options: SourceOptions) -> None:
        super().__init__(source_id)
        self.options = options
        self._opener = opener
        cap = opener()
        if not cap.isOpened():
            cap.release()
            raise SourceError(_live_open_message(source_id, options))
        self._cap: cv2.VideoCapture | None = cap
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._delivered_index = -1
        self._captured = 0
        self.dropped = 0
        self.reconnects = 0
        self._ended = False
        self._error: SourceEndedEarly | None = None
        self._thread = threading.Thread(target=self._run, name=f"arsdk-source-{source_id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last_frame_at = time.monotonic()
        backoff = self.options.reconnect_initial_s
        lost_since: float | None = None  # each loss is logged once when it starts and once when it ends
        size: tuple[int, int] | None = None
        while not self._closed:
            cap = self._cap
            ok, image = (cap.read() if cap is not None else (False, None))
            if ok and image is not None and image.ndim == 3:
                now = time.monotonic()
                if lost_since is not None:
                    log.warning("%s: frames again after %.1f s without (%d reconnection%s so far)", self.source_id,
                                now - lost_since, self.reconnects, "" if self.reconnects == 1 else "s")  # fmt: skip
                    lost_since = None
                if size is not None and size != (image.shape[1], image.shape[0]):
                    log.warning("%s: the stream's frame size changed from %dx%d to %dx%d", self.source_id, *size,
                                image.shape[1], image.shape[0])  # fmt: skip
                size = (image.shape[1], image.shape[0])
                last_frame_at, backoff = now, self.options.reconnect_initial_s
                frame = Frame(image, self._captured, now * 1000.0, self.source_id, now * 1000.0)
                self._captured += 1
                with self._cond:
                    if self._latest is not None and self._latest.index > self._delivered_index:
                        self.dropped += 1
                    self._latest = frame
                    self._cond.notify_all()
                continue
            lost_for = time.monotonic() - last_frame_at
            give_up = self.options.reconnect_give_up_s
            if not self.options.reconnect or (give_up is not None and lost_for > give_up):
                log.error("%s: no frame for %.1f s; giving up", self.source_id, lost_for)
                if self.options.reconnect:
                    self._error = SourceEndedEarly(
                        f"{self.source_id}: no frame for {lost_for:.0f} s, gave up (the limit is {give_up:g} s). "
                        "Check that the camera or server is running and reachable from here (try the URL in a "
                        "player such as ffplay), then start again.",
                        self._captured, self._captured,
                    )  # fmt: skip
                break
            if lost_since is None:
                lost_since = last_frame_at
                why = "the stream stalled or the server stopped" if cap is not None else "not connected"
                log.warning("%s: no frame for %.1f s (%s); reconnecting every %.0f s at most%s", self.source_id,
                            lost_for, why, self.options.reconnect_max_s,
                            f", giving up after {give_up:g} s" if give_up is not None else "")  # fmt: skip
            else:
                log.debug("%s: still no frame after %.1f s; next attempt in %.1f s", self.source_id, lost_for, backoff)
            if cap is not None:
                cap.release()
                self._cap = None
            if self._sleep(backoff):
                break
            backoff = min(backoff * 2, self.options.reconnect_max_s)
            cap = self._opener()
            if cap.isOpened():
                self.reconnects += 1
                log.debug("%s: reconnected (attempt %d)", self.source_id, self.reconnects)
                self._cap = cap
            else:
                cap.release()
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless closed; True when the source was closed meanwhile."""
        deadline = time.monotonic() + seconds
        while not self._closed and time.monotonic() < deadline:
            time.sleep(min(0.05, deadline - time.monotonic()))
        return self._closed

    def read(self) -> Frame | None:
        """The newest frame not yet returned; waits for one. None once the source has ended or closed.

        Raises:
            SourceEndedEarly: the source gave up reconnecting (``reconnect_give_up_s``); raised once.
        """
        with self._cond:
            while not self._closed:
                if self._latest is not None and self._latest.index > self._delivered_index:
                    self._delivered_index = self._latest.index
                    return self._latest
                if self._ended:
                    error, self._error = self._error, None
                    if error is not None:
                        raise error
                    return None
                self._cond.wait(timeout=0.1)
        return None

    def close(self) -> None:
        """Stop the reader thread and release the device; safe to call twice."""
        if self._closed:
            return
        super().close()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=5.0)
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _live_open_message(source_id: str, options: SourceOptions) -> str:
    if source_id.isdigit():
        return (
            f"no camera at index {source_id}: check that it is plugged in and not used by another program, "
            "or pass a video file as the source"
        )
    return (
        f"{source_id}: cannot open the stream within {options.open_timeout_ms} ms (host unreachable, wrong "
        "path or credentials, or the server is down); check the URL with a player such as ffplay"
    )


def _stream_opener(url: str, options: SourceOptions) -> Callable[[], cv2.VideoCapture]:
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, options.open_timeout_ms,
        cv2.CAP_PROP_READ_TIMEOUT_MSEC, options.read_timeout_ms,
    ]  # fmt: skip
    return lambda: cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


def _camera_opener(index: int) -> Callable[[], cv2.VideoCapture]:
    return lambda: cv2.VideoCapture(index)


def open_source(spec: str | int | Path, options: SourceOptions | None = None) -> VideoFileSource | LiveSource | ImageSource | FolderSource:
    """Open a camera, stream, video file, image file or folder of images.

    Args:
        spec: a camera index (``0`` or ``"0"``); a URL ``rtsp://``, ``rtsps://``, ``rtmp://``,
            ``http(s)://``; or a path to a video, an image or a folder of images.
        options: see :class:`SourceOptions`.

    Returns:
        The source: a :class:`~arsdk.protocols.FrameSource`, also a context manager and an iterator of frames.

    Raises:
        ConfigError: an unknown URL scheme.
        SourceError: the source does not exist or cannot be opened.

    Example:
        >>> with open_source("clip.mp4") as source:  # doctest: +SKIP
        ...     for frame in source:
        ...         print(frame.index, frame.resolution_wh)
    """
    options = options or SourceOptions()
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        index = int(spec)
        return LiveSource(str(index), _camera_opener(index), options)
    text = str(spec)
    match = _SCHEME.match(text)
    if match:
        scheme = match.group(1).lower()
        if scheme == "file":
            return open_source(Path(text[len("file://") :]), options)
        if scheme not in STREAM_SCHEMES:
            known = ", ".join(f"{s}://" for s in sorted(STREAM_SCHEMES))
            raise ConfigError(f"unknown URL scheme '{scheme}://' in {text!r}; arsdk reads {known}, files and cameras")
        return LiveSource(text, _stream_opener(text, options), options)
    path = Path(text).expanduser()
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder; check the path (for a camera pass its index, e.g. 0)")
    if path.is_dir():
        return FolderSource(path, options)
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return ImageSource(path, options)
    return VideoFileSource(path, options)
