"""Where results go: a video file, a window, a folder of images. Each sink is a context manager."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import cv2

from .errors import ConfigError, SourceError
from .types import FrameResult

__all__ = ["VideoFileSink", "WindowSink", "ImageFolderSink", "display_available"]

log = logging.getLogger(__name__)

_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}


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
