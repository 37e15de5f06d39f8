"""Shared fixtures: the real footage in ../shared/data and one estimator per test session."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("ARSDK_TEST_DATA", REPO.parent / "shared" / "data"))
SAMPLE_CLIP = REPO / "arsdk" / "data" / "vtest_sample.avi"


def data_file(name: str) -> Path:
    path = DATA / name
    if not path.is_file():
        pytest.fail(f"test footage {path} is missing: put the shared data folder beside the repo or set ARSDK_TEST_DATA")
    return path


@pytest.fixture(scope="session")
def messi_bgr() -> np.ndarray:
    return cv2.imread(str(data_file("messi5.jpg")))


@pytest.fixture(scope="session")
def basketball_bgr() -> np.ndarray:
    return cv2.imread(str(data_file("basketball1.png")))


def read_video_frame(path: Path, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(path))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, image = cap.read()
    cap.release()
    assert ok, f"cannot read frame {index} of {path}"
    return image


@pytest.fixture(scope="session")
def vtest200_bgr() -> np.ndarray:
    return read_video_frame(data_file("vtest.avi"), 200)


@pytest.fixture(scope="session")
def image_estimator():
    from arsdk import MediaPipePoseEstimator, PoseEstimatorOptions

    with MediaPipePoseEstimator(PoseEstimatorOptions()) as estimator:
        yield estimator


@pytest.fixture(scope="session")
def sample_clip() -> Path:
    assert SAMPLE_CLIP.is_file(), "the shipped sample clip is missing"
    return SAMPLE_CLIP


@pytest.fixture(scope="session")
def densepose_checkpoint(tmp_path_factory) -> Path:
    """The seeded R_50_FPN_s1x checkpoint of ../shared/densepose_ref/make_ckpt.py, in a temporary folder."""
    import subprocess
    import sys

    ref = DATA.parent / "densepose_ref"
    path = tmp_path_factory.mktemp("densepose") / "sane_random_R_50_FPN_s1x.pkl"
    subprocess.run([sys.executable, str(ref / "make_ckpt.py"), str(ref / "keys_R_50_FPN_s1x.txt"), str(path)],
                   check=True, capture_output=True, timeout=600)
    return path


@pytest.fixture(scope="session")
def scene_images(messi_bgr, basketball_bgr, vtest200_bgr):
    """The four test scenes: messi5, basketball1, vtest.avi frames 200 and 400."""
    return {
        "messi5": messi_bgr,
        "basketball1": basketball_bgr,
        "vtest200": vtest200_bgr,
        "vtest400": read_video_frame(data_file("vtest.avi"), 400),
    }


@pytest.fixture(scope="session")
def scene_people(image_estimator, scene_images):
    """The default estimator's people (landmarks, masks, bodies, IUV) in every test scene."""
    from arsdk import Frame

    return {name: image_estimator.infer(Frame(image, 0, 0.0, name)) for name, image in scene_images.items()}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run the tests marked slow (long footage runs)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow") or os.environ.get("ARSDK_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (each has a fast representative in the default run)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
