"""What the live speed-ups must not change: LiteRT and OpenCV give the same landmarks; the adaptive proposal
schedule searches less while everyone is followed, never while max_persons are followed, and at once when a
followed person is lost; background proposals find the people of the sample clip."""

import time

import numpy as np
import pytest

from arsdk import Frame, MediaPipePoseEstimator, PoseEstimatorOptions, RunMode, open_source
from arsdk.errors import ConfigError
from arsdk.bench.clips import panned_clip
from arsdk.estimators.blazepose import BlazePoseLandmarkModel, litert_available
from arsdk.estimators.models import find_model_files
from arsdk.estimators.roi import roi_from_box


@pytest.mark.skipif(not litert_available(), reason="ai-edge-litert not installed")
def test_litert_and_opencv_landmarks_agree(messi_bgr):
    path = find_model_files().landmarks
    roi = roi_from_box(np.array([120, 0, 450, 342], np.float32))
    fast = BlazePoseLandmarkModel(path, "litert").infer(messi_bgr, roi)
    slow = BlazePoseLandmarkModel(path, "opencv").infer(messi_bgr, roi)
    assert BlazePoseLandmarkModel(path, "litert").backend == "litert"
    assert abs(fast.score - slow.score) < 1e-3
    assert np.abs(fast.landmarks.xy_px - slow.landmarks.xy_px).max() < 0.5  # pixels
    assert np.abs(fast.world_landmarks.xyz_m - slow.world_landmarks.xyz_m).max() < 1e-3
    assert np.abs(fast.mask.data - slow.mask.data).mean() < 1e-3


def _proposal_frames(clip, options):
    frames = []
    with MediaPipePoseEstimator(options) as estimator:
        for index, image in enumerate(clip.frames_bgr):
            persons = estimator.infer(Frame(image, index, index * 40.0))
            if any(k.startswith("proposals") for k in estimator.clock.last_ms):
                frames.append(index)
    return frames, persons


@pytest.fixture(scope="module")
def one_person_clip(messi_bgr):
    return panned_clip(messi_bgr, 40, "1 person", "messi5.jpg")


def test_the_search_interval_grows_while_everyone_is_followed(one_person_clip):
    fixed, _ = _proposal_frames(one_person_clip, PoseEstimatorOptions(RunMode.VIDEO, proposal_interval=5,
                                                                      max_proposal_interval=5))  # fmt: skip
    adaptive, persons = _proposal_frames(one_person_clip, PoseEstimatorOptions(RunMode.VIDEO, proposal_interval=5))
    assert fixed == list(range(0, 40, 5))
    assert adaptive[:3] == [0, 5, 15] and len(adaptive) < len(fixed)
    assert persons and persons[0].height_px > 250


def test_no_search_while_max_persons_are_followed(one_person_clip):
    frames, persons = _proposal_frames(one_person_clip, PoseEstimatorOptions(RunMode.VIDEO, max_persons=1, proposal_interval=5))
    assert frames == [0] and len(persons) == 1


def _camera_pace(estimator: MediaPipePoseEstimator) -> None:
    """Frames arrive as from a camera, not as fast as a file decodes; and each search submitted is given the
    time to finish before the next frame (the search thread runs at a lower priority, and under a loaded
    machine it could otherwise deliver fewer rounds than these tests count on)."""
    time.sleep(0.05)
    assert estimator._background is not None and estimator._background.wait_idle(timeout_s=10.0)


def test_background_proposals_find_the_people_of_the_sample_clip(sample_clip):
    options = PoseEstimatorOptions(RunMode.VIDEO, proposal_interval=3, background_proposals=True)
    counts, in_background, in_frame = [], 0, 0
    with open_source(sample_clip) as source, MediaPipePoseEstimator(options) as estimator:
        for _ in range(40):
            counts.append(len(estimator.infer(source.read())))
            _camera_pace(estimator)
            in_background += "background.proposals_detector" in estimator.clock.last_ms
            in_frame += "proposals_detector" in estimator.clock.last_ms
        thread = estimator._background._thread
    assert not thread.is_alive()  # closed with the estimator
    assert in_frame == 0 and in_background >= 3  # no search held a frame up, not even the first
    assert counts[0] == 0 and max(counts[:5]) >= 1  # the first frame's search joins a later frame
    assert max(counts[20:]) >= 4  # the walkers found on earlier frames are confirmed on later ones


def test_a_crowd_walking_in_is_checked_a_few_people_per_frame(sample_clip):
    """Background finds are confirmed at most ``max_new_checks_per_frame`` per frame; the rest wait for the
    next frames instead of all landing on one (the stall a crowd would cause), and are not lost."""
    options = PoseEstimatorOptions(RunMode.VIDEO, proposal_interval=3, background_proposals=True,
                                   max_new_checks_per_frame=1)  # fmt: skip
    new_per_frame, counts = [], []
    with open_source(sample_clip) as source, MediaPipePoseEstimator(options) as estimator:
        for _ in range(40):
            persons = estimator.infer(source.read())
            _camera_pace(estimator)
            counts.append(len(persons))
            new_per_frame.append(sum(p.proposal != "track" for p in persons))
    assert max(new_per_frame) <= 1
    assert max(counts[20:]) >= 4  # one a frame, the walkers are all found all the same
    with pytest.raises(ConfigError, match="max_new_checks_per_frame"):
        PoseEstimatorOptions(max_new_checks_per_frame=0)


def test_a_frame_without_time_for_everyone_defers_people_to_the_next(sample_clip):
    """``steady_frame_time``: on a frame with no time left (the history of frame times is made tiny here, so
    that the limit falls after the first landmark pass) the people left keep their last reading, marked
    ``deferred``, and are read first on the next frame; nobody waits two frames in a row, nobody is dropped."""
    options = PoseEstimatorOptions(RunMode.VIDEO, proposal_interval=1000, max_proposal_interval=1000,
                                   steady_frame_time=1.5, dense_iuv=False)  # fmt: skip
    frames = []
    with open_source(sample_clip) as source, MediaPipePoseEstimator(options) as estimator:
        for index in range(12):
            if index == 6:
                estimator._landmark_ms.extend([1e-3] * 50)
                estimator._everyone_ms.extend([1e-3] * 50)
            frames.append(estimator.infer(source.read()))
    followed = len(frames[5])
    assert followed >= 3 and not any(p.attributes.get("deferred") for f in frames[:6] for p in f)
    for before, now in zip(frames[6:], frames[7:]):
        assert len(now) == followed
        deferred = [p for p in now if p.attributes.get("deferred")]
        assert 1 <= len(deferred) < followed
        for person in deferred:  # its last reading, as it was on the frame before, where it was read
            match = [q for q in before if np.array_equal(q.box_xyxy, person.box_xyxy)]
            assert match and not match[0].attributes.get("deferred")
    with pytest.raises(ConfigError, match="steady_frame_time"):
        PoseEstimatorOptions(steady_frame_time=0.5)


def test_a_find_that_waited_its_longest_is_checked_in_a_followed_person_s_place(one_person_clip):
    """``steady_frame_time`` with one person followed: a second pass never fits a frame, so a new find waits
    its longest (two frames) and is then checked all the same. The followed person keeps their last reading
    on that frame (deferred) and the check takes their pass: the frame costs one landmark pass, not two."""
    from arsdk.estimators import mediapipe_pose
    from arsdk.estimators.background import ProposalRound
    from arsdk.estimators.proposals import BoxProposal

    options = PoseEstimatorOptions(RunMode.VIDEO, proposal_interval=1000, max_proposal_interval=1000,
                                   background_proposals=True, steady_frame_time=1.4,
                                   dense_iuv=False)  # fmt: skip
    frames = one_person_clip.frames_bgr
    with MediaPipePoseEstimator(options) as estimator:
        for index in range(15):
            persons = estimator.infer(Frame(frames[index], index, index * 100.0))
            _camera_pace(estimator)
        assert len(persons) == 1 and not persons[0].attributes.get("deferred")
        estimator._background.take()  # nothing pending: the find below is the only one waiting
        spectator = BoxProposal(np.array([10, 90, 140, 270], np.float32), 0.6, "detector")
        estimator._carried = ProposalRound(14, boxes=(spectator,))
        estimator._checks_waited = mediapipe_pose._MAX_CHECK_WAIT
        passes = []
        infer = estimator._landmarker.infer
        estimator._landmarker.infer = lambda *args, **kwargs: passes.append(1) or infer(*args, **kwargs)
        persons = estimator.infer(Frame(frames[15], 15, 1500.0))
        assert len(passes) == 1  # the find's check
        assert persons[0].attributes.get("deferred") and persons[0].height_px > 250
        assert estimator._carried is None and estimator._checks_waited == 0
        passes.clear()
        persons = estimator.infer(Frame(frames[16], 16, 1600.0))  # read first on the next frame
        assert passes and not persons[0].attributes.get("deferred")


def test_frames_cut_short_do_not_drive_the_steady_limit_down():
    """The limit is ``steady_frame_time`` x the median landmark work, but never below the median of what reading
    everyone took: when most frames defer someone, a frame at the usual pace still reads everyone."""
    options = PoseEstimatorOptions(RunMode.VIDEO, steady_frame_time=1.4, dense_iuv=False)
    with MediaPipePoseEstimator(options) as estimator:
        assert estimator._landmark_limit_ms() is None  # no history yet: no limit
        estimator._landmark_ms.extend([50.0] * 20)
        estimator._everyone_ms.extend([50.0] * 20)
        assert estimator._landmark_limit_ms() == pytest.approx(70.0)
        estimator._everyone_ms.extend([100.0] * 30)  # frames that deferred people: done 50 ms, everyone 100 ms
        assert estimator._landmark_limit_ms() == pytest.approx(100.0)
