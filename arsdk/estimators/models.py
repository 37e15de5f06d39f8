"""The model files arsdk uses, all taken from installed wheels: nothing is downloaded.

MediaPipe 0.10.21 ships the BlazePose detector and the full landmark model as bare ``.tflite`` files. The
Tasks ``PoseLandmarker`` (multi-person) refuses bare files, so :func:`pose_landmarker_task` writes
image-input metadata into both and bundles them into a ``.task`` zip in the user's cache directory.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelLoadError

__all__ = ["ModelFiles", "find_model_files", "pose_landmarker_task", "cache_dir"]

_DETECTOR = "modules/pose_detection/pose_detection.tflite"
_LANDMARKS = "modules/pose_landmark/pose_landmark_full.tflite"


@dataclass(frozen=True, slots=True)
class ModelFiles:
    """Paths of the BlazePose models inside the installed mediapipe wheel."""

    detector: Path
    landmarks: Path


def find_model_files() -> ModelFiles:
    """Locate the BlazePose models inside the installed mediapipe package.

    Raises:
        ModelLoadError: mediapipe is missing, or a release without the pose models is installed.
    """
    try:
        import mediapipe
    except ImportError as exc:  # pragma: no cover - mediapipe is a hard dependency
        raise ModelLoadError("mediapipe is not installed: run 'pip install mediapipe==0.10.21'") from exc
    root = Path(mediapipe.__file__).parent
    files = ModelFiles(detector=root / _DETECTOR, landmarks=root / _LANDMARKS)
    for path in (files.detector, files.landmarks):
        if not path.is_file():
            raise ModelLoadError(
                f"{path} is missing: arsdk needs the pose models shipped in mediapipe==0.10.21 "
                f"(found mediapipe {getattr(mediapipe, '__version__', '?')}); run 'pip install mediapipe==0.10.21'"
            )
    return files


def cache_dir() -> Path:
    """arsdk's cache folder: ``$ARSDK_CACHE``, else ``$XDG_CACHE_HOME/arsdk``, else ``~/.cache/arsdk``."""
    if os.environ.get("ARSDK_CACHE"):
        return Path(os.environ["ARSDK_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "arsdk"


def _with_image_metadata(tflite_path: Path, name: str) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(tflite_path.read_bytes())
    writer.add_general_info(name, "BlazePose model from the mediapipe wheel, with image-input metadata.")
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])
    model, _ = writer.populate()
    return model


def pose_landmarker_task(files: ModelFiles | None = None, folder: Path | None = None) -> Path:
    """Return the path of a ``.task`` bundle for MediaPipe's Tasks ``PoseLandmarker``, building it once.

    The bundle's name carries a hash of the two source models, so a different mediapipe build gets its own.

    Raises:
        ModelLoadError: the models are missing or the bundle cannot be written.
    """
    files = files or find_model_files()
    digest = hashlib.sha256(files.detector.read_bytes() + files.landmarks.read_bytes()).hexdigest()[:12]
    folder = folder or cache_dir() / "models"
    target = folder / f"pose_landmarker_full_{digest}.task"
    if target.is_file():
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        detector = _with_image_metadata(files.detector, "pose_detector")
        landmarks = _with_image_metadata(files.landmarks, "pose_landmarks_detector")
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".task.tmp")
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as bundle:
            bundle.writestr("pose_detector.tflite", detector)
            bundle.writestr("pose_landmarks_detector.tflite", landmarks)
        os.replace(tmp, target)  # atomic: concurrent builders never see a half-written bundle
    except OSError as exc:
        raise ModelLoadError(
            f"cannot write the pose model bundle into {folder}: {exc}; set ARSDK_CACHE to a writable folder"
        ) from exc
    return target
