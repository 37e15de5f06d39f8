"""The person finder on a labelled set (tests/people_set.py): recall, unlabelled detections, empty scenes.

The floors here guard what the default estimator reaches today (issue 14 asks for recall 0.9 with at most
one unlabelled detection per image; docs/people-finding.md says where it stands). PoseTrack's photographs
label only some of the people in a crowd: its ignore regions are honoured (a detection there is neither a
hit nor an extra).
"""

import numpy as np
import pytest

from arsdk import Frame, MediaPipePoseEstimator, PoseEstimatorOptions, RunMode
from arsdk.estimators.proposals import box_iou
from tests.conftest import data_file
from tests.people_set import base_cases, empty_scenes, hard_cases, match, recall_and_extras


def _finder(estimator):
    def boxes(image):
        persons = estimator.infer(Frame(image, 0, 0.0))
        return np.array([p.box_xyxy for p in persons], np.float32).reshape(-1, 4)

    return boxes


@pytest.fixture(scope="module")
def find():
    """The default person finder, allowed as many people as the crowded photographs hold."""
    with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False, max_persons=30)) as estimator:
        yield _finder(estimator)


@pytest.fixture(scope="module")
def find_with_hog_only():
    options = PoseEstimatorOptions(dense_iuv=False, max_persons=30, use_detector=False, use_hog=True)
    with MediaPipePoseEstimator(options) as estimator:
        yield _finder(estimator)


def test_matching_is_one_to_one_at_iou_one_half():
    truth = np.array([[0, 0, 10, 20], [100, 0, 110, 20]], np.float32)
    found = np.array([[1, 1, 10, 20], [0, 0, 10, 21], [300, 0, 310, 20]], np.float32)
    assert match(truth, found) == (1, 2)
    assert match(truth, np.zeros((0, 4), np.float32)) == (0, 0)
    crowd = np.zeros((50, 400), bool)
    crowd[:, 250:] = True  # an unlabelled crowd: what is found there is neither a hit nor an extra
    assert match(truth, found, ignore=crowd) == (1, 1)


@pytest.fixture(scope="module")
def on_the_photographs(find):
    """The default finder's (recall, unlabelled finds per image, misses) on the labelled photographs."""
    return recall_and_extras(base_cases(), find)


def test_the_labelled_photographs(on_the_photographs):
    recall, extras, missed = on_the_photographs
    assert sum(len(c.boxes_xyxy) for c in base_cases()) >= 60
    assert recall >= 0.89, missed  # 0.906 on 2026-12-02 17:10 (0.89 without the boxes spanning the
    # detector's, 0.84 also without its fine tiles, 0.81 also without the segmentation regions)
    assert extras <= 1.0


def test_the_person_detector_finds_more_than_hog_with_about_as_many_false_finds(on_the_photographs, find_with_hog_only):
    recall, extras, _ = on_the_photographs
    hog_recall, hog_extras, _ = recall_and_extras(base_cases(), find_with_hog_only)
    # both with the segmentation regions of still images and the detector's fine tiles (HOG-only leaves the
    # detector out); without the regions 0.81 against 0.55, extras 0.80 against 0.72
    assert recall >= hog_recall + 0.15
    assert extras <= hog_extras + 0.1  # most of the default's are real people the labels leave out


def test_nobody_is_found_where_nobody_is(find, find_with_hog_only):
    for name, image in empty_scenes():
        assert len(find(image)) == 0, name
        assert len(find_with_hog_only(image)) == 0, name


@pytest.mark.slow
def test_the_hard_cases(find):
    recall, extras, missed = recall_and_extras(hard_cases(), find)
    assert recall >= 0.78, missed  # 0.787 on 2026-12-02 20:00 (0.779 without the look where nobody was
    # read, 0.773 also taking a small person's unsure reading, 0.74 also without the detector's fine tiles,
    # 0.73 also before the last-resort region and the equalized frame, 0.71 without the segmentation regions)
    assert extras <= 1.0
    covered = [case for case in hard_cases() if case.name.endswith(" covered")]
    recall, _, missed = recall_and_extras(covered, find)
    assert recall >= 0.45, missed  # 0.50; 0.48 without the look where nobody was read, 0.39 also without the
    # detector's fine tiles, 0.33 also without the segmentation regions, 0.25 when a head and shoulders were
    # taken for the whole person


def test_a_person_whose_middle_is_hidden_is_found_whole(find):
    """A board across a standing man's middle: the detector sees his head and shoulders, and his legs apart;
    the person found reaches from his head to his feet."""
    case = next(case for case in hard_cases() if case.name == "messi5.jpg covered")
    found = find(case.image_bgr)
    assert box_iou(case.boxes_xyxy, found).max() >= 0.5, found


def test_a_person_inside_a_box_that_spans_two_is_found_on_her_own(find):
    """Three women side by side: the BlazePose graph's mask for the left one spans the middle one as well, and
    so does her box; the detector's box for the middle one gets a second look and she is found on her own."""
    case = next(case for case in base_cases() if case.name.endswith("054d9ce9201beffc76e5ff2169d2af2f027002ca.jpg"))
    middle = case.boxes_xyxy[np.argmin(np.abs((case.boxes_xyxy[:, 0] + case.boxes_xyxy[:, 2]) / 2 - 385))]
    found = find(case.image_bgr)
    assert box_iou(middle[None], found).max() >= 0.5, (middle, found)
    assert match(case.boxes_xyxy, found)[0] == 3


@pytest.mark.parametrize(("edge", "floor"), [("cut at the right edge", 0.85), ("cut at the waist", 0.72)])
def test_people_cut_off_by_the_frame_edge(find, edge, floor):
    """The labelled people cut through by the right edge of the frame, or at the waist by its bottom edge (a
    hard case of each kind made from each photo): the landmark model's region is centred where the whole
    person would be, and a reading that disagrees with the detector's box is tried again with other region
    sizes, wide frames are looked at in squares, and a still image also in its mirror image (0.88 and 0.77
    are found; 0.68 and 0.60 with one region size, halves and no mirror image, 0.43 and 0.29 with HOG)."""
    cut = [case for case in hard_cases() if case.name.endswith(edge)]
    assert len(cut) >= 8
    recall, extras, missed = recall_and_extras(cut, find)
    assert recall >= floor, missed
    assert extras <= 1.0


def test_a_box_cut_off_by_the_frame_edge_is_centred_on_the_whole_person():
    from arsdk.estimators.roi import roi_from_box

    frame_wh = (400, 300)
    whole = roi_from_box(np.array([100, 50, 160, 250], np.float32), frame_wh=frame_wh)
    assert whole.center_xy == (130.0, 150.0)  # inside the frame: as without frame_wh
    right = roi_from_box(np.array([370, 50, 400, 250], np.float32), frame_wh=frame_wh)
    assert right.center_xy[0] == 370 + 0.45 * 200 / 2  # extended beyond the right edge to 0.45 of its height
    left = roi_from_box(np.array([0, 50, 30, 250], np.float32), frame_wh=frame_wh)
    assert left.center_xy[0] == 30 - 0.45 * 200 / 2
    wide = roi_from_box(np.array([340, 50, 400, 120], np.float32), frame_wh=frame_wh)
    assert wide.center_xy == (370.0, 85.0)  # wide enough: nothing is missing
    bottom = roi_from_box(np.array([100, 200, 200, 300], np.float32), frame_wh=frame_wh)
    assert bottom.center_xy == (150.0, 300.0)  # cut at the waist: extended below the frame to twice its width
    assert roi_from_box(np.array([370, 50, 400, 250], np.float32)).center_xy == (385.0, 150.0)


def test_a_photograph_of_a_crowd_is_read_beyond_the_video_cap_by_default():
    """``max_persons=None``: 30 people on still images, 10 in video (a landmark pass per person per frame)."""
    crowd = max(base_cases(), key=lambda case: len(case.boxes_xyxy))  # PoseTrack's dancers and onlookers
    with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False)) as estimator:
        assert len(estimator.infer(Frame(crowd.image_bgr, 0, 0.0))) > 10
    assert PoseEstimatorOptions(running_mode=RunMode.VIDEO).persons_cap == 10
    assert PoseEstimatorOptions(max_persons=3).persons_cap == 3


def test_a_seated_spectator_cut_off_by_the_frame_is_found(find):
    """A COCO photograph of a tennis match: a spectator sitting in the stands, 90 px tall and cut off by the
    right edge. The landmark model reads nobody in regions 1.0 to 1.5 times the detector's box around him, and
    him in one twice its size (a still image's last resort when the usual sizes read nobody)."""
    case = next(case for case in base_cases() if case.name.endswith("COCO_val2014_000000000564.jpg"))
    spectator = case.boxes_xyxy[np.argmin(case.boxes_xyxy[:, 1])]  # the one in the stands, above the player
    assert box_iou(spectator[None], find(case.image_bgr)).max() >= 0.5


def test_a_dark_photograph_is_read_again_equalized(find, monkeypatch):
    """A baseball photograph as at night: the landmark model reads the umpire (26 px wide, bent over behind
    the catcher) in the equalized frame only, the frame as it is giving it nothing in any region size."""
    import arsdk.estimators.mediapipe_pose as mediapipe_pose

    case = next(case for case in hard_cases() if case.name.endswith("COCO_val2014_000000000357.jpg dark"))
    umpire = np.array([[592, 156, 618, 200]], np.float32)
    assert box_iou(umpire, case.boxes_xyxy).max() == 1.0
    assert box_iou(umpire, find(case.image_bgr)).max() >= 0.5
    monkeypatch.setattr(mediapipe_pose, "equalize_if_dark", lambda image: image)
    assert box_iou(umpire, find(case.image_bgr)).max() < 0.5


def test_a_small_thing_read_without_much_presence_is_not_a_person(scene_people, scene_images, monkeypatch):
    """vtest.avi frame 200: a yellow traffic sign 26 px tall, which a square tile of the mirror view gives the
    detector, is read by the landmark model with a presence of 0.72; on still images a person under 60 px
    needs 0.75, so it is no person (without that rule it is one)."""
    import arsdk.estimators.mediapipe_pose as mediapipe_pose

    sign = np.array([[164, 182, 176, 208]], np.float32)

    def boxes(persons):
        return np.array([p.box_xyxy for p in persons], np.float32).reshape(-1, 4)

    people = scene_people["vtest200"]
    assert len(people) >= 6 and box_iou(sign, boxes(people)).max() < 0.5
    monkeypatch.setattr(mediapipe_pose, "_SMALL_PERSON_SCORE", 0.5)
    with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False)) as estimator:
        assert box_iou(sign, boxes(estimator.infer(Frame(scene_images["vtest200"], 0, 0.0)))).max() >= 0.5


def test_a_large_man_cut_off_by_two_edges_gets_a_box_spanning_the_detector_s(find, monkeypatch):
    """PoseTrack 003418: a man seen from behind, cut off by the top and right edges of the frame. The mask and
    landmarks box less of him than the labelled box (IoU 0.46); the detector's box agrees with the reading
    and boxes him whole, and the person's box spans both (IoU >= 0.5)."""
    import arsdk.estimators.mediapipe_pose as mediapipe_pose

    case = next(case for case in base_cases() if case.name == "posetrack18/003418_mpii_test/000000.jpg")
    man = np.array([[1325, 0, 1920, 1079]], np.float32)
    assert box_iou(man, case.boxes_xyxy).max() == 1.0
    assert box_iou(man, find(case.image_bgr)).max() >= 0.5
    monkeypatch.setattr(mediapipe_pose, "_spanning_detector_boxes", lambda persons, boxes: persons)
    with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False, max_persons=30)) as estimator:
        assert box_iou(man, _finder(estimator)(case.image_bgr)).max() < 0.5


def test_a_person_read_twice_with_the_same_pixels_is_one_person(find, monkeypatch):
    """Human3.6M, a woman reclining on the floor: the BlazePose graph and the detector's box read her twice,
    as two different bodies (landmarks far apart) over the same pixels (boxes IoU 0.8, masks 0.7). Two
    readings whose masks coincide are one person: she is found once."""
    import arsdk.estimators.mediapipe_pose as mediapipe_pose

    case = next(case for case in base_cases() if case.name.startswith("h36m/S5_SittingDown"))
    her = case.boxes_xyxy[:1]
    assert len(case.boxes_xyxy) == 1
    assert int((box_iou(her, find(case.image_bgr))[0] >= 0.5).sum()) == 1
    monkeypatch.setattr(mediapipe_pose, "_same_pixels", lambda a, b: False)
    with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False, max_persons=30)) as estimator:
        assert int((box_iou(her, _finder(estimator)(case.image_bgr))[0] >= 0.5).sum()) == 2


def test_a_small_person_read_unsure_in_one_region_is_read_again_in_others(find):
    """COCO 257 at half size: a woman in red queueing at a food truck, 38 px tall. The usual region around the
    detector's box reads her with a presence of 0.53, under what a person that small needs on a still image
    (0.75); the second look passes over that reading and the next region size reads her with 1.0. Before, the
    unsure reading was kept as the best and then dropped, and she was missed."""
    case = next(case for case in hard_cases() if case.name.endswith("000000000257.jpg scaled 0.5"))
    near = box_iou(np.array([[144, 168, 159, 206]], np.float32), case.boxes_xyxy)[0]
    woman = case.boxes_xyxy[np.argmax(near)]
    assert woman[3] - woman[1] < 40
    assert box_iou(woman[None], find(case.image_bgr)).max() >= 0.5


def test_a_player_sliding_under_another_is_found_where_nobody_was_read(monkeypatch):
    """The PoseTrack clip's first frame (a football match): a player slides along the ground under an
    opponent jumping over him. The detector and the segmenter see the two as one region and the landmark model
    reads the jumper; the segmenter's person pixels left once the people found are taken out are the sliding
    player, and a reading there finds him (the box drawn by hand)."""
    import cv2

    import arsdk.estimators.mediapipe_pose as mediapipe_pose

    image = cv2.imread(str(data_file("people/posetrack18/videos/000001_mpiinew_test/000000.jpg")))
    sliding = np.array([[620, 405, 830, 510]], np.float32)
    jumping = np.array([[610, 255, 845, 525]], np.float32)  # over him, as the detector boxes both

    def boxes():
        with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False)) as estimator:
            persons = estimator.infer(Frame(image, 0, 0.0))
        return np.array([p.box_xyxy for p in persons], np.float32).reshape(-1, 4)

    found = boxes()
    assert box_iou(sliding, found).max() >= 0.5 and box_iou(jumping, found).max() >= 0.5
    assert len(found) == 3  # and the runner beside them
    monkeypatch.setattr(mediapipe_pose.MediaPipePoseEstimator, "_residual_people", lambda self, *args: [])
    assert box_iou(sliding, boxes()).max() < 0.5


def _posetrack_clip_frame(index: int) -> np.ndarray:
    import cv2

    return cv2.imread(str(data_file(f"people/posetrack18/videos/000001_mpiinew_test/{index:06d}.jpg")))


def test_a_clip_s_first_frame_finds_the_people_its_still_image_finds():
    """In VIDEO mode the first search of a clip looks as closely as a still image's: the sliding player of the
    PoseTrack clip's first frame, found on the still image only where nobody was read, is found on the clip's
    first frame too; the later searches are the quick ones; without the close first look he is missed."""
    sliding = np.array([[620, 405, 830, 510]], np.float32)

    def first_frames(**options):
        stages = []
        options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, dense_iuv=False, **options)
        with MediaPipePoseEstimator(options) as estimator:
            for index in range(2):
                persons = estimator.infer(Frame(_posetrack_clip_frame(index), index, index * 40.0))
                stages.append(set(estimator.clock.last_ms))
                if index == 0:
                    found = np.array([p.box_xyxy for p in persons], np.float32).reshape(-1, 4)
        return found, stages

    found, stages = first_frames()
    assert box_iou(sliding, found).max() >= 0.5
    assert "residual_people" in stages[0] and "residual_people" not in stages[1]
    found, stages = first_frames(thorough_first_search=False)
    assert box_iou(sliding, found).max() < 0.5
    assert not any("residual_people" in s for s in stages)


@pytest.mark.parametrize(
    "name",
    [
        "COCO_val2014_000000000564.jpg",  # the landmark model's own next region loses the boy at the table
        # a man cut off at the thighs, found by MediaPipe's graph
        "054d9ce9201beffc76e5ff2169d2af2f027002ca.jpg",
    ],
)
def test_a_still_scene_read_as_a_clip_keeps_the_people_its_first_frame_found(name):
    """In VIDEO mode a person found on the first frame is followed for as long as they stay: one whose hips do
    not show is followed from the region around their box, and one the landmark model's next region loses is
    read again in the region that last found them."""
    case = next(c for c in base_cases() if c.name.endswith(name))
    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, dense_iuv=False)
    with MediaPipePoseEstimator(options) as estimator:
        frames = []
        for index in range(10):
            persons = estimator.infer(Frame(case.image_bgr, index, index * 40.0))
            frames.append(np.array([p.box_xyxy for p in persons], np.float32).reshape(-1, 4))
    found_first = box_iou(case.boxes_xyxy, frames[0]).max(axis=1) >= 0.5
    assert found_first.any()
    for index, boxes in enumerate(frames[1:], start=1):
        kept = box_iou(case.boxes_xyxy, boxes).max(axis=1, initial=0.0) >= 0.5
        assert kept[found_first].all(), (index, case.boxes_xyxy[found_first & ~kept], boxes)
