"""Capsule charts: DensePose part index I and chart coordinates U, V for every person pixel, without a body
model (the fallback of :mod:`arsdk.body` for people it cannot fit, and ``--dense capsules``).

Built from each person's landmarks (2D and 3D) and segmentation mask, no learned dense model:

1. **Body region.** The mask (p >= 0.5) plus thin capsules along the visible bones, so that thin limbs,
   hands and feet the segmenter misses at low resolution still get parts.
2. **Segment per pixel.** Each body segment (torso quad, head disc, 8 limb segments, hands, feet) is a
   capsule with a radius in metres, turned to pixels with the person's scale. A pixel inside several
   capsules goes to the nearest one in depth (so an arm in front of the torso stays an arm); a pixel
   inside none goes to the capsule whose surface is closest.
3. **Charts.** Torso, head and limbs are treated as cylinders around their axis: a pixel's lateral offset
   gives its azimuth on the cylinder as seen from the camera, and the 3D orientation of the segment (its
   front direction from the world landmarks) turns that into the azimuth ``theta`` on the body. ``theta``
   decides front or back (|theta| < 90 degrees: front) and gives U; V runs along the axis. Hands and feet
   get a flat chart along their axis. The conventions are in ``docs/iuv-conventions.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import ConfigError
from ..types import Person, PersonIUV

__all__ = ["DenseChartOptions", "dense_iuv"]

# Segment groups. Limb tuples: (proximal landmark, distal landmark, back part, front part, radius in m).
_TORSO, _HEAD = 0, 1
_LIMBS: tuple[tuple[int, int, int, int, float], ...] = (
    (11, 13, 15, 17, 0.050),  # left upper arm
    (12, 14, 16, 18, 0.050),  # right upper arm
    (13, 15, 19, 21, 0.040),  # left lower arm
    (14, 16, 20, 22, 0.040),  # right lower arm
    (23, 25, 8, 10, 0.080),  # left upper leg
    (24, 26, 7, 9, 0.080),  # right upper leg
    (25, 27, 12, 14, 0.055),  # left lower leg
    (26, 28, 11, 13, 0.055),  # right lower leg
)
# Hands and feet: (start landmark, end landmarks averaged, part, radius in m, V margin before, V span).
_EXTREMITIES: tuple[tuple[int, tuple[int, ...], int, float, float, float], ...] = (
    (15, (17, 19), 4, 0.045, 0.2, 2.4),  # left hand: wrist -> pinky/index knuckles, fingers beyond
    (16, (18, 20), 3, 0.045, 0.2, 2.4),  # right hand
    (29, (31,), 5, 0.040, 0.15, 1.3),  # left foot: heel -> toes
    (30, (32,), 6, 0.040, 0.15, 1.3),  # right foot
)
_HEAD_RADIUS_M = 0.11
_LIMB_FACING_CLEAR = 0.35
"""A limb seen more side-on than this (cosine of its front to the camera) follows the torso's front/back."""
_LIMB_GROUP0 = 2
_EXTREMITY_GROUP0 = _LIMB_GROUP0 + len(_LIMBS)
_NUM_GROUPS = _EXTREMITY_GROUP0 + len(_EXTREMITIES)
# Bones whose 2D/3D length ratio gives the person's scale in pixels per metre.
def _adjacency() -> np.ndarray:
    """Which segment groups meet at a joint (and so may overlap there)."""
    joints: list[set[int]] = [{11, 12, 23, 24}, {0, 7, 8, 11, 12}]  # torso, head
    joints += [{a, b} for a, b, *_ in _LIMBS]
    joints += [{s} | set(e) for s, e, *_ in _EXTREMITIES]
    joints[_EXTREMITY_GROUP0 + 2] |= {27}  # feet meet the shins at the ankles
    joints[_EXTREMITY_GROUP0 + 3] |= {28}
    adjacent = np.array([[bool(a & b) for b in joints] for a in joints])
    return adjacent | np.eye(len(joints), dtype=bool)


_SCALE_BONES = ((11, 13), (13, 15), (12, 14), (14, 16), (23, 25), (25, 27), (24, 26), (26, 28), (11, 23),
                (12, 24), (11, 12), (23, 24))  # fmt: skip
_TOWARDS_CAMERA = np.array([0.0, 0.0, -1.0])
_ADJACENT = _adjacency()


@dataclass(frozen=True, slots=True)
class DenseChartOptions:
    """Options of the dense-pose stage.

    Attributes:
        mask_threshold: mask probability from which a pixel belongs to the person.
        support_radius: capsules along visible bones, as a fraction of each segment's radius, that join the
            body region even where the mask missed them (0 disables).
        min_visibility: landmark visibility from which a bone counts as seen.
        torso_depth_margin_m: a limb must be this much nearer than the torso to cover it.
    """

    mask_threshold: float = 0.5
    support_radius: float = 0.6
    min_visibility: float = 0.5
    torso_depth_margin_m: float = 0.08

    def __post_init__(self) -> None:
        if not 0.0 < self.mask_threshold < 1.0:
            raise ConfigError(f"mask_threshold must be in (0, 1), got {self.mask_threshold}")
        if not 0.0 <= self.support_radius <= 2.0:
            raise ConfigError(f"support_radius must be in [0, 2], got {self.support_radius}")
        if not 0.0 <= self.min_visibility <= 1.0:
            raise ConfigError(f"min_visibility must be in [0, 1], got {self.min_visibility}")


def _unit(v: np.ndarray) -> np.ndarray:
    n = math.sqrt(float(v @ v))
    return v / n if n > 1e-9 else v * 0.0


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _scale_px_per_m(xy: np.ndarray, world: np.ndarray) -> float:
    """Pixels per metre: foreshortening only shortens bones, so the largest 2D/3D ratios are the truest."""
    ratios = []
    for a, b in _SCALE_BONES:
        length_m = float(np.linalg.norm(world[a] - world[b]))
        if length_m > 0.08:
            ratios.append(float(np.linalg.norm(xy[a] - xy[b])) / length_m)
    if not ratios:
        return max(float(np.linalg.norm(xy[[11, 12]].mean(0) - xy[[23, 24]].mean(0))) / 0.5, 1.0)
    ratios.sort()
    return max(float(np.median(ratios[-3:])), 1.0)


def _segment_distance(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of the points (px, py) to the segment a-b."""
    abx, aby = float(b[0] - a[0]), float(b[1] - a[1])
    dx, dy = px - float(a[0]), py - float(a[1])
    t = np.clip((dx * abx + dy * aby) / max(abx * abx + aby * aby, 1e-9), 0.0, 1.0)
    ex, ey = dx - t * abx, dy - t * aby
    return np.sqrt(ex * ex + ey * ey)


def _along(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Parameter t of the points ``p`` (N, 2) along a-b (0 at a, 1 at b, unclipped)."""
    ab = (b - a).astype(np.float32)
    return ((p - a.astype(np.float32)) @ ab) / max(float(ab @ ab), 1e-9)


def _quad_signed_distance(px: np.ndarray, py: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Approximate signed distance of the points (px, py) to a convex quadrilateral (negative inside)."""
    centre = quad.mean(axis=0)
    worst = np.full(px.shape, -np.inf, px.dtype)
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        nx, ny = float(b[1] - a[1]), float(a[0] - b[0])
        length = max(math.hypot(nx, ny), 1e-9)
        nx, ny = nx / length, ny / length
        if (centre[0] - a[0]) * nx + (centre[1] - a[1]) * ny > 0:  # make the normal point outwards
            nx, ny = -nx, -ny
        np.maximum(worst, (px - float(a[0])) * nx + (py - float(a[1])) * ny, out=worst)
    return worst


def _view_azimuth(offsets_px: np.ndarray, half_width_px: float) -> np.ndarray:
    """Azimuth of silhouette pixels on a cylinder, seen from the camera: -90..90 degrees across the visible half,
    from the image-left side of the axis to the image-right side (as the axis's 2D normal runs)."""
    return np.arcsin(np.clip(offsets_px / max(half_width_px, 1.0), -1.0, 1.0))


def _facing(direction3: np.ndarray, axis3: np.ndarray) -> float:
    """Cosine between a segment's front direction and the direction to the camera, both across the axis."""
    axis3 = _unit(axis3)
    towards = _unit(_TOWARDS_CAMERA - (_TOWARDS_CAMERA @ axis3) * axis3)
    front = _unit(direction3 - (direction3 @ axis3) * axis3)
    return float(front @ towards)


def _lateral_sign(axis3: np.ndarray, lateral2: np.ndarray) -> float:
    """+1 when the 2D lateral axis runs towards ``axis3 x (to camera)``, the counter-clockwise side."""
    axis3 = _unit(axis3)
    towards = _unit(_TOWARDS_CAMERA - (_TOWARDS_CAMERA @ axis3) * axis3)
    side3 = _cross(axis3, towards)
    return 1.0 if side3[:2] @ lateral2 >= 0 else -1.0


def _margin(t: np.ndarray, before: float, span: float) -> np.ndarray:
    """Map t to [0, 1]: the fixed range [-before, span - before] (stable from frame to frame), widened to
    the pixels' own extent (0.5 to 99.5 percentiles) where they reach beyond it, so that pixels do not pile
    up on the tile's edge."""
    lo, hi = -before, span - before
    if t.size:
        if float(t.min()) < lo:
            lo = min(lo, _quantile(t, 0.005))
        if float(t.max()) > hi:
            hi = max(hi, _quantile(t, 0.995))
    return np.clip((t - lo) / max(hi - lo, 1e-6), 0.0, 1.0)


def _quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile by partial sort (cheaper than np.quantile for one value)."""
    k = min(max(int(round(q * (values.size - 1))), 0), values.size - 1)
    return float(np.partition(values, k)[k])


def _half_width(offsets: np.ndarray) -> float:
    """The silhouette's half-width across the axis: |offset| at its 99.5th percentile (a few stray pixels
    far from the body are clipped rather than squeezing everyone else's chart)."""
    return max(_quantile(np.abs(offsets), 0.995), 1.0) if offsets.size else 1.0


def _perpendicular(v: np.ndarray) -> np.ndarray:
    return np.array([-v[1], v[0]])


class _Body:
    """One person's geometry in the coordinates of its box."""

    def __init__(self, person: Person, origin_xy: np.ndarray) -> None:
        assert person.landmarks is not None
        lm = person.landmarks
        self.xy = lm.xy_px.astype(np.float64) - origin_xy
        self.z = lm.z_px.astype(np.float64)
        self.visible = lm.visibility
        if person.world_landmarks is not None:
            self.world = person.world_landmarks.xyz_m.astype(np.float64)
        else:  # image landmarks, with MediaPipe's relative depth, as a stand-in for metric ones
            self.world = np.column_stack([self.xy, self.z])
        self.px_per_m = _scale_px_per_m(self.xy, self.world)
        xy, w = self.xy, self.world
        self.hip_mid, self.shoulder_mid = xy[[23, 24]].mean(0), xy[[11, 12]].mean(0)
        self.torso_axis3 = w[[11, 12]].mean(0) - w[[23, 24]].mean(0)
        left3 = (w[11] - w[12]) + (w[23] - w[24])
        self.torso_front3 = _unit(_cross(left3, self.torso_axis3))
        self.torso_facing = _facing(self.torso_front3, self.torso_axis3)
        self.head_centre = xy[[7, 8]].mean(0) if self.visible[[7, 8]].min() > 0.2 else xy[0:11].mean(0)
        self.head_radius = _HEAD_RADIUS_M * self.px_per_m


def _limb_front(body: _Body, proximal: int, distal: int) -> np.ndarray:
    """A limb's front direction: from the bend of its middle joint when bent, else the torso's front."""
    w = body.world
    if proximal in (23, 24, 25, 26):  # legs: the knee points forward
        hip, knee, ankle = (23, 25, 27) if proximal in (23, 25) else (24, 26, 28)
        bend = w[knee] - (w[hip] + w[ankle]) / 2
        angle = _joint_angle(w[hip], w[knee], w[ankle])
    else:  # arms: the forearm bends to the front (anterior) side
        shoulder, elbow, wrist = (11, 13, 15) if proximal in (11, 13) else (12, 14, 16)
        bend = (w[shoulder] + w[wrist]) / 2 - w[elbow]
        angle = _joint_angle(w[shoulder], w[elbow], w[wrist])
    return _unit(bend) if angle > math.radians(25) and np.linalg.norm(bend) > 1e-6 else body.torso_front3


def _joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Bend at b: 0 when a-b-c is straight."""
    u, v = _unit(a - b), _unit(c - b)
    return math.pi - math.acos(float(np.clip(u @ v, -1.0, 1.0)))


def dense_iuv(person: Person, resolution_wh: tuple[int, int], options: DenseChartOptions | None = None) -> PersonIUV | None:
    """The DensePose IUV of one person, over the person's region of the frame.

    Args:
        person: needs ``landmarks`` and ``mask``; ``world_landmarks`` improve front/back decisions.
        resolution_wh: the frame size; the result is clipped to it.
        options: see :class:`DenseChartOptions`.

    Returns:
        The person's ``PersonIUV``, or None when the person has no landmarks or mask.
    """
    options = options or DenseChartOptions()
    if person.landmarks is None or person.mask is None:
        return None
    width, height = resolution_wh
    box = np.array(person.mask.xyxy, np.float64)
    seen_xy = person.landmarks.xy_px[person.landmarks.visibility >= options.min_visibility]
    if seen_xy.size:
        box[:2] = np.minimum(box[:2], np.floor(seen_xy.min(0) - 8))
        box[2:] = np.maximum(box[2:], np.ceil(seen_xy.max(0) + 8))
    x0, y0 = int(max(box[0], 0)), int(max(box[1], 0))
    x1, y1 = int(min(box[2], width)), int(min(box[3], height))
    if x1 <= x0 or y1 <= y0:
        return None
    body = _Body(person, np.array([x0, y0], np.float64))

    region = (person.mask.crop_to((x0, y0, x1, y1)) >= options.mask_threshold).astype(np.uint8)
    if options.support_radius > 0:
        _draw_support(region, body, options)
    # The mask's raster spans the landmark ROI, often 2-3 times the body: the rest of the work runs on the
    # body region's own bounds.
    rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    if rows.size == 0:
        return None
    if rows[0] > 0 or cols[0] > 0 or rows[-1] < region.shape[0] - 1 or cols[-1] < region.shape[1] - 1:
        region = region[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        x0, y0 = x0 + int(cols[0]), y0 + int(rows[0])
        body = _Body(person, np.array([x0, y0], np.float64))
    labels, step = _coarse_groups(region, body, options)
    ys, xs = np.nonzero(region)
    if xs.size == 0:
        return None
    pixels = np.column_stack([xs, ys]).astype(np.float32) + 0.5
    group = labels[ys // step, xs // step] if step > 1 else labels[ys, xs]

    part = np.zeros(len(pixels), np.uint8)
    uv = np.zeros((len(pixels), 2), np.float32)
    order = np.argsort(group, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=_NUM_GROUPS))])
    for g in range(_NUM_GROUPS):
        idx = order[bounds[g] : bounds[g + 1]]
        if idx.size == 0:
            continue
        if g == _TORSO:
            _chart_torso(pixels[idx], body, part, uv, idx)
        elif g == _HEAD:
            _chart_head(pixels[idx], body, part, uv, idx)
        elif g < _EXTREMITY_GROUP0:
            _chart_limb(pixels[idx], body, _LIMBS[g - _LIMB_GROUP0], part, uv, idx)
        else:
            _chart_extremity(pixels[idx], body, _EXTREMITIES[g - _EXTREMITY_GROUP0], part, uv, idx)

    # The raster is cut to the body's own bounds (the mask's box is the landmark ROI, often far larger), so
    # every later stage (effects, tracker appearance, frame IUV) touches only the person's pixels.
    tx0, ty0, tx1, ty1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    part_index = np.zeros((ty1 - ty0, tx1 - tx0), np.uint8)
    uv_image = np.zeros((ty1 - ty0, tx1 - tx0, 2), np.float32)
    part_index[ys - ty0, xs - tx0] = part
    uv_image[ys - ty0, xs - tx0] = uv
    return PersonIUV((x0 + tx0, y0 + ty0, x0 + tx1, y0 + ty1), part_index, uv_image)


_MAX_ASSIGN_PIXELS = 4000
"""Segments are assigned on a grid coarse enough to hold about this many body pixels (large people)."""


def _coarse_groups(region: np.ndarray, body: _Body, options: DenseChartOptions) -> tuple[np.ndarray, int]:
    """Segment groups on a grid of ``step`` x ``step`` pixel cells (coarser for large people): pixel (y, x)
    belongs to ``labels[y // step, x // step]``."""
    h, w = region.shape
    step = max(1, math.ceil(math.sqrt(int(region.sum()) / _MAX_ASSIGN_PIXELS)))
    if step == 1:
        coarse = region
    else:  # a coarse cell is in the body if any of its pixels is (block max)
        padded = np.zeros((math.ceil(h / step) * step, math.ceil(w / step) * step), np.uint8)
        padded[:h, :w] = region
        coarse = padded.reshape(padded.shape[0] // step, step, padded.shape[1] // step, step).max(axis=(1, 3))
    cy, cx = np.nonzero(coarse)
    labels = np.zeros(coarse.shape, np.int64)
    if cx.size:
        px = (cx.astype(np.float32) + 0.5) * step
        py = (cy.astype(np.float32) + 0.5) * step
        labels[cy, cx] = _assign_groups(px, py, body, options)
    return labels, step


def _segments(body: _Body) -> list[tuple[np.ndarray, np.ndarray, float, bool]]:
    """(start, end, radius px, seen) of every limb and extremity segment, in group order."""
    xy, seen = body.xy, body.visible
    out = []
    for a, b, _, _, radius in _LIMBS:
        out.append((xy[a], xy[b], radius * body.px_per_m, bool(min(seen[a], seen[b]) >= 0.5)))
    for start, ends, _, radius, _, _ in _EXTREMITIES:
        end = xy[list(ends)].mean(0)
        out.append((xy[start], end, radius * body.px_per_m, bool(min(seen[start], seen[list(ends)].min()) >= 0.5)))
    return out


def _torso_quad(body: _Body) -> np.ndarray:
    return body.xy[[11, 12, 24, 23]]


def _draw_support(region: np.ndarray, body: _Body, options: DenseChartOptions) -> None:
    """Add thin capsules along the seen bones to the body region (thin limbs the mask missed)."""
    for start, end, radius, seen in _segments(body):
        if seen:
            thickness = max(int(round(2 * radius * options.support_radius)), 1)
            a, b = np.round(start).astype(int), np.round(end).astype(int)
            cv2.line(region, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), 1, thickness)
    if body.visible[[11, 12, 23, 24]].min() >= options.min_visibility:
        cv2.fillConvexPoly(region, np.round(_torso_quad(body)).astype(np.int32), 1)
    if body.visible[0] >= options.min_visibility:
        centre = np.round(body.head_centre).astype(int)
        cv2.circle(region, (int(centre[0]), int(centre[1])), max(int(body.head_radius * options.support_radius), 1), 1, -1)


def _assign_groups(px: np.ndarray, py: np.ndarray, body: _Body, options: DenseChartOptions) -> np.ndarray:
    """Per point, the segment group it belongs to: the nearest in depth among the capsules that contain it,
    else the capsule whose surface is closest."""
    n = px.size
    inside = np.zeros((_NUM_GROUPS, n), bool)
    depth = np.full((_NUM_GROUPS, n), np.inf, np.float32)
    gap = np.zeros((_NUM_GROUPS, n), np.float32)
    z = body.z
    margin = options.torso_depth_margin_m * body.px_per_m

    gap[_TORSO] = _quad_signed_distance(px, py, _torso_quad(body))
    inside[_TORSO] = gap[_TORSO] <= 0
    depth[_TORSO] = z[[11, 12, 23, 24]].mean() - margin

    hx, hy = (float(v) for v in body.head_centre)
    gap[_HEAD] = np.sqrt((px - hx) ** 2 + (py - hy) ** 2) - body.head_radius
    inside[_HEAD] = gap[_HEAD] <= 0
    depth[_HEAD] = z[[7, 8]].mean()

    ends = [(a, b) for a, b, *_ in _LIMBS] + [(s, e[0]) for s, e, *_ in _EXTREMITIES]
    for k, (start, end, radius, seen) in enumerate(_segments(body)):
        g = _LIMB_GROUP0 + k
        d = _segment_distance(px, py, start, end)
        gap[g] = d - radius
        inside[g] = d <= radius  # occlusion is settled by depth, not by landmark visibility
        depth[g] = 0.5 * (z[ends[k][0]] + z[ends[k][1]])

    by_depth = np.argmin(np.where(inside, depth, np.inf), axis=0)
    by_gap = np.argmin(gap, axis=0)
    # Neighbours in a chain (thigh and shin, shin and foot, torso and thigh, ...) overlap at their joint:
    # there geometry decides, depth only settles which of two unconnected segments is in front.
    use_depth = inside.any(axis=0) & ~_ADJACENT[by_depth, by_gap]
    return np.where(use_depth, by_depth, by_gap)


def _chart_torso(p: np.ndarray, body: _Body, part: np.ndarray, uv: np.ndarray, idx: np.ndarray) -> None:
    axis = body.shoulder_mid - body.hip_mid
    length = max(math.hypot(*axis), 1.0)
    e_v = axis / length
    e_u = _perpendicular(e_v)
    e_u = e_u * _lateral_sign(body.torso_axis3, e_u)  # U grows towards the image-right side of the axis
    rel = p - body.hip_mid.astype(np.float32)
    offsets = rel @ e_u.astype(np.float32)
    part[idx] = 2 if body.torso_facing > 0 else 1
    uv[idx, 0] = _view_azimuth(offsets, _half_width(offsets)) / math.pi + 0.5
    uv[idx, 1] = _margin((rel @ e_v.astype(np.float32)) / length, 0.15, 1.45)


def _chart_head(p: np.ndarray, body: _Body, part: np.ndarray, uv: np.ndarray, idx: np.ndarray) -> None:
    w = body.world
    up = _unit(body.head_centre - body.shoulder_mid)
    if not up.any():
        up = np.array([0.0, -1.0])
    e_u = _perpendicular(up)
    head3 = w[[7, 8]].mean(0)
    axis3 = head3 - w[[11, 12]].mean(0)
    e_u = e_u * _lateral_sign(axis3, e_u)
    rel = p - body.head_centre.astype(np.float32)
    offsets = rel @ e_u.astype(np.float32)
    half_width = _half_width(offsets)
    # The face's azimuth from the nose's place in the silhouette; whether it faces the camera from 3D.
    nose = float((body.xy[0] - body.head_centre) @ e_u)
    psi = float(_view_azimuth(np.array([nose]), half_width)[0])
    if _facing(w[0] - head3, axis3) < 0:
        psi = math.pi - psi
    theta = (_view_azimuth(offsets, half_width) - psi + math.pi) % (2 * math.pi) - math.pi
    part[idx] = np.where(theta > 0, 24, 23)  # theta > 0: counter-clockwise from the face: the person's left
    uv[idx, 0] = np.abs(theta) / math.pi
    uv[idx, 1] = _margin((rel @ up.astype(np.float32)) / max(body.head_radius, 1.0), 1.4, 2.6)


def _chart_limb(
    p: np.ndarray, body: _Body, limb: tuple[int, int, int, int, float], part: np.ndarray, uv: np.ndarray, idx: np.ndarray
) -> None:
    proximal, distal, back_part, front_part, _ = limb
    a, b = body.xy[proximal], body.xy[distal]
    e_v = _unit(b - a)
    if not e_v.any():
        e_v = np.array([0.0, 1.0])
    e_u = _perpendicular(e_v)
    axis3 = body.world[distal] - body.world[proximal]
    e_u = e_u * _lateral_sign(axis3, e_u)
    offsets = (p - a.astype(np.float32)) @ e_u.astype(np.float32)
    facing = _facing(_limb_front(body, proximal, distal), axis3)
    front = facing > _LIMB_FACING_CLEAR or (abs(facing) <= _LIMB_FACING_CLEAR and body.torso_facing > 0)
    part[idx] = front_part if front else back_part
    uv[idx, 0] = _view_azimuth(offsets, _half_width(offsets)) / math.pi + 0.5
    uv[idx, 1] = _margin(_along(p, a, b), 0.1, 1.2)


def _chart_extremity(
    p: np.ndarray,
    body: _Body,
    extremity: tuple[int, tuple[int, ...], int, float, float, float],
    part: np.ndarray,
    uv: np.ndarray,
    idx: np.ndarray,
) -> None:
    start, ends, part_index, _, before, span = extremity
    a = body.xy[start]
    b = body.xy[list(ends)].mean(0)
    e_v = _unit(b - a)
    if not e_v.any():
        e_v = np.array([0.0, 1.0])
    offsets = (p - a.astype(np.float32)) @ _perpendicular(e_v).astype(np.float32)
    part[idx] = part_index
    uv[idx, 0] = np.clip(0.5 + 0.5 * offsets / max(_half_width(offsets), 1.0), 0.0, 1.0)
    uv[idx, 1] = _margin(_along(p, a, b), before, span)
