"""The golden-image cases of the compositor: (image in ../shared/data, effect spec)."""

from __future__ import annotations

import os
from functools import lru_cache

import cv2
import numpy as np

from arsdk import Frame, MediaPipePoseEstimator
from arsdk.compositor import Compositor, parse_effect
from tests.conftest import data_file

EFFECT_SPECS = ["texture:atlas=costume", "swap", "labels", "segm", "u", "v", "contour", "avatar:view=front"]
CASES = [(image, effect) for image in ("messi5.jpg", "basketball1.png") for effect in EFFECT_SPECS]


@lru_cache(maxsize=None)
def persons_of(image_name: str):
    image = cv2.imread(str(data_file(image_name)))
    with MediaPipePoseEstimator() as estimator:
        return image, estimator.infer(Frame(image, 0, 0.0, image_name))


def render_case(image_name: str, effect: str) -> np.ndarray:
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    image, persons = persons_of(image_name)
    with Compositor([parse_effect(effect)]) as compositor:
        return compositor.render(Frame(image, 0, 0.0, image_name), persons)
