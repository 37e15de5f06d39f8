"""Capsule-chart IUV cost per person, measured side by side with that person's landmark-model pass (the
fitted body's cost is in :mod:`.body`).

For every person in the frames, the same number of repetitions of (a) BlazePose's landmark model on the
person's region and (b) the dense-IUV stage on the person; the ratio b / a is the figure of merit
(issue: at most 0.25). Medians over repetitions, then over people.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .clips import SHIPPED_CROWD
from .timing import median_ms

from arsdk import Frame, MediaPipePoseEstimator, PoseEstimatorOptions
from arsdk.densepose import dense_iuv
from arsdk.estimators.blazepose import BlazePoseLandmarkModel
from arsdk.estimators.models import find_model_files
from arsdk.estimators.roi import Roi, roi_from_landmarks
from arsdk.types import Person




def people_with_rois(images: dict[str, np.ndarray]) -> Iterator[tuple[str, np.ndarray, Person, Roi]]:
    """(image name, image, person, the person's landmark ROI) for everyone the estimator (without dense IUV)
    finds in the images; people without a usable ROI are left out."""
    with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False)) as estimator:
        for name, image in images.items():
            for person in estimator.infer(Frame(image, 0, 0.0, name)):
                roi = roi_from_landmarks(person.landmarks.xy_px, person.landmarks.visible(0.5))
                if roi is not None:
                    yield name, image, person, roi


def run(images: dict[str, np.ndarray], repeats: int = 5) -> dict:
    """Per-person landmark and dense-IUV milliseconds, and their ratio."""
    landmarker = BlazePoseLandmarkModel(find_model_files().landmarks)
    rows = []
    for name, image, person, roi in people_with_rois(images):
        wh = (image.shape[1], image.shape[0])
        landmarks_ms = median_ms(lambda: landmarker.infer(image, roi), repeats)
        dense_ms = median_ms(lambda: dense_iuv(person, wh), repeats)
        rows.append({
            "image": name,
            "person_height_px": round(person.height_px, 1),
            "landmarks_ms": round(landmarks_ms, 3),
            "dense_iuv_ms": round(dense_ms, 3),
            "ratio": round(dense_ms / landmarks_ms, 4),
        })  # fmt: skip
    ratios = [r["ratio"] for r in rows]
    return {
        "persons": rows,
        "median_ratio": float(np.median(ratios)) if ratios else None,
        "max_ratio": float(np.max(ratios)) if ratios else None,
        "target_ratio": 0.25,
    }


def markdown(result: dict) -> str:
    """The result as a Markdown section."""
    lines = [
        "## Capsule charts per person vs. that person's landmark pass",
        "",
        f"Median ratio **{result['median_ratio']:.3f}**, worst {result['max_ratio']:.3f} "
        f"(target: at most {result['target_ratio']}).",
        "",
        "| image | person height px | landmarks ms | dense IUV ms | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in result["persons"]:
        lines.append(f"| {r['image']} | {r['person_height_px']} | {r['landmarks_ms']:.2f} | {r['dense_iuv_ms']:.2f} | {r['ratio']:.3f} |")
    return "\n".join(lines) + "\n"


def default_images(data_dir: Path, video_frames: tuple[int, ...] = (0, 50)) -> dict[str, np.ndarray]:
    """messi5, basketball1 and frames of vtest.avi when ../shared/data is there (else of the shipped clip)."""
    import cv2

    images = {}
    for name in ("messi5.jpg", "basketball1.png"):
        if (data_dir / name).is_file():
            images[name] = cv2.imread(str(data_dir / name))
    clip = data_dir / "vtest.avi"
    if not clip.is_file():
        clip = SHIPPED_CROWD
    cap = cv2.VideoCapture(str(clip))
    for index in video_frames:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = cap.read()
        if ok:
            images[f"{clip.name}#{index}"] = image
    cap.release()
    return images
