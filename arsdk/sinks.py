"""Where results go: a video file, one image, a folder of images, MJPEG on stdout, a window. Each sink is a
context manager."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import cv2

from .errors import ConfigError, SourceError
from .types import FrameResult

__all__ = ["VIDEO_EXTENSIONS", "VideoFileSink", "ImageFileSink", "ImageFolderSink", "MjpegSink", "WindowSink",
           "display_available"]  # fmt: skip

log = logging.getLogger(__name__)

_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}
VIDEO_EXTENSIONS = frozenset(_FOURCC)
"""The video files :class:`VideoFileSink` writes."""


class _SinkBase:
    def __enter__(self):  # noqa: D105
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - overridden
        """Release; safe to call twice."""


class VideoFileSink(_SinkBase):
    """Writes the output images to a video file (``.mp4``, ``.mov``, ``.avi``, ``.mkv``).

    The writer opens on the first frame, which fixes the size; later frames of another size are resized.

    Raises:
        ConfigError: an extension OpenCV cannot write.
        SourceError: the file cannot be created (folder missing or not writable).
    """

    def __init__(self, path: str | Path, fps: float = 10.0) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in _FOURCC:
            raise ConfigError(f"{self.path}: write a video as one of {', '.join(sorted(_FOURCC))}")
        if fps <= 0:
            raise ConfigError(f"fps must be > 0, got {fps}")
        self.fps = fps
        self.frames_written = 0
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, int] | None = None

    def write(self, result: FrameResult) -> None:
        """Append the result's output image."""
        image = result.output_bgr
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._size = (image.shape[1], image.shape[0])
            fourcc = cv2.VideoWriter_fourcc(*_FOURCC[self.path.suffix.lower()])
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, self._size)
            if not self._writer.isOpened():
                self._writer = None
                raise SourceError(f"{self.path}: cannot create this video file; check the folder is writable")
        if (image.shape[1], image.shape[0]) != self._size:
            image = cv2.resize(image, self._size)
        self._writer.write(image)
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file; safe to call twice."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None


class ImageFolderSink(_SinkBase):
    """Writes each output image as ``<folder>/<frame index, 6 digits>.<ext>``."""

    def __init__(self, folder: str | Path, ext: str = ".png") -> None:
        self.folder = Path(folder)
        self.ext = ext if ext.startswith(".") else f".{ext}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.frames_written = 0

    def write(self, result: FrameResult) -> None:
        """Write one image."""
        path = self.folder / f"{result.frame.index:06d}{self.ext}"
        if not cv2.imwrite(str(path), result.output_bgr):
            raise SourceError(f"{path}: cannot write the image; check the folder is writable")
        self.frames_written += 1

    def close(self) -> None:
        """Nothing to release."""


class ImageFileSink(_SinkBase):
    """Writes the output image of a one-image source to ``path`` (any extension OpenCV writes).

    Raises:
        SourceError: the image cannot be written, or a second frame arrives (a video needs a video or a folder).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.frames_written = 0

    def write(self, result: FrameResult) -> None:
        """Write the image."""
        if self.frames_written:
            raise SourceError(f"{self.path}: one image holds one frame; write a video or a folder for more")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(self.path), result.output_bgr):
            raise SourceError(f"{self.path}: cannot write the image; check the extension and that the folder is writable")
        self.frames_written += 1

    def close(self) -> None:
        """Nothing to release."""


class MjpegSink(_SinkBase):
    """Writes each output image as a JPEG, one after the other, to a binary stream (default: stdout), the
    MJPEG stream that ``ffmpeg -f mjpeg -i -`` or ``ffplay -f mjpeg -`` reads.

    A reader that goes away ends the run quietly (``quit_requested``), as closing a window does.
    """

    def __init__(self, stream=None, quality: int = 90) -> None:  # noqa: ANN001
        self._stream = stream if stream is not None else sys.stdout.buffer
        self.quality = quality
        self.frames_written = 0
        self.quit_requested = False

    def write(self, result: FrameResult) -> None:
        """Append one JPEG."""
        if self.quit_requested:
            return
        ok, data = cv2.imencode(".jpg", result.output_bgr, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:  # pragma: no cover - OpenCV encodes any 8-bit BGR image
            raise SourceError("cannot encode the frame as JPEG")
        try:
            self._stream.write(data.tobytes())
            self._stream.flush()
        except (BrokenPipeError, ValueError):
            self.quit_requested = True
            return
        self.frames_written += 1

    def close(self) -> None:
        """Flush; a reader that went away is not an error."""
        try:
            self._stream.flush()
        except (BrokenPipeError, ValueError):
            pass


def display_available() -> bool:
    """True where a window can be shown (a desktop session, or macOS/Windows)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class WindowSink(_SinkBase):
    """Shows the output in an OpenCV window. ``q`` or Esc in the window sets ``quit_requested``.

    Raises:
        ConfigError: there is no display (set DISPLAY, or write to a file with --output instead).
    """

    def __init__(self, title: str = "arsdk") -> None:
        if not display_available():
            raise ConfigError("no display to show a window on (DISPLAY is not set); use --output FILE instead")
        self.title = title
        self.quit_requested = False
        self._open = False

    def write(self, result: FrameResult) -> None:
        """Show one image and poll the keyboard."""
        cv2.imshow(self.title, result.output_bgr)
        self._open = True
        if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
            self.quit_requested = True

    def close(self) -> None:
        """Close the window; safe to call twice."""
        if self._open:
            cv2.destroyWindow(self.title)
            self._open = False
