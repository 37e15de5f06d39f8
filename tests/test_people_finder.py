"""The person finder on a labelled set (tests/people_set.py): recall, unlabelled detections, empty scenes.

The floors here guard what the default estimator reaches today (issue 14 asks for recall 0.9 with at most
one unlabelled detection per image; see the bench report and the issue's note for where it stands).
"""

import numpy as np
import pytest

from arsdk import Frame, MediaPipePoseEstimator, PoseEstimatorOptions
from tests.people_set import base_cases, empty_scenes, hard_cases, match, recall_and_extras


def _finder(estimator):
    def boxes(image):
        persons = estimator.infer(Frame(image, 0, 0.0))
        return np.array([p.box_xyxy for p in persons], np.float32).reshape(-1, 4)

    return boxes


@pytest.fixture(scope="module")
def find(image_estimator):
    return _finder(image_estimator)


@pytest.fixture(scope="module")
def find_with_segmentation():
    with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False, use_segmentation=True)) as estimator:
        yield _finder(estimator)


def test_matching_is_one_to_one_at_iou_one_half():
    truth = np.array([[0, 0, 10, 20], [100, 0, 110, 20]], np.float32)
    found = np.array([[1, 1, 10, 20], [0, 0, 10, 21], [300, 0, 310, 20]], np.float32)
    assert match(truth, found) == (1, 2)
    assert match(truth, np.zeros((0, 4), np.float32)) == (0, 0)


def test_the_labelled_photographs_today(find):
    recall, extras, missed = recall_and_extras(base_cases(), find)
    assert sum(len(c.boxes_xyxy) for c in base_cases()) >= 30
    assert recall >= 0.5, missed


def test_segmentation_proposals_find_more_people(find, find_with_segmentation):
    plain, _, _ = recall_and_extras(base_cases(), find)
    more, _, missed = recall_and_extras(base_cases(), find_with_segmentation)
    assert more >= plain + 0.05 and more >= 0.6, missed


def test_nobody_is_found_where_nobody_is(find, find_with_segmentation):
    for name, image in empty_scenes():
        assert len(find(image)) == 0, name
        assert len(find_with_segmentation(image)) == 0, name


@pytest.mark.slow
def test_the_hard_cases_today(find):
    recall, extras, missed = recall_and_extras(hard_cases(), find)
    assert recall >= 0.45, missed
