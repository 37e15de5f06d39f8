"""The clips the live benchmarks run on: 640x480, with one person, two people and a walking crowd.

The one- and two-person clips are real photographs (../shared/data/messi5.jpg, basketball1.png) moved
slowly across the frame, so trackers and ROI followers see motion; the crowd is OpenCV's vtest.avi (the
full file when present, else the trimmed copy shipped with arsdk).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = ["Clip", "read_frames", "panned_clip", "video_clip", "default_clips", "write_clip"]

FRAME_WH = (640, 480)
SHIPPED_CROWD = Path(__file__).resolve().parent.parent / "data" / "vtest_sample.avi"


@dataclass(frozen=True, eq=False)
class Clip:
    """Frames of one benchmark scene.

    Attributes:
        name: short name used in the report (``1 person``, ``2 people``, ``crowd``).
        frames_bgr: the frames, 640x480 BGR.
        source: where they come from.
        path: the clip as a video file (after :func:`write_clip`), whose decoded frames ``frames_bgr`` are.
    """

    name: str
    frames_bgr: tuple[np.ndarray, ...]
    source: str
    path: Path | None = None


def panned_clip(image_bgr: np.ndarray, frames: int, name: str, source: str) -> Clip:
    """``image_bgr`` scaled into a 640x480 frame and moved along a slow Lissajous path (about 20 px)."""
    w, h = FRAME_WH
    scale = min((w - 40) / image_bgr.shape[1], (h - 40) / image_bgr.shape[0])
    picture = cv2.resize(image_bgr, (int(image_bgr.shape[1] * scale), int(image_bgr.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)  # fmt: skip
    ph, pw = picture.shape[:2]
    out = []
    for i in range(frames):
        canvas = np.zeros((h, w, 3), np.uint8)
        dx = int(round((w - pw) / 2 + 18 * math.sin(i / 9.0)))
        dy = int(round((h - ph) / 2 + 10 * math.cos(i / 13.0)))
        canvas[dy : dy + ph, dx : dx + pw] = picture
        out.append(canvas)
    return Clip(name, tuple(out), source)


def read_frames(path: Path, frames: int) -> list[np.ndarray]:
    """The first ``frames`` frames of a video, as decoded."""
    capture = cv2.VideoCapture(str(path))
    out = []
    try:
        while len(out) < frames:
            ok, frame = capture.read()
            if not ok:
                break
            out.append(frame)
    finally:
        capture.release()
    return out


def video_clip(path: Path, frames: int, name: str) -> Clip:
    """The first ``frames`` frames of a video, resized to 640x480."""
    out = [cv2.resize(frame, FRAME_WH, interpolation=cv2.INTER_AREA) for frame in read_frames(path, frames)]
    if not out:
        raise FileNotFoundError(f"no frames in {path}")
    return Clip(name, tuple(out), str(path))


def default_clips(data_dir: Path, frames: int) -> list[Clip]:
    """1 person, 2 people (when ``data_dir`` has the photographs) and the crowd."""
    clips = []
    for file, name in (("messi5.jpg", "1 person"), ("basketball1.png", "2 people")):
        image = cv2.imread(str(data_dir / file)) if (data_dir / file).is_file() else None
        if image is not None:
            clips.append(panned_clip(image, frames, name, str(data_dir / file)))
    crowd = data_dir / "vtest.avi"
    clips.append(video_clip(crowd if crowd.is_file() else SHIPPED_CROWD, frames, "crowd"))
    return clips


def write_clip(clip: Clip, path: Path, fps: float = 25.0) -> Clip:
    """The clip written as an MJPG .avi (so a pipeline's capture stage decodes a real file) and read back:
    the returned clip's frames are exactly what a reader of ``path`` gets."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, FRAME_WH)
    try:
        for frame in clip.frames_bgr:
            writer.write(frame)
    finally:
        writer.release()
    decoded = video_clip(path, len(clip.frames_bgr), clip.name)
    return Clip(clip.name, decoded.frames_bgr, clip.source, path)
