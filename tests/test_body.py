"""The fitted body: the shipped asset, the rasterizer, the fit on real people, bad input, dump and meshes."""

import json

import cv2
import numpy as np
import pytest

from arsdk import Frame, Landmarks, MediaPipePoseEstimator, PoseEstimatorOptions, RunMode, WorldLandmarks
from arsdk.bench.body import capsule_silhouette, part_flicker
from arsdk.body import BodyFitOptions, BodyIUVOptions, load_body_model, rasterize
from arsdk.body.iuv import fit_frame
from arsdk.densepose import FLIP_MAP, NUM_PARTS, DenseIUVStage, DenseOptions
from arsdk.types import CameraIntrinsics
from tests.conftest import data_file
from tests.helpers import LR_SWAP

def _wh(image):
    return image.shape[1], image.shape[0]


# -- the asset ------------------------------------------------------------------------------------------------


def test_every_face_of_the_body_has_a_densepose_part_and_chart():
    model = load_body_model()
    assert model.faces.shape[1] == 3 and model.faces.max() < len(model.vertices)
    assert set(np.unique(model.face_part)) == set(range(1, NUM_PARTS + 1))
    assert (model.corner_uv >= 0).all() and (model.corner_uv <= 1).all()
    np.testing.assert_allclose(model.weights.sum(axis=1), 1.0, atol=1e-2)


def test_the_body_asset_is_left_right_symmetric():
    """Mirroring the rest mesh (x -> -x) maps each face's part through DensePose's flip map."""
    model = load_body_model()
    centroids = model.vertices[model.faces].mean(axis=1)
    from scipy.spatial import cKDTree

    mirrored = centroids * [-1, 1, 1]
    _, nearest = cKDTree(centroids).query(mirrored)
    agree = FLIP_MAP[model.face_part] == model.face_part[nearest]
    assert agree.mean() >= 0.97


# -- the rasterizer -------------------------------------------------------------------------------------------


def test_the_nearer_of_two_overlapping_squares_is_what_the_camera_sees():
    camera = CameraIntrinsics(100.0, 100.0, 50.0, 50.0)
    square = np.array([[-0.2, -0.2, 0], [0.2, -0.2, 0], [0.2, 0.2, 0], [-0.2, 0.2, 0]], np.float32)
    near, far = square + [0.1, 0, 1.0], square + [-0.1, 0, 2.0]
    vertices = np.concatenate([far, near]).astype(np.float32)
    # counter-clockwise seen from the camera (which looks along +z with y down)
    faces = np.array([[0, 2, 1], [0, 3, 2], [4, 6, 5], [4, 7, 6]], np.int32)
    raster = rasterize(vertices, faces, camera, (0, 0, 100, 100))
    assert raster.face[50, 60] in (2, 3), "the near square covers the middle"
    assert raster.face[50, 37] in (0, 1), "only the far square reaches there"
    covered = raster.covered
    np.testing.assert_allclose(raster.bary[covered].sum(axis=1), 1.0, atol=1e-4)
    assert (raster.bary[covered] >= -1e-4).all()
    np.testing.assert_allclose(1.0 / raster.inv_depth[50, 60], 1.0, atol=1e-4)
    # pixel centres inside: the near square spans x 40..80, y 30..70; the far one x 35..55, y 40..60
    assert covered.sum() == 40 * 40 + 5 * 20
    back = rasterize(vertices, faces[:, ::-1].copy(), camera, (0, 0, 100, 100))
    assert not back.covered.any(), "faces turned away are culled"


# -- the fit on real people -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def silhouettes(scene_people, scene_images):
    rows = []
    for name, persons in scene_people.items():
        wh = _wh(scene_images[name])
        for person in persons:
            fitted = fit_frame((person.replace(iuv=None, body=None),), wh, BodyIUVOptions())[0]
            assert fitted is not None, name
            mask = person.mask.to_full(wh) >= 0.5
            body = fitted.raster.covered_in_frame(wh)
            capsules = capsule_silhouette(person, wh)
            iou = lambda a: (a & mask).sum() / max((a | mask).sum(), 1)  # noqa: E731
            rows.append((name, iou(body), iou(capsules), fitted.body.error))
    return rows


def test_the_rendered_body_covers_the_persons_mask(silhouettes):
    body = np.median([r[1] for r in silhouettes])
    assert body >= 0.75, f"median silhouette IoU {body:.3f}"
    # person by person (the medians of the two sets move with every small person the finder adds or reads
    # differently): the body covers the mask better for nearly everyone, by 0.066 on average on 2026-12-02
    gain = np.array([r[1] - r[2] for r in silhouettes])
    assert (gain > 0).mean() >= 0.75 and gain.mean() >= 0.05, gain.round(3)


def test_the_models_joints_reproject_onto_the_landmarks(silhouettes):
    assert np.median([r[3] for r in silhouettes]) <= 0.05
    assert max(r[3] for r in silhouettes) <= 0.15


def test_people_get_a_body_and_the_dump_says_which_dense_method_each_got(scene_people):
    from arsdk.dump import person_to_dict

    for persons in scene_people.values():
        for k, person in enumerate(persons):
            assert person.body is not None
            doc = person_to_dict(person, k)
            assert doc["dense"] == "body"
            body = doc["body"]
            assert set(body["camera"]) == {"fx", "fy", "cx", "cy"}
            assert np.array(body["joints_xy"]).shape == (33, 2)
            json.dumps(doc)


def test_the_fitted_mesh_projects_onto_the_person(scene_people):
    person = scene_people["messi5"][0]
    vertices, faces = person.body.mesh()
    assert vertices.shape == (13718, 3) and (vertices[:, 2] > 0).all()
    xy = person.body.camera.project(vertices)
    x0, y0, x1, y1 = person.box_xyxy
    inside = (xy[:, 0] >= x0 - 10) & (xy[:, 0] <= x1 + 10) & (xy[:, 1] >= y0 - 10) & (xy[:, 1] <= y1 + 10)
    assert inside.mean() >= 0.95


# -- bad input ------------------------------------------------------------------------------------------------


def _with_landmarks(person, xy=None, visibility=None, world=None):
    lm = person.landmarks
    landmarks = Landmarks(
        lm.xy_px.copy() if xy is None else xy.astype(np.float32),
        lm.z_px.copy(),
        lm.visibility.copy() if visibility is None else visibility.astype(np.float32),
        lm.presence.copy(),
    )
    world_lm = person.world_landmarks if world is None else WorldLandmarks(world.astype(np.float32))
    return person.replace(landmarks=landmarks, world_landmarks=world_lm, iuv=None, body=None)


def _mirrored(person, width):
    xy = person.landmarks.xy_px[LR_SWAP].copy()
    xy[:, 0] = width - xy[:, 0]
    world = person.world_landmarks.xyz_m[LR_SWAP].copy()
    world[:, 0] = -world[:, 0]
    return _with_landmarks(person, xy=xy, visibility=person.landmarks.visibility[LR_SWAP], world=world)


def _upside_down(person, height):
    xy = person.landmarks.xy_px.copy()
    xy[:, 1] = height - xy[:, 1]
    world = person.world_landmarks.xyz_m.copy()
    world[:, 1] = -world[:, 1]
    return _with_landmarks(person, xy=xy, world=world)


def _cut_at_the_waist(person):
    """Hips, legs and feet guessed far below the frame with no visibility, as BlazePose reports them."""
    xy = person.landmarks.xy_px.copy()
    visibility = person.landmarks.visibility.copy()
    xy[23:, 1] += 2000
    visibility[23:] = 0.01
    return _with_landmarks(person, xy=xy, visibility=visibility)


def _invisible(person):
    return _with_landmarks(person, visibility=np.full(33, 0.02))


def _degenerate(person):
    xy = np.full((33, 2), 100.0)
    return _with_landmarks(person, xy=xy, world=np.zeros((33, 3)))


@pytest.mark.parametrize("variant", ["invisible", "cut at the waist", "mirrored", "upside down", "degenerate"])
def test_a_pose_the_fit_cannot_explain_gives_a_well_formed_result(scene_people, scene_images, variant):
    image = scene_images["messi5"]
    wh = _wh(image)
    person = scene_people["messi5"][0]
    changed = {
        "invisible": lambda: _invisible(person),
        "cut at the waist": lambda: _cut_at_the_waist(person),
        "mirrored": lambda: _mirrored(person, wh[0]),
        "upside down": lambda: _upside_down(person, wh[1]),
        "degenerate": lambda: _degenerate(person),
    }[variant]()
    (out,) = DenseIUVStage().apply((changed,), wh)
    if out.iuv is not None:
        part, uv = out.iuv.part_index, out.iuv.uv
        assert part.max() <= 24 and np.isfinite(uv).all() and (uv >= 0).all() and (uv <= 1).all()
        x0, y0, x1, y1 = out.iuv.xyxy
        assert 0 <= x0 <= x1 <= wh[0] and 0 <= y0 <= y1 <= wh[1]
    if variant == "invisible":
        assert out.body is None and out.iuv is not None, "too poor to fit: the capsule charts"
    if variant in ("mirrored", "upside down"):
        assert out.body is not None and out.iuv is not None
        assert np.isfinite(out.body.linear).all()
    if variant == "upside down":
        torso = np.isin(out.iuv.part_index, (1, 2)).sum()
        assert torso > 0.1 * (out.iuv.part_index > 0).sum()


def test_fit_options_are_range_checked():
    with pytest.raises(ValueError, match="fov_deg"):
        BodyFitOptions(fov_deg=5)
    with pytest.raises(ValueError, match="max_stretch"):
        BodyFitOptions(max_stretch=3.0)
    with pytest.raises(ValueError, match="dense method"):
        DenseOptions(method="smpl")
    with pytest.raises(ValueError, match="refit_interval"):
        BodyIUVOptions(refit_interval=0)


def test_a_person_without_a_mask_gets_the_bodys_own_silhouette(scene_people, scene_images):
    wh = _wh(scene_images["basketball1"])
    person = scene_people["basketball1"][0].replace(mask=None, iuv=None, body=None)
    (out,) = DenseIUVStage().apply((person,), wh)
    assert out.body is not None and (out.iuv.part_index > 0).sum() > 5000


# -- over time ------------------------------------------------------------------------------------------------


def test_followed_people_keep_one_state_each_and_nothing_grows(sample_clip):
    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO)
    capture = cv2.VideoCapture(str(sample_clip))
    with MediaPipePoseEstimator(options) as estimator:
        for index in range(12):
            ok, image = capture.read()
            assert ok
            persons = estimator.infer(Frame(image, index, index * 100.0))
        stage = estimator._dense
        assert stage is not None and stage._tracks is not None
        assert len(stage._tracks._previous) == sum(p.body is not None for p in persons)
        assert max(state.frames for _, state in stage._tracks._previous) >= 5, "people were followed"
    capture.release()


def _relabelled(person):
    """The person with its landmarks' left and right labels exchanged, as a landmark model's swap does."""
    lm, world = person.landmarks, person.world_landmarks
    landmarks = Landmarks(lm.xy_px[LR_SWAP], lm.z_px[LR_SWAP], lm.visibility[LR_SWAP], lm.presence[LR_SWAP])
    return person.replace(landmarks=landmarks, world_landmarks=WorldLandmarks(world.xyz_m[LR_SWAP]), iuv=None, body=None)


def test_a_left_right_swap_of_the_landmarks_does_not_turn_a_followed_body_around(scene_people, scene_images):
    wh = _wh(scene_images["messi5"])
    person = scene_people["messi5"][0].replace(iuv=None, body=None)
    swapped = _relabelled(person)
    stage = DenseIUVStage(temporal=True)
    hold = BodyFitOptions().side_hold_frames
    assert hold >= 2
    sequence = [person, person] + [swapped] * (hold + 1)
    outs = [stage.apply((p,), wh, 100.0 * k)[0] for k, p in enumerate(sequence)]

    def front(out):
        return np.isin(out.iuv.part_index, (2,)).sum() / np.isin(out.iuv.part_index, (1, 2)).sum()

    assert front(outs[1]) > 0.8, "messi faces the camera"
    for out in outs[2 : 2 + hold - 1]:  # held: the body keeps its sides and keeps facing the camera
        assert front(out) > 0.8
        np.testing.assert_allclose(out.body.joints_xy[[25, 26]], person.landmarks.xy_px[[25, 26]], atol=15)
    assert front(outs[-1]) < 0.5, "the landmarks insisted: the body follows their sides"
    # at once and undragged: the filters' history changed sides with the labels
    np.testing.assert_allclose(outs[-1].body.joints_xy[[25, 26]], swapped.landmarks.xy_px[[25, 26]], atol=15)
    stage = DenseIUVStage(DenseOptions(body=BodyIUVOptions(fit=BodyFitOptions(side_hold_frames=0))), temporal=True)
    outs = [stage.apply((p,), wh, 100.0 * k)[0] for k, p in enumerate(sequence[:3])]
    knees = person.landmarks.xy_px[[25, 26]]
    assert np.linalg.norm(knees[0] - knees[1]) > 40
    moved = np.linalg.norm(outs[2].body.joints_xy[[25, 26]] - knees, axis=1)
    assert moved.max() > 30, "without the hold the filtered body is dragged towards the swapped sides"


def test_part_flicker_is_lower_with_the_body(sample_clip):
    """A fast representative of the benchmark's 150-frame measurement (arsdk.bench.body)."""
    capsules = part_flicker(sample_clip, 20, "capsules")
    body = part_flicker(sample_clip, 20, "body")
    assert body["links"] >= 40 and capsules["links"] >= 40
    assert body["changed_following"] < capsules["changed_following"]
    assert body["changed"] < capsules["changed"]


@pytest.mark.slow
def test_part_flicker_over_150_frames_of_vtest():
    capsules = part_flicker(data_file("vtest.avi"), 150, "capsules")
    body = part_flicker(data_file("vtest.avi"), 150, "body")
    # issue 13: at least 30% lower (30.8% on 2026-12-01: 19.4% against 28.0%)
    assert body["changed_following"] <= 0.70 * capsules["changed_following"]
    assert body["changed"] < capsules["changed"]
    assert body["translation_floor"] > 0.7 * body["changed"], "at a fixed pixel most change is the walk itself"

