"""The default estimator on real footage from ../shared/data."""

import cv2
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from arsdk import ConfigError, Frame, MediaPipePoseEstimator, PoseEstimatorOptions, RunMode
from arsdk.estimators.blazepose import BlazePoseLandmarkModel
from arsdk.estimators.models import find_model_files, pose_landmarker_task
from arsdk.estimators.proposals import BlazePoseProposer
from arsdk.estimators.roi import roi_from_landmarks
from tests.helpers import box_contains

# Centres of the 7 people in frame 200 of vtest.avi, marked by hand (x, y in pixels).
VTEST200_PEOPLE = [(95, 185), (235, 230), (500, 180), (632, 312), (722, 300), (687, 125), (711, 128)]


def _fraction_of_landmarks_on_mask(person, tolerance_px: int = 3) -> float:
    mask = person.mask.to_full((4000, 4000))  # large canvas: the frame never exceeds it in these tests
    mask = cv2.dilate((mask >= 0.5).astype(np.uint8), np.ones((2 * tolerance_px + 1,) * 2, np.uint8))
    seen = person.landmarks.visible(0.5)
    xy = np.round(person.landmarks.xy_px[seen]).astype(int)
    return float(np.mean(mask[xy[:, 1], xy[:, 0]] > 0))


def test_messi_one_person_with_landmarks_on_the_body(image_estimator, messi_bgr):
    persons = image_estimator.infer(Frame(messi_bgr, 0, 0.0, "messi5.jpg"))
    assert len(persons) == 1
    person = persons[0]
    assert person.score > 0.9
    assert _fraction_of_landmarks_on_mask(person) >= 0.9
    lm = person.landmarks.xy_px
    assert lm[0, 1] < lm[23:25, 1].mean() < lm[27:29, 1].max()  # nose above hips above the lower ankle
    mask_px = np.count_nonzero(person.mask.data >= 0.5)
    box_area = np.prod(person.box_xyxy[2:] - person.box_xyxy[:2])
    assert 0.2 < mask_px / box_area < 0.9  # the mask fills a real share of the box, not all of it


def test_basketball_both_people(image_estimator, basketball_bgr):
    persons = image_estimator.infer(Frame(basketball_bgr, 0, 0.0, "basketball1.png"))
    assert len(persons) == 2
    centres_x = sorted(float(p.box_xyxy[[0, 2]].mean()) for p in persons)
    assert centres_x[0] < 213 and centres_x[1] > 427  # one in the left third, one in the right third
    for person in persons:
        assert _fraction_of_landmarks_on_mask(person) >= 0.8


def test_vtest_frame_200_finds_at_least_6_of_7_people(image_estimator, vtest200_bgr):
    persons = image_estimator.infer(Frame(vtest200_bgr, 200, 20000.0, "vtest.avi"))
    hit = np.array([[box_contains(p.box_xyxy, c, margin=4) for c in VTEST200_PEOPLE] for p in persons])
    rows, cols = linear_sum_assignment(-hit.astype(float))
    matched = int(hit[rows, cols].sum())
    assert matched >= 6, f"matched {matched} of 7 people; boxes {[p.box_xyxy.astype(int).tolist() for p in persons]}"
    assert len(persons) <= 8  # at most one false positive


def test_direct_landmark_decode_matches_mediapipe_tasks(messi_bgr):
    """Our decode of the landmark model (crop, rotation, mapping back) agrees with MediaPipe's own graph."""
    files = find_model_files()
    tasks = BlazePoseProposer(pose_landmarker_task(files), max_persons=1)
    reference = tasks.propose(messi_bgr)[0]
    tasks.close()
    model = BlazePoseLandmarkModel(files.landmarks)
    roi = roi_from_landmarks(reference.landmarks.xy_px, reference.landmarks.visible(0.5))
    ours = model.infer(messi_bgr, model.infer(messi_bgr, roi).next_roi)
    seen = reference.landmarks.visible(0.8)
    error_px = np.linalg.norm(ours.landmarks.xy_px[seen] - reference.landmarks.xy_px[seen], axis=1)
    height = reference.box_xyxy[3] - reference.box_xyxy[1]
    assert np.median(error_px) < 0.03 * height, f"median error {np.median(error_px):.1f}px"
    # World landmarks: depth varies between crops of a strong pose, so check the rotation convention:
    # rotating the model's ROI-frame output by the ROI angle must bring it closer to MediaPipe's.
    world = ours.world_landmarks.xyz_m
    cos, sin = np.cos(ours.roi.rotation_rad), np.sin(ours.roi.rotation_rad)
    unrotated = np.column_stack([world[:, 0] * cos + world[:, 1] * sin, -world[:, 0] * sin + world[:, 1] * cos, world[:, 2]])
    error_m = np.median(np.linalg.norm(world - reference.world_landmarks.xyz_m, axis=1))
    error_unrotated_m = np.median(np.linalg.norm(unrotated - reference.world_landmarks.xyz_m, axis=1))
    assert error_m < 0.15 and error_m < 0.75 * error_unrotated_m
    iou = _mask_iou(ours.mask, reference.mask, messi_bgr.shape[1::-1])
    assert iou > 0.8


def _mask_iou(a, b, wh):
    fa, fb = a.to_full(wh) >= 0.5, b.to_full(wh) >= 0.5
    return np.logical_and(fa, fb).sum() / max(np.logical_or(fa, fb).sum(), 1)


def test_video_mode_follows_people_and_rejects_going_backwards(sample_clip):
    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, proposal_interval=4)
    cap = cv2.VideoCapture(str(sample_clip))
    counts, searched = [], []
    with MediaPipePoseEstimator(options) as estimator:
        for index in range(8):
            ok, image = cap.read()
            assert ok
            persons = estimator.infer(Frame(image, index, index * 100.0, "clip"))
            counts.append(len(persons))
            searched.append("proposals_detector" in estimator.clock.last_ms)
            if not searched[-1]:  # frames without proposals: people come from followed ROIs only
                assert {p.proposal for p in persons} <= {"track"}
        with pytest.raises(ConfigError, match="increasing frame indices"):
            estimator.infer(Frame(image, 3, 0.0, "clip"))
    assert min(counts) >= 4  # the clip shows 5-7 people throughout; following keeps most of them
    assert searched[0] and searched[4] and sum(searched) < 8  # every 4th frame (and when someone is lost)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(max_persons=0), "max_persons"),
        (dict(min_person_score=1.5), "min_person_score"),
        (dict(use_hog=False, use_detector=False, use_blazepose=False, use_segmentation=False), "at least one proposal stage"),
        (dict(proposal_interval=0), "proposal_interval"),
    ],
)
def test_estimator_options_are_range_checked(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        PoseEstimatorOptions(**kwargs)


@pytest.mark.parametrize(("flags", "video", "expected"), [
    ([], False, True),  # still images: segmentation regions by default
    ([], True, False),  # video: following and later searches instead
    (["--no-segmentation"], False, False),
    (["--segmentation"], True, True),
])  # fmt: skip
def test_segmentation_regions_are_on_for_still_images_unless_asked_otherwise(flags, video, expected):
    from arsdk.cli import build_parser, make_estimator

    args = build_parser().parse_args(["dump", "photo.jpg", "-o", "out", *flags])
    with make_estimator(args, video=video) as estimator:
        assert ("segmentation" in [p.name for p in estimator._box_proposers]) is expected
