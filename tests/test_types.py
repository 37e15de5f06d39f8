from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest

from arsdk import BoxRaster, ConfigError, Frame, Landmarks, Person, PersonIUV, WorldLandmarks
from tests.helpers import make_frame, make_landmarks, make_person


@pytest.mark.parametrize(
    ("image", "index", "expectation"),
    [
        (np.zeros((4, 5, 3), np.uint8), 0, does_not_raise()),
        (np.zeros((4, 5), np.uint8), 0, pytest.raises(ConfigError, match=r"shape \(N, N, 3\), got \(4, 5\)")),
        (np.zeros((4, 5, 3), np.float32), 0, pytest.raises(ConfigError, match="dtype uint8, got float32")),
        ([[0]], 0, pytest.raises(ConfigError, match="numpy array")),
        (np.zeros((4, 5, 3), np.uint8), -1, pytest.raises(ConfigError, match="index must be >= 0")),
    ],
)
def test_frame_validates_its_image(image, index, expectation):
    with expectation:
        Frame(image, index, 0.0)


def test_frame_image_is_read_only_and_reports_width_height():
    frame = make_frame(h=48, w=64)
    assert frame.resolution_wh == (64, 48)
    with pytest.raises(ValueError):
        frame.image_bgr[0, 0, 0] = 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("xy_px", np.zeros((32, 2), np.float32), r"xy_px must have shape \(33, 2\)"),
        ("visibility", np.zeros(33, np.float64), "visibility must have dtype float32"),
        ("z_px", np.zeros((33, 1), np.float32), r"z_px must have shape \(33\)"),
    ],
)
def test_landmarks_reject_wrong_shapes(field, value, message):
    good = dict(
        xy_px=np.zeros((33, 2), np.float32),
        z_px=np.zeros(33, np.float32),
        visibility=np.zeros(33, np.float32),
        presence=np.zeros(33, np.float32),
    )
    good[field] = value
    with pytest.raises(ConfigError, match=message):
        Landmarks(**good)


@pytest.mark.parametrize(
    ("box", "score", "expectation"),
    [
        ((0, 0, 1, 1), 0.5, does_not_raise()),
        ((0, 0, 1), 0.5, pytest.raises(ConfigError, match=r"box_xyxy must have shape \(4\)")),
        ((0, 0, 1, 1), 1.5, pytest.raises(ConfigError, match=r"score must be in \[0, 1\], got 1.5")),
    ],
)
def test_person_validates_box_and_score(box, score, expectation):
    with expectation:
        make_person(box=box, score=score)


def test_person_replace_returns_a_new_object_and_leaves_the_original():
    person = make_person(landmarks=make_landmarks())
    tracked = person.replace(track_id=7)
    assert tracked.track_id == 7 and person.track_id is None
    with pytest.raises(AttributeError):
        person.track_id = 3  # type: ignore[misc]


def test_world_landmarks_need_33_points_in_metres():
    WorldLandmarks(np.zeros((33, 3), np.float32))
    with pytest.raises(ConfigError):
        WorldLandmarks(np.zeros((33, 2), np.float32))


@pytest.mark.parametrize(
    ("xyxy", "shape", "expectation"),
    [
        ((2, 3, 6, 8), (5, 4), does_not_raise()),
        ((2, 3, 6, 8), (4, 5), pytest.raises(ConfigError, match=r"must be \(5, 4\) to cover box")),
        ((6, 3, 2, 8), (5, 0), pytest.raises(ConfigError, match="right >= left")),
    ],
)
def test_box_raster_data_must_cover_its_box(xyxy, shape, expectation):
    with expectation:
        BoxRaster(xyxy, np.zeros(shape, np.float32))


def test_box_raster_pastes_clipped_to_the_canvas():
    raster = BoxRaster((-2, -1, 3, 2), np.arange(15, dtype=np.float32).reshape(3, 5))
    full = raster.to_full((4, 3), fill=-1)
    # the box covers x -2..2 and y -1..1; only x 0..2, y 0..1 are inside the 4x3 canvas
    expected = np.full((3, 4), -1, np.float32)
    expected[0:2, 0:3] = np.arange(15, dtype=np.float32).reshape(3, 5)[1:3, 2:5]
    np.testing.assert_array_equal(full, expected)
    outside = BoxRaster((10, 10, 12, 12), np.ones((2, 2), np.float32))
    view, part = outside.paste(np.zeros((4, 4)))
    assert view.size == 0 and part.size == 0


def test_person_iuv_checks_part_index_and_uv_against_the_box():
    PersonIUV((0, 0, 3, 2), np.zeros((2, 3), np.uint8), np.zeros((2, 3, 2), np.float32))
    with pytest.raises(ConfigError, match="part_index must have shape"):
        PersonIUV((0, 0, 3, 2), np.zeros((3, 2), np.uint8), np.zeros((2, 3, 2), np.float32))
