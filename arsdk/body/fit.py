"""Fit the body model to one person's landmarks: camera, pose, limb proportions.

1. **Camera.** A pinhole camera with the frame's centre as principal point and a focal length from a
   horizontal field of view (60 degrees unless given), or the user's ``focal_px``.
2. **Scale and depth.** Pixels per metre from the person's bones (2D length over the model's length,
   corrected by each bone's tilt out of the image plane as the world landmarks show it); the hips' depth is
   then ``focal / scale``.
3. **Lifting.** Every landmark is placed on its camera ray, walking the skeleton from the hips outwards: a
   child's depth is its parent's plus the world landmarks' depth difference, rescaled to the model's bone
   length (and never more than it). The 2D landmarks are kept exactly, so the fit reprojects onto them.
4. **Pose.** Per segment a rotation: torso, chest and head from their own frames (hips, shoulders, ears
   and nose); limbs by the smallest rotation that turns the parent-carried rest bone onto the lifted one;
   hands and feet from their own frames. Spine and neck take the midway rotation of their neighbours.
   Limbs, torso height and shoulder/hip width are stretched along their axis to the lifted lengths (within
   ``max_stretch``): this is the person's proportions, which a tracked person's fit averages over frames.
5. **Quality.** The model's landmarks are reprojected (``joints_xy``) and the median error over the seen
   landmarks, as a fraction of the person's height, is the fit's ``error``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..tracking.one_euro import OneEuroFilter
from ..types import LANDMARK_MIRROR, Body, CameraIntrinsics, Landmarks, Person, WorldLandmarks
from .model import BodyModel, load_body_model

__all__ = ["BodyFitOptions", "BodyFitState", "camera_for", "fit_body", "lift_landmarks"]

_HIP_MID, _SHOULDER_MID, _EAR_MID = 33, 34, 35
_TREE: tuple[tuple[int, int], ...] = (
    (_HIP_MID, 23), (_HIP_MID, 24), (_HIP_MID, _SHOULDER_MID), (_SHOULDER_MID, 11), (_SHOULDER_MID, 12),
    (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (12, 14), (14, 16), (16, 18), (16, 20), (16, 22),
    (23, 25), (25, 27), (27, 29), (27, 31), (24, 26), (26, 28), (28, 30), (28, 32),
    (_SHOULDER_MID, _EAR_MID), (_EAR_MID, 0), (_EAR_MID, 1), (_EAR_MID, 2), (_EAR_MID, 3), (_EAR_MID, 4),
    (_EAR_MID, 5), (_EAR_MID, 6), (_EAR_MID, 7), (_EAR_MID, 8), (_EAR_MID, 9), (_EAR_MID, 10),
)  # fmt: skip
"""Skeleton edges (parent, child) over the 33 landmarks and three midpoints, from the hips outwards."""
_PARENTS = np.array([p for p, _ in _TREE])
_CHILDREN = np.array([c for _, c in _TREE])


def _ancestry() -> np.ndarray:
    """(36, edges) 0/1: which skeleton edges lie on the path from the hips to each point."""
    out = np.zeros((36, len(_TREE)))
    for k, (parent, child) in enumerate(_TREE):  # edges come parents first
        out[child] = out[parent]
        out[child, k] = 1.0
    return out


_ANCESTRY = _ancestry()

_SCALE_BONES = ((11, 13), (13, 15), (12, 14), (14, 16), (23, 25), (25, 27), (24, 26), (26, 28), (11, 23),
                (12, 24), (11, 12), (23, 24))  # fmt: skip
_SCALE_A, _SCALE_B = (np.array(side) for side in zip(*_SCALE_BONES))
# Limb segments: (segment, parent segment, start landmark, end landmark)
_LIMBS = ((5, 2, 11, 13), (6, 2, 12, 14), (7, 5, 13, 15), (8, 6, 14, 16),
          (11, 0, 23, 25), (12, 0, 24, 26), (13, 11, 25, 27), (14, 12, 26, 28))  # fmt: skip
_NOMINAL_FPS = 10.0
_CORE = (11, 12, 23, 24)
_FACE = list(range(11))
"""Nose, eyes, ears and mouth: the head's rotation and position are fitted to all of them."""


@dataclass(frozen=True, slots=True)
class BodyFitOptions:
    """Options of the body fit.

    Attributes:
        fov_deg: horizontal field of view of the camera when ``focal_px`` is not given.
        focal_px: the camera's focal length in pixels (overrides ``fov_deg``).
        min_core_visibility: the mean visibility of shoulders and hips a person needs to be fitted; below
            it the person keeps the capsule charts.
        max_stretch: how far a limb, the torso or the shoulders may be stretched or shrunk (factor).
        min_cutoff_hz: a followed person's pose (landmarks around the hips, and their depths) goes through a
            One Euro filter: its cut-off when the pose is still (lower: steadier, more lag on slow moves).
        beta: how fast the cut-off rises with speed, per person height per second (higher: less lag on fast
            moves).
        depth_cutoff_scale: the depths' cut-off relative to the positions' (depths are noisier; they decide
            which way a person and each limb turns, so which side's parts show).
        turn_smoothing: weight of the previous frame's turn of each segment about its own bone (a limb's
            twist, the torso's and head's heading): damps the jitter that moves front/back seams; the bones'
            directions are not delayed.
        proportion_smoothing: weight of the running proportions against this frame's (they settle over about
            ``1 / (1 - proportion_smoothing)`` frames and are then held).
        side_hold_frames: a followed person's left and right sides are kept from frame to frame: when the
            landmarks' left and right limbs match the previous frame's the other way round (the landmark
            model swapped the sides, which turns the whole body around), the body keeps its sides until
            this many frames in a row say otherwise, and then turns at once (its smoothing history
            changes sides with the labels). A real turn is gradual and is followed without a hold.
            0: follow the landmarks' sides every frame.
    """

    fov_deg: float = 60.0
    focal_px: float | None = None
    min_core_visibility: float = 0.3
    max_stretch: float = 1.35
    min_cutoff_hz: float = 0.35
    beta: float = 0.4
    depth_cutoff_scale: float = 0.5
    turn_smoothing: float = 0.6
    proportion_smoothing: float = 0.7
    side_hold_frames: int = 5

    def __post_init__(self) -> None:
        if not 10.0 <= self.fov_deg <= 170.0:
            raise ConfigError(f"fov_deg must be in [10, 170], got {self.fov_deg}")
        if self.focal_px is not None and self.focal_px <= 0:
            raise ConfigError(f"focal_px must be > 0, got {self.focal_px}")
        if not 1.0 <= self.max_stretch <= 2.0:
            raise ConfigError(f"max_stretch must be in [1, 2], got {self.max_stretch}")
        if self.min_cutoff_hz <= 0 or self.beta < 0 or self.depth_cutoff_scale <= 0:
            raise ConfigError("min_cutoff_hz and depth_cutoff_scale must be > 0 and beta >= 0, got "
                              f"{self.min_cutoff_hz}, {self.depth_cutoff_scale}, {self.beta}")  # fmt: skip
        if self.side_hold_frames < 0:
            raise ConfigError(f"side_hold_frames must be >= 0, got {self.side_hold_frames}")
        for name in ("min_core_visibility", "turn_smoothing", "proportion_smoothing"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be in [0, 1), got {getattr(self, name)}")


@dataclass(slots=True)
class BodyFitState:
    """What a fit carries from one frame to the next for one person (smoothed inputs, held proportions)."""

    height_px: float
    filters: tuple[OneEuroFilter, OneEuroFilter]
    xy: np.ndarray
    depth: np.ndarray
    stretch: np.ndarray
    rotations: np.ndarray | None = None
    girth: np.ndarray | None = None
    flesh_offset_m: np.ndarray | None = None
    girth_measured: bool = False
    frames: int = 1
    sides_swapped: bool = False
    side_disagreements: int = 0


def camera_for(resolution_wh: tuple[int, int], options: BodyFitOptions | None = None) -> CameraIntrinsics:
    """The default pinhole camera of a frame: principal point at the centre, focal from the options."""
    options = options or BodyFitOptions()
    width, height = resolution_wh
    focal = options.focal_px or 0.5 * width / math.tan(math.radians(options.fov_deg) / 2)
    return CameraIntrinsics(fx=float(focal), fy=float(focal), cx=width / 2.0, cy=height / 2.0)


def _with_midpoints(points: np.ndarray) -> np.ndarray:
    mids = np.stack([points[[23, 24]].mean(0), points[[11, 12]].mean(0), points[[7, 8]].mean(0)])
    return np.concatenate([points, mids])


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _norm(v: np.ndarray) -> float:
    return math.sqrt(float(v @ v))


def _unit(v: np.ndarray) -> np.ndarray:
    n = _norm(v)
    return v / n if n > 1e-9 else np.zeros_like(v)


def _frame(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Orthonormal frame (columns) with its first axis along ``primary``, second towards ``secondary``."""
    e1 = _unit(primary)
    e2 = _unit(secondary - (secondary @ e1) * e1)
    if not e2.any():  # secondary parallel to primary: any perpendicular
        e2 = _unit(_cross(e1, [0.0, 0.0, 1.0] if abs(e1[2]) < 0.9 else [1.0, 0.0, 0.0]))
    return np.column_stack([e1, e2, _cross(e1, e2)])


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation that turns direction ``a`` onto direction ``b``."""
    a, b = _unit(a), _unit(b)
    if not a.any() or not b.any():
        return np.eye(3)
    axis = _cross(a, b)
    s, c = _norm(axis), float(a @ b)
    if s < 1e-9:
        if c > 0:
            return np.eye(3)
        perp = _unit(_cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0]))
        return 2.0 * np.outer(perp, perp) - np.eye(3)
    k = axis / s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * kx + (1 - c) * kx @ kx


def _kabsch(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation that best turns the centred points ``source`` onto the centred ``target`` (least squares)."""
    a = source - source.mean(axis=0)
    b = target - target.mean(axis=0)
    u, _, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def _midway(r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
    """The rotation halfway between two rotations (geodesic)."""
    delta = r2 @ r1.T
    angle = math.acos(float(np.clip((np.trace(delta) - 1) / 2, -1.0, 1.0)))
    if angle < 1e-6:
        return r1
    if angle > math.pi - 1e-3:  # opposite: no unique midway, stay with the first
        return r1
    axis = np.array([delta[2, 1] - delta[1, 2], delta[0, 2] - delta[2, 0], delta[1, 0] - delta[0, 1]]) / (2 * math.sin(angle))
    half = angle / 2
    kx = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return (np.eye(3) + math.sin(half) * kx + (1 - math.cos(half)) * kx @ kx) @ r1


def _relative_depth(person: Person, px_per_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Per landmark: depth relative to the hips in metres (away from the camera) and the 3D positions used
    for bone tilts (world landmarks, or image landmarks with MediaPipe's relative depth)."""
    assert person.landmarks is not None
    if person.world_landmarks is not None:
        world = person.world_landmarks.xyz_m.astype(np.float64)
        return world[:, 2].copy(), world
    lm = person.landmarks
    world = np.column_stack([lm.xy_px, lm.z_px]).astype(np.float64) / max(px_per_m, 1e-6)
    return world[:, 2].copy(), world


def _px_per_m(xy: np.ndarray, world: np.ndarray, rest: np.ndarray, visible: np.ndarray) -> float:
    """Pixels per metre at the person's depth: each bone's 2D length over its model length, with the length
    the bone loses to its tilt out of the image (from the 3D landmarks) put back."""
    a, b = _SCALE_A, _SCALE_B
    length_m = np.linalg.norm(rest[a] - rest[b], axis=1)
    w3 = world[b] - world[a]
    norm3 = np.linalg.norm(w3, axis=1)
    in_plane = np.linalg.norm(w3[:, :2], axis=1) / np.maximum(norm3, 1e-12)
    usable = (length_m >= 0.05) & (norm3 >= 1e-6) & (in_plane >= 0.5)  # strongly foreshortened: unreliable
    ratios = (np.linalg.norm(xy[b] - xy[a], axis=1) / np.maximum(length_m * in_plane, 1e-9))[usable]
    weights = np.where(visible[a] & visible[b], 1.0, 0.3)[usable]
    if ratios.size == 0:
        torso_px = float(np.linalg.norm(xy[[11, 12]].mean(0) - xy[[23, 24]].mean(0)))
        torso_m = float(np.linalg.norm(rest[[11, 12]].mean(0) - rest[[23, 24]].mean(0)))
        return max(torso_px / max(torso_m, 1e-3), 1.0)
    order = np.argsort(ratios)
    r, w = np.asarray(ratios)[order], np.asarray(weights)[order]
    cumulative = np.cumsum(w)
    return max(float(r[np.searchsorted(cumulative, cumulative[-1] / 2)]), 1.0)  # weighted median


def lift_landmarks(xy: np.ndarray, depth_m: np.ndarray, world: np.ndarray, rest_points: np.ndarray,
                   camera: CameraIntrinsics, px_per_m: float) -> np.ndarray:  # fmt: skip
    """The 33 landmarks and 3 midpoints in the camera frame (metres), each on its pixel's ray.

    Args:
        xy: (33, 2) pixels.
        depth_m: (33,) depth relative to the hips (metres, away from the camera).
        world: (33, 3) 3D landmarks (any origin) giving each bone's length as measured.
        rest_points: (33, 3) the model's landmark points (for bone lengths).
        camera: intrinsics.
        px_per_m: the person's scale at the hips' depth.

    Returns:
        (36, 3) positions: landmarks, then hip, shoulder and ear midpoints.
    """
    pix = _with_midpoints(xy.astype(np.float64))
    dep = _with_midpoints(np.column_stack([depth_m, depth_m, depth_m]))[:, 0]
    w3 = _with_midpoints(world)
    rest = _with_midpoints(rest_points.astype(np.float64))
    rays = np.column_stack([(pix[:, 0] - camera.cx) / camera.fx, (pix[:, 1] - camera.cy) / camera.fy, np.ones(len(pix))])
    length = np.linalg.norm(rest[_CHILDREN] - rest[_PARENTS], axis=1)
    measured = np.maximum(np.linalg.norm(w3[_CHILDREN] - w3[_PARENTS], axis=1), 1e-3)
    dz = np.clip((dep[_CHILDREN] - dep[_PARENTS]) * length / measured, -length, length)
    z = np.maximum(camera.fx / px_per_m + _ANCESTRY @ dz, 0.05)  # each point: the hips' depth + its path's steps
    return rays * z[:, None]


_SIDE_POINTS = np.array([11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])
"""Shoulders, elbows, wrists, hips, knees and ankles: what decides whether the sides swapped."""
_SIDE_SWAP_RATIO = 0.6
"""The other labelling must explain the motion this much better than the landmarks' own to count as a swap."""
_PERSON_HEIGHT_M = 1.7


def _with_sides_swapped(person: Person) -> Person:
    """The person with its landmarks' left and right labels exchanged (positions unchanged)."""
    lm, world = person.landmarks, person.world_landmarks
    assert lm is not None
    order = list(LANDMARK_MIRROR)
    landmarks = Landmarks(lm.xy_px[order], lm.z_px[order], lm.visibility[order], lm.presence[order])
    return person.replace(landmarks=landmarks,
                          world_landmarks=None if world is None else WorldLandmarks(world.xyz_m[order]))  # fmt: skip


def _sides_disagree(person: Person, state: BodyFitState) -> bool:
    """Whether this frame's landmarks match the previous frame's (the body's) with left and right exchanged."""
    assert person.landmarks is not None
    xy = person.landmarks.xy_px.astype(np.float64)
    metres = _PERSON_HEIGHT_M / state.height_px
    now = np.zeros((33, 3))
    before = np.zeros((33, 3))
    now[:, :2] = (xy - xy[[23, 24]].mean(axis=0)) * metres
    before[:, :2] = (state.xy - state.xy[[23, 24]].mean(axis=0)) * metres
    if person.world_landmarks is not None:  # depth is what tells a near limb from a far one seen side-on
        now[:, 2], before[:, 2] = person.world_landmarks.xyz_m[:, 2], state.depth
    mirror = np.array(LANDMARK_MIRROR)
    same = float(np.linalg.norm(now[_SIDE_POINTS] - before[_SIDE_POINTS], axis=1).sum())
    swapped = float(np.linalg.norm(now[mirror[_SIDE_POINTS]] - before[_SIDE_POINTS], axis=1).sum())
    return swapped < _SIDE_SWAP_RATIO * same


def _hold_sides(person: Person, state: BodyFitState | None, hold: int) -> tuple[Person, bool, int, bool]:
    """(the person as the body labels it, whether its sides are exchanged, disagreements in a row, whether
    the body takes the landmarks' other sides on this frame)."""
    if state is None or hold == 0:
        return person, False, 0, False
    if not _sides_disagree(person, state):
        return person, False, 0, False
    count = state.side_disagreements + 1
    if count >= hold:  # the landmarks insist: the person did turn (or the body had it wrong)
        return person, False, 0, True
    return _with_sides_swapped(person), True, count, False


def fit_body(person: Person, resolution_wh: tuple[int, int], options: BodyFitOptions | None = None,
             state: BodyFitState | None = None, model: BodyModel | None = None,
             shape: np.ndarray | None = None, girth: np.ndarray | None = None,
             flesh_offset_m: np.ndarray | None = None, time_s: float | None = None,
             filtered: BodyFitState | None = None) -> tuple[Body, BodyFitState] | None:  # fmt: skip
    """Fit the body model to one person.

    Args:
        person: needs ``landmarks``; ``world_landmarks`` give depth (else MediaPipe's relative depth).
        resolution_wh: the frame size (for the default camera).
        options: see :class:`BodyFitOptions`.
        state: the same person's state from the previous frame (smoothing, held proportions), or None.
        model: the body model (default: the shipped one).
        shape: (S,) phenotype offsets (see :meth:`BodyModel.shaped`), default the average body.
        girth: (G,) fuller or slimmer than the model around the bones; default the state's (held), else 1.
        flesh_offset_m: (G, 3) shift of each region's surface off its bones; default the state's, else 0.
        time_s: the frame's time in seconds (for the landmark filter); default: frames at 10 per second.
        filtered: this frame's state from an earlier fit of the same person (a refit with another girth):
            its filtered landmarks are used as they are.

    Returns:
        (body, state for the next frame), or None when the landmarks are too poor to fit (too little of
        the shoulders and hips is visible, or degenerate coordinates).
    """
    options = options or BodyFitOptions()
    model = model or load_body_model()
    if person.landmarks is None:
        return None
    if filtered is not None:  # a refit of this frame: the sides were decided by its first fit
        swapped, disagreements = filtered.sides_swapped, filtered.side_disagreements
        turned = False
        person = _with_sides_swapped(person) if swapped else person
    else:
        person, swapped, disagreements, turned = _hold_sides(person, state, options.side_hold_frames)
    lm = person.landmarks
    assert lm is not None
    xy = lm.xy_px.astype(np.float64)
    if not np.isfinite(xy).all() or float(lm.visibility[list(_CORE)].mean()) < options.min_core_visibility:
        return None
    shape = np.zeros(len(model.shape_names), np.float32) if shape is None else np.asarray(shape, np.float32)
    if girth is None:
        girth = state.girth if state is not None and state.girth is not None else np.ones(len(model.radial), np.float32)
    if flesh_offset_m is None:
        flesh_offset_m = (state.flesh_offset_m if state is not None and state.flesh_offset_m is not None
                          else np.zeros((len(model.radial), 3), np.float32))  # fmt: skip
    _, joints_rest, points_rest = model.shaped(shape)
    camera = camera_for(resolution_wh, options)
    visible = lm.visibility >= 0.5
    depth, world = _relative_depth(person, 1.0)
    if person.world_landmarks is None:  # relative depth in the landmarks' pixel scale: needs the scale first
        scale = _px_per_m(xy, np.column_stack([xy, np.zeros(33)]), points_rest, visible)
        depth, world = _relative_depth(person, scale)
    frames = 1 if state is None else state.frames + 1
    time_s = frames / _NOMINAL_FPS if time_s is None else time_s
    if filtered is not None:
        height, filters, xy, depth = filtered.height_px, filtered.filters, filtered.xy, filtered.depth
    else:
        if state is None:
            height = max(float(np.ptp(xy[:, 1])), 1.0)
            filters = (OneEuroFilter(options.min_cutoff_hz, options.beta),
                       OneEuroFilter(options.min_cutoff_hz * options.depth_cutoff_scale, options.beta))  # fmt: skip
        else:
            height, filters = state.height_px, state.filters
            if turned:  # the filters' history changes sides with the labels: the body turns at once, undragged
                for one_filter in filters:
                    one_filter.reorder(LANDMARK_MIRROR)
        root = xy[[23, 24]].mean(axis=0)  # the person's motion is real: only the pose around the hips is filtered
        xy = root + filters[0]((xy - root) / height, time_s) * height
        depth = filters[1](depth, time_s)
    px_per_m = _px_per_m(xy, world, points_rest, visible)
    if not math.isfinite(px_per_m):
        return None
    lifted = lift_landmarks(xy, depth, world, points_rest, camera, px_per_m)
    rest = _with_midpoints(points_rest.astype(np.float64))
    previous = None if state is None or turned else state.rotations
    held = None if state is None else (state.stretch, options.proportion_smoothing)
    linear, stretch, rotations = _segment_maps(lifted, rest, model, options, held, previous, options.turn_smoothing)
    pivots = _pivots(linear, lifted, rest, joints_rest.astype(np.float64), model)
    points = model.pose_points(points_rest, model.landmark_segments, joints_rest, linear.astype(np.float32),
                               pivots.astype(np.float32))  # fmt: skip
    joints_xy = np.column_stack([camera.fx * points[:, 0] / points[:, 2] + camera.cx,
                                 camera.fy * points[:, 1] / points[:, 2] + camera.cy]).astype(np.float32)  # fmt: skip
    height_px = max(float(np.ptp(lm.xy_px[:, 1])), float(person.box_xyxy[3] - person.box_xyxy[1]), 1.0)
    seen = visible if visible.sum() >= 4 else np.ones(33, bool)
    error = float(np.median(np.linalg.norm(joints_xy[seen] - lm.xy_px[seen], axis=1))) / height_px
    body = Body(
        model=model.name,
        linear=linear.astype(np.float32),
        pivots=pivots.astype(np.float32),
        shape=shape,
        girth=np.asarray(girth, np.float32).copy(),
        flesh_offset_m=np.asarray(flesh_offset_m, np.float32).copy(),
        stretch=stretch.astype(np.float32),
        camera=camera,
        joints_xy=joints_xy,
        error=error,
    )
    new_state = BodyFitState(height_px=height, filters=filters, xy=xy, depth=depth, stretch=stretch, rotations=rotations, girth=np.asarray(girth, np.float32).copy(),
                             flesh_offset_m=np.asarray(flesh_offset_m, np.float32).copy(), girth_measured=state is not None and state.girth_measured,
                             frames=frames, sides_swapped=swapped, side_disagreements=disagreements)  # fmt: skip
    return body, new_state


def _axis_angle(axis: np.ndarray, angle: float) -> np.ndarray:
    kx = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(angle) * kx + (1 - math.cos(angle)) * kx @ kx


def _damp_twist(new: np.ndarray, previous: np.ndarray | None, axis: np.ndarray, keep: float) -> np.ndarray:
    """``new`` with its turn about its own bone axis since ``previous`` reduced to ``1 - keep``: the bone
    points where ``new`` says, but the way it faces moves smoothly."""
    if previous is None or keep <= 0:
        return new
    direction = _unit(new @ axis)
    carried = _swing(previous @ axis, direction) @ previous  # previous, turned onto the new direction
    turn = new @ carried.T  # a rotation about ``direction``
    sin = 0.5 * float(direction @ np.array([turn[2, 1] - turn[1, 2], turn[0, 2] - turn[2, 0], turn[1, 0] - turn[0, 1]]))
    cos = 0.5 * (float(np.trace(turn)) - 1.0)
    return _axis_angle(direction, (1.0 - keep) * math.atan2(sin, cos)) @ carried


def _segment_maps(lifted: np.ndarray, rest: np.ndarray, model: BodyModel, options: BodyFitOptions,
                  held: tuple[np.ndarray, float] | None = None, previous: np.ndarray | None = None,
                  keep: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Per segment the model-to-camera linear map (rotation x stretch along the bone), the stretches and the
    rotations.

    Stretch slots: 0..16 along each segment's bone (limbs, hands, feet), 17 shoulder width, 18 hip width, 19 torso
    height. ``held``: (running stretches, weight): the stretches applied are that weight of the running ones
    plus the rest of this frame's. ``previous`` (17, 3, 3): last frame's rotations, whose turn about each
    bone is kept at ``keep``.
    """

    def damp(seg: int, axis: np.ndarray) -> None:
        rot[seg] = _damp_twist(rot[seg], None if previous is None else previous[seg], _unit(axis), keep)

    lo, hi = 1.0 / options.max_stretch, options.max_stretch
    stretch = np.ones(20)
    up_p, up_r = lifted[_SHOULDER_MID] - lifted[_HIP_MID], rest[_SHOULDER_MID] - rest[_HIP_MID]
    rot = np.zeros((17, 3, 3))
    rot[0] = _frame(lifted[23] - lifted[24], up_p) @ _frame(rest[23] - rest[24], up_r).T
    damp(0, up_r)
    rot[2] = _frame(lifted[11] - lifted[12], up_p) @ _frame(rest[11] - rest[12], up_r).T
    damp(2, up_r)
    rot[1] = _midway(rot[0], rot[2])
    rot[4] = _kabsch(rest[_FACE], lifted[_FACE])
    damp(4, rest[_EAR_MID] - rest[_SHOULDER_MID])
    rot[3] = _midway(rot[2], rot[4])
    for seg, parent, a, b in _LIMBS:
        carried = rot[parent] @ (rest[b] - rest[a])
        rot[seg] = _swing(carried, lifted[b] - lifted[a]) @ rot[parent]
        damp(seg, rest[b] - rest[a])
        stretch[seg] = _norm(lifted[b] - lifted[a]) / max(_norm(rest[b] - rest[a]), 1e-6)
    axes: dict[int, np.ndarray] = {}
    for seg, wrist, pinky, index in ((9, 15, 17, 19), (10, 16, 18, 20)):
        knuckles_p, knuckles_r = lifted[[pinky, index]].mean(0), rest[[pinky, index]].mean(0)
        rot[seg] = (_frame(knuckles_p - lifted[wrist], lifted[index] - lifted[pinky])
                    @ _frame(knuckles_r - rest[wrist], rest[index] - rest[pinky]).T)  # fmt: skip
        axes[seg] = _unit(knuckles_r - rest[wrist])
        damp(seg, axes[seg])
        stretch[seg] = _norm(knuckles_p - lifted[wrist]) / max(_norm(knuckles_r - rest[wrist]), 1e-6)
    for seg, ankle, heel, toe in ((15, 27, 29, 31), (16, 28, 30, 32)):
        rot[seg] = _frame(lifted[toe] - lifted[heel], lifted[ankle] - lifted[heel]) @ _frame(rest[toe] - rest[heel], rest[ankle] - rest[heel]).T
        axes[seg] = _unit(rest[toe] - rest[heel])
        damp(seg, axes[seg])
        stretch[seg] = _norm(lifted[toe] - lifted[heel]) / max(_norm(rest[toe] - rest[heel]), 1e-6)
    stretch[17] = _norm(lifted[11] - lifted[12]) / max(_norm(rest[11] - rest[12]), 1e-6)
    stretch[18] = _norm(lifted[23] - lifted[24]) / max(_norm(rest[23] - rest[24]), 1e-6)
    stretch[19] = _norm(up_p) / max(_norm(up_r), 1e-6)
    stretch = np.clip(stretch, lo, hi)
    if held is not None:
        stretch = held[1] * held[0] + (1.0 - held[1]) * stretch
    linear = rot.copy()
    eye = np.eye(3)
    for seg, _, a, b in _LIMBS:
        axes[seg] = _unit(rest[b] - rest[a])
    for seg, axis in axes.items():
        linear[seg] = rot[seg] @ (eye + (stretch[seg] - 1.0) * np.outer(axis, axis))
    up = _unit(up_r)
    torso = eye + (stretch[19] - 1.0) * np.outer(up, up)
    shoulders = _unit(rest[11] - rest[12])
    hips = _unit(rest[23] - rest[24])
    linear[2] = rot[2] @ (torso + (stretch[17] - 1.0) * np.outer(shoulders, shoulders))
    linear[1] = rot[1] @ torso
    linear[0] = rot[0] @ (torso + (stretch[18] - 1.0) * np.outer(hips, hips))
    return linear, stretch, rot


_ANCHORS = {5: 11, 6: 12, 7: 13, 8: 14, 9: 15, 10: 16, 11: 23, 12: 24, 13: 25, 14: 26, 15: 27, 16: 28}
"""Segments whose pivot is a landmark (shoulder, elbow, wrist, hip, knee, ankle): placed on it directly."""


def _pivots(linear: np.ndarray, lifted: np.ndarray, rest: np.ndarray, joints: np.ndarray, model: BodyModel) -> np.ndarray:
    """Camera-frame pivots: limb pivots on their lifted landmarks, the torso chain by forward kinematics
    from the hips (which land on the lifted hip midpoint)."""
    pivots = np.zeros((17, 3))
    pivots[0] = lifted[_HIP_MID] - linear[0] @ (rest[_HIP_MID] - joints[0])
    for seg in range(1, 17):
        landmark = _ANCHORS.get(seg)
        if seg == 4:  # the head: its face points' centroid on theirs
            face_rest, face_lifted = rest[_FACE].mean(axis=0), lifted[_FACE].mean(axis=0)
            pivots[seg] = face_lifted - linear[seg] @ (face_rest - joints[seg])
        elif landmark is not None:
            pivots[seg] = lifted[landmark] - linear[seg] @ (rest[landmark] - joints[seg])
        else:
            parent = int(model.segment_parents[seg])
            pivots[seg] = pivots[parent] + linear[parent] @ (joints[seg] - joints[parent])
    return pivots
