"""DensePose IUV from fitted bodies: every person's posed mesh rasterized into the frame, then reconciled
with the person's segmentation mask.

Per frame: fit each person's body (:func:`arsdk.body.fit.fit_body`, smoothed per person across frames),
rasterize each posed mesh over its window with a z-buffer, let nearer bodies hide farther ones where they
overlap (real depth, not box order), then reconcile with the mask:

* body pixels farther than ``outside_tolerance`` of the person's height from the mask are dropped (the
  model is wider than a slim person, or a limb is placed wrong);
* mask pixels the body misses (loose clothing, hair, a limb the fit placed wrong) take the part and chart
  of the nearest body pixel, up to ``fill_distance`` of the person's height away.

People the fit cannot explain keep the capsule charts of :mod:`arsdk.densepose.charts`.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..errors import ConfigError
from ..estimators.proposals import box_iou
from ..types import Body, CameraIntrinsics, Person, PersonIUV
from .fit import BodyFitOptions, BodyFitState, fit_body
from .model import GIRTH_GROUPS, SEGMENT_GIRTH_GROUP, BodyModel, load_body_model
from .raster import Raster, rasterize

__all__ = ["BodyIUVOptions", "BodyIUV", "body_raster", "iuv_from_raster", "BodyTracks"]


@dataclass(frozen=True, slots=True)
class BodyIUVOptions:
    """Options of the body-surface IUV.

    Attributes:
        fit: options of the body fit (camera, smoothing, proportions).
        mask_threshold: mask probability from which a pixel belongs to the person.
        outside_tolerance: body pixels farther than this fraction of the person's height from the mask are
            dropped.
        fit_girth: make the body as full as the mask shows (estimated on a person's first frame, then
            held and slowly updated).
        girth_range: the smallest and largest girth the fit may choose.
        girth_iterations: re-renders on a person's first frame while the girth settles.
        max_raster_height_px: people drawn taller than this are rasterized and reconciled on a coarser grid
            of this height, then resized onto the frame (parts by nearest neighbour, charts linearly), as
            DensePose resizes its 112-pixel outputs onto each box; None: always at full resolution.
        refit_interval: a followed person's girth and offsets are measured again every this many frames.
        max_offset: how far one fitting step may shift a region's surface off its bones towards the mask,
            as a fraction of the person's height (0: never). Larger offsets fit single images' silhouettes
            no better and make part boundaries jitter in video (measured: 0.04 of the height gives the same
            silhouette IoU and 2% more part flicker).
        fill_distance: mask pixels up to this fraction of the person's height from the body take the nearest
            body pixel's part and chart; farther ones are left out.
    """

    fit: BodyFitOptions = field(default_factory=BodyFitOptions)
    mask_threshold: float = 0.5
    outside_tolerance: float = 0.03
    fill_distance: float = 0.12
    fit_girth: bool = True
    girth_range: tuple[float, float] = (0.7, 1.6)
    girth_iterations: int = 3
    max_raster_height_px: float | None = 128.0
    max_offset: float = 0.02
    refit_interval: int = 5

    def __post_init__(self) -> None:
        if not 0.0 < self.mask_threshold < 1.0:
            raise ConfigError(f"mask_threshold must be in (0, 1), got {self.mask_threshold}")
        if self.refit_interval < 1 or self.girth_iterations < 0:
            raise ConfigError(f"refit_interval must be >= 1 and girth_iterations >= 0, got {self.refit_interval}, "
                              f"{self.girth_iterations}")  # fmt: skip
        for name in ("outside_tolerance", "fill_distance"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be in [0, 1], got {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class BodyIUV:
    """One person's body-surface result before it becomes a ``PersonIUV``: the body and its raster."""

    body: Body
    raster: Raster


def _distance_to(region: np.ndarray) -> np.ndarray:
    """(h, w) float32: each pixel's distance to the nearest pixel of ``region`` (0 inside it)."""
    return cv2.distanceTransform(np.where(region, 0, 255).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5)


def _nearest(region: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pixel's distance to the nearest pixel of ``region`` and that pixel's row and column (``region``
    must not be empty). OpenCV numbers the pixels of ``region`` in row-major order."""
    distance, labels = cv2.distanceTransformWithLabels(np.where(region, 0, 255).astype(np.uint8), cv2.DIST_L2,
                                                       cv2.DIST_MASK_5, labelType=cv2.DIST_LABEL_PIXEL)  # fmt: skip
    ys, xs = np.nonzero(region)
    return distance, ys[labels - 1], xs[labels - 1]


def _window(person: Person, points_xy: np.ndarray, resolution_wh: tuple[int, int],
            threshold: float = 0.5) -> tuple[int, int, int, int]:  # fmt: skip
    """The frame window a person's body and mask cover: the projected mesh's bounds and the bounds of the
    mask's pixels (the mask's raster is the landmark model's region, often the whole frame)."""
    width, height = resolution_wh
    xs, ys = points_xy[:, 0], points_xy[:, 1]  # column by column: numpy's axis-0 reduction of an (N, 2) array
    lo, hi = np.array([xs.min(), ys.min()]), np.array([xs.max(), ys.max()])  # is 30 times slower
    if person.mask is not None:
        on = person.mask.data >= threshold
        rows, cols = np.flatnonzero(on.any(axis=1)), np.flatnonzero(on.any(axis=0))
        if rows.size:
            mx0, my0 = person.mask.xyxy[0] + cols[0], person.mask.xyxy[1] + rows[0]
            mx1, my1 = person.mask.xyxy[0] + cols[-1] + 1, person.mask.xyxy[1] + rows[-1] + 1
            lo, hi = np.minimum(lo, [mx0, my0]), np.maximum(hi, [mx1, my1])
    x0, y0 = max(int(np.floor(lo[0])) - 1, 0), max(int(np.floor(lo[1])) - 1, 0)
    x1, y1 = min(int(np.ceil(hi[0])) + 2, width), min(int(np.ceil(hi[1])) + 2, height)
    return x0, y0, max(x1, x0), max(y1, y0)


def body_raster(person: Person, body: Body, resolution_wh: tuple[int, int], model: BodyModel | None = None,
                max_height_px: float | None = None) -> Raster:  # fmt: skip
    """Rasterize a fitted body over the person's window of the frame (mask box and projected mesh).

    Args:
        person: the person (its mask widens the window).
        body: the person's fitted body.
        resolution_wh: the frame's size.
        model: the body model (default: the shipped one).
        max_height_px: a body drawn taller than this is rasterized on a coarser grid with this height (the
            raster's ``scale`` says how much coarser); None: always the frame's grid.
    """
    model = model or load_body_model()
    vertices, faces = body.mesh()
    projected = body.camera.project(vertices)
    window = _window(person, projected, resolution_wh)
    tall = float(np.ptp(projected[:, 1]))
    if max_height_px is None or tall <= max_height_px:
        return rasterize(vertices, faces, body.camera, window, depth_bias=_torso_bias(model))
    scale = max_height_px / tall
    cam = body.camera
    coarse = CameraIntrinsics(cam.fx * scale, cam.fy * scale, cam.cx * scale, cam.cy * scale)
    x0, y0, x1, y1 = window
    grid = (int(np.floor(x0 * scale)), int(np.floor(y0 * scale)), int(np.ceil(x1 * scale)), int(np.ceil(y1 * scale)))
    raster = rasterize(vertices, faces, coarse, grid, depth_bias=_torso_bias(model))
    width, height = resolution_wh
    frame = (max(int(round(grid[0] / scale)), 0), max(int(round(grid[1] / scale)), 0),
             min(int(round(grid[2] / scale)), width), min(int(round(grid[3] / scale)), height))  # fmt: skip
    return dataclasses.replace(raster, scale=scale, frame_xyxy=frame)


def _mask_on(person: Person, raster: Raster, threshold: float) -> np.ndarray | None:
    """The person's mask (probability >= threshold) on the raster's grid, or None without a mask."""
    if person.mask is None:
        return None
    if raster.scale == 1.0:
        return person.mask.crop_to(raster.xyxy) >= threshold
    h, w = raster.face.shape
    probability = person.mask.crop_to(raster.window).astype(np.float32)
    return cv2.resize(probability, (w, h), interpolation=cv2.INTER_AREA) >= threshold


@functools.cache
def _torso_bias(model: BodyModel) -> np.ndarray:
    """Torso faces yield to limbs within this depth: the fitted torso swells into the space of arms held
    against it, and there the arm is what the camera sees."""
    return np.where(np.isin(model.face_segment, (0, 1, 2)), _TORSO_YIELD_M, 0.0).astype(np.float32)


_TORSO_YIELD_M = 0.10
_EXTREMITY_PARTS = (3, 4, 5, 6)
_EXTREMITY_OF_PART = np.isin(np.arange(25), _EXTREMITY_PARTS)
"""By part index: hands and feet."""


def iuv_from_raster(person: Person, raster: Raster, hidden: np.ndarray | None, options: BodyIUVOptions,
                    model: BodyModel | None = None) -> PersonIUV | None:  # fmt: skip
    """The person's IUV from its body raster, reconciled with its mask.

    Args:
        person: the person (its ``mask`` is used when present).
        raster: the body raster over a window of the frame.
        hidden: (h, w) bool over the same window: pixels a nearer person's body covers, or None.
        options: see :class:`BodyIUVOptions`.
        model: the body model (default: the shipped one).

    Returns:
        The ``PersonIUV`` cut to the person's pixels, or None when nothing is left.
    """
    model = model or load_body_model()
    x0, y0, x1, y1 = raster.xyxy
    body = raster.covered.copy()
    if hidden is not None:
        body &= ~hidden
    rows = np.flatnonzero(body.any(axis=1))
    height = float(rows[-1] - rows[0] + 1) if rows.size else float(y1 - y0)
    # hands and feet: thin and often dark, the segmenter misses them at low resolution, and landmarks sit
    # on the very tips of fingers and toes: they stay outside the mask and get a pixel's rim
    extremity = np.zeros_like(body)
    extremity[body] = _EXTREMITY_OF_PART[model.face_part[raster.face[body]]]
    mask = _mask_on(person, raster, options.mask_threshold)
    if mask is not None:
        if hidden is not None:
            mask &= ~hidden
        if mask.any() and body.any():
            tolerance = max(options.outside_tolerance * height, 1.5)
            body &= (_distance_to(mask) <= tolerance) | extremity
        missed = mask & ~body
    else:
        missed = np.zeros_like(body)
    if extremity.any():
        rim = cv2.dilate(extremity.view(np.uint8), np.ones((3, 3), np.uint8), iterations=max(1, round(0.01 * height)))
        missed |= rim.view(bool) & ~body
        if hidden is not None:
            missed &= ~hidden
    if not body.any():
        return None
    face = raster.face
    part = np.zeros(face.shape, np.uint8)
    uv = np.zeros(face.shape + (2,), np.float32)
    ys, xs = np.nonzero(body)
    f = face[ys, xs]
    part[ys, xs] = model.face_part[f]
    uv[ys, xs] = np.einsum("nk,nkc->nc", raster.bary[ys, xs], model.corner_uv[f])
    if missed.any():
        distance, iy, ix = _nearest(body)
        fill = missed & (distance <= max(options.fill_distance * height, 2.0))
        fy, fx = np.nonzero(fill)
        part[fy, fx] = part[iy[fy, fx], ix[fy, fx]]
        uv[fy, fx] = uv[iy[fy, fx], ix[fy, fx]]
    np.clip(uv, 0.0, 1.0, out=uv)
    rows, cols = np.flatnonzero(part.any(axis=1)), np.flatnonzero(part.any(axis=0))
    if rows.size == 0:
        return None
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    part, uv = part[r0:r1, c0:c1], uv[r0:r1, c0:c1]
    if raster.scale == 1.0:
        return PersonIUV((x0 + c0, y0 + r0, x0 + c1, y0 + r1), np.ascontiguousarray(part), np.ascontiguousarray(uv))
    # back onto the frame's grid (only the person's own cells): parts by nearest neighbour, charts linearly
    s = raster.scale
    fx0, fy0 = int(round((x0 + c0) / s)), int(round((y0 + r0) / s))
    wx0, wy0, wx1, wy1 = raster.window
    fx0, fy0 = min(max(fx0, wx0), wx1 - 1), min(max(fy0, wy0), wy1 - 1)
    fx1 = min(max(int(round((x0 + c1) / s)), fx0 + 1), wx1)
    fy1 = min(max(int(round((y0 + r1) / s)), fy0 + 1), wy1)
    part = cv2.resize(part, (fx1 - fx0, fy1 - fy0), interpolation=cv2.INTER_NEAREST)
    uv = cv2.resize(uv, (fx1 - fx0, fy1 - fy0), interpolation=cv2.INTER_LINEAR)
    uv *= (part != 0).astype(np.float32)[..., None]  # charts 0 off the body (a product: 2x a masked store)
    return PersonIUV((fx0, fy0, fx1, fy1), part, uv)


class BodyTracks:
    """Per-person fit state from frame to frame, matched by box overlap (works without the tracker)."""

    def __init__(self, min_iou: float = 0.3) -> None:
        self.min_iou = min_iou
        self._previous: list[tuple[np.ndarray, BodyFitState]] = []

    def match(self, persons: tuple[Person, ...]) -> list[BodyFitState | None]:
        """The previous frame's state of each person (greedy by overlap), or None for someone new."""
        if not persons or not self._previous:
            return [None] * len(persons)
        iou = box_iou(np.stack([p.box_xyxy for p in persons]), np.stack([box for box, _ in self._previous]))
        pairs = sorted(((float(iou[i, j]), i, j) for i in range(len(persons)) for j in range(len(self._previous))),
                       reverse=True)  # fmt: skip
        states: list[BodyFitState | None] = [None] * len(persons)
        used: set[int] = set()
        for iou, i, j in pairs:
            if iou < self.min_iou:
                break
            if states[i] is None and j not in used:
                states[i] = self._previous[j][1]
                used.add(j)
        return states

    def update(self, entries: list[tuple[np.ndarray, BodyFitState]]) -> None:
        """Remember this frame's fitted people (only the last frame is kept: memory stays bounded)."""
        self._previous = entries

    def reset(self) -> None:
        """Forget every person."""
        self._previous = []


_HEAD_GIRTH_MAX = 1.2


_GROUP_AXES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "torso": ((23, 24), (11, 12)), "upperarm.L": ((11,), (13,)), "upperarm.R": ((12,), (14,)),
    "lowerarm.L": ((13,), (15,)), "lowerarm.R": ((14,), (16,)), "upperleg.L": ((23,), (25,)),
    "upperleg.R": ((24,), (26,)), "lowerleg.L": ((25,), (27,)), "lowerleg.R": ((26,), (28,)),
}  # fmt: skip
"""Each girth group's axis in the image, between the means of two landmark sets (the head has none)."""


def _group_axis(joints_xy: np.ndarray, group: int) -> np.ndarray | None:
    ends = _GROUP_AXES.get(GIRTH_GROUPS[group])
    if ends is None:
        return None
    axis = joints_xy[list(ends[1])].mean(axis=0) - joints_xy[list(ends[0])].mean(axis=0)
    norm = float(np.linalg.norm(axis))
    return axis / norm if norm > 1e-6 else None


@dataclass(frozen=True, slots=True)
class Fullness:
    """What a body's silhouette asks of its girth and flesh offsets to match the person's mask."""

    girth: np.ndarray
    flesh_offset_m: np.ndarray


def measure_fullness(person: Person, body: Body, raster: Raster, options: BodyIUVOptions,
                     model: BodyModel | None = None) -> Fullness | None:  # fmt: skip
    """Per girth group (:data:`~arsdk.body.model.GIRTH_GROUPS`), the girth and the flesh offset that would
    make the body's silhouette match the mask.

    Mask pixels near the body go to the group of their nearest body pixel. A group's new girth is its
    rendered girth times its mask pixels over its body pixels; its offset moves by the distance between the
    centroids of its mask and body pixels across the region's axis (at most ``max_offset`` of the person's
    height; the head does not move). None without a mask or body.
    """
    mask = _mask_on(person, raster, options.mask_threshold)
    if mask is None or not raster.covered.any():
        return None
    model = model or load_body_model()
    covered = raster.covered
    rows = np.flatnonzero(covered.any(axis=1))
    height = float(rows[-1] - rows[0] + 1)
    distance, iy, ix = _nearest(covered)
    near = mask & (distance <= max(options.fill_distance * height, 2.0))
    group_of_face = SEGMENT_GIRTH_GROUP[model.face_segment]
    body_group = np.full(covered.shape, -1)
    body_group[covered] = group_of_face[raster.face[covered]]
    mask_group = body_group[iy[near], ix[near]]
    mask_y, mask_x = np.nonzero(near)
    lo, hi = options.girth_range
    girth = body.girth.astype(np.float64).copy()
    offset = body.flesh_offset_m.astype(np.float64).copy()
    limit = options.max_offset * height
    for g in range(len(girth)):
        by, bx = np.nonzero(body_group == g)
        if by.size < 20:
            continue
        mine = mask_group == g
        top = min(hi, _HEAD_GIRTH_MAX) if GIRTH_GROUPS[g] == "head" else hi  # hair and neck must not balloon the head
        girth[g] = np.clip(girth[g] * float(mine.sum()) / by.size, lo, top)
        axis = _group_axis(body.joints_xy, g)
        if options.max_offset > 0 and mine.sum() >= 20 and axis is not None:
            shift = np.array([mask_x[mine].mean() - bx.mean(), mask_y[mine].mean() - by.mean()])
            shift -= (shift @ axis) * axis  # across the region only: along it the skeleton decides
            norm = float(np.linalg.norm(shift))
            if norm > limit:
                shift *= limit / norm
            depth = 1.0 / float(raster.inv_depth[by, bx].mean())
            offset[g, :2] += shift / raster.scale * depth / np.array([body.camera.fx, body.camera.fy])
    return Fullness(girth.astype(np.float32), offset.astype(np.float32))


def fit_frame(persons: tuple[Person, ...], resolution_wh: tuple[int, int], options: BodyIUVOptions,
              tracks: BodyTracks | None = None, timestamp_ms: float | None = None) -> list[BodyIUV | None]:  # fmt: skip
    """Fit and rasterize every person of a frame (None where the fit fails).

    A person seen for the first time is rendered up to ``1 + girth_iterations`` times while girth and flesh
    offsets settle to what its mask asks for. A followed person is rendered once with its held values, which
    every ``refit_interval`` frames move towards what that frame's mask asks for (``fit.proportion_smoothing``).
    """
    model = load_body_model()
    states = tracks.match(persons) if tracks is not None else [None] * len(persons)
    time_s = None if timestamp_ms is None else timestamp_ms / 1000.0
    out: list[BodyIUV | None] = []
    entries = []
    for person, state in zip(persons, states):
        fitted = fit_body(person, resolution_wh, options.fit, state, model, time_s=time_s)
        if fitted is None:
            out.append(None)
            continue
        body, new_state = fitted
        raster = body_raster(person, body, resolution_wh, model, options.max_raster_height_px)
        due = (new_state.frames - 1) % options.refit_interval == 0 or not new_state.girth_measured
        wanted = measure_fullness(person, body, raster, options, model) if options.fit_girth and due else None
        if wanted is not None and not new_state.girth_measured:
            for iteration in range(options.girth_iterations):
                refitted = fit_body(person, resolution_wh, options.fit, state, model, girth=wanted.girth,
                                    flesh_offset_m=wanted.flesh_offset_m, time_s=time_s, filtered=new_state)  # fmt: skip
                if refitted is None:
                    break
                body, new_state = refitted
                raster = body_raster(person, body, resolution_wh, model, options.max_raster_height_px)
                if iteration + 1 < options.girth_iterations:  # the last render is kept, not measured again
                    wanted = measure_fullness(person, body, raster, options, model) or wanted
            new_state.girth, new_state.flesh_offset_m, new_state.girth_measured = body.girth, body.flesh_offset_m, True
        elif wanted is not None:
            k = options.fit.proportion_smoothing
            new_state.girth = k * new_state.girth + (1 - k) * wanted.girth
            new_state.flesh_offset_m = k * new_state.flesh_offset_m + (1 - k) * wanted.flesh_offset_m
        entries.append((person.box_xyxy, new_state))
        out.append(BodyIUV(body, raster))
    if tracks is not None:
        tracks.update(entries)
    return out


def hidden_masks(results: list[BodyIUV | None]) -> list[np.ndarray | None]:
    """Per person, the pixels of its raster that a nearer person's body covers (None: nobody overlaps).

    Rasters may lie on different grids (large people are drawn coarser): each is read at the frame
    positions of the other's pixel centres.
    """
    hidden: list[np.ndarray | None] = [None] * len(results)
    for i, a in enumerate(results):
        if a is None:
            continue
        ax0, ay0, ax1, ay1 = a.raster.window
        for j, b in enumerate(results):
            if j == i or b is None:
                continue
            bx0, by0, bx1, by1 = b.raster.window
            if min(ax1, bx1) <= max(ax0, bx0) or min(ay1, by1) <= max(ay0, by0):
                continue
            theirs = _read_at(b.raster, a.raster)
            nearer = theirs > a.raster.inv_depth  # 1/z larger: nearer; where I am absent mine is 0
            if not nearer.any():
                continue
            if hidden[i] is None:
                hidden[i] = np.zeros(a.raster.face.shape, bool)
            hidden[i] |= nearer
    return hidden


def _read_at(source: Raster, target: Raster) -> np.ndarray:
    """``source``'s inverse depth at the frame positions of ``target``'s pixel centres (0 outside it)."""
    tx0, ty0 = target.xyxy[:2]
    h, w = target.face.shape
    fx = (tx0 + np.arange(w) + 0.5) / target.scale  # frame x of each target column centre
    fy = (ty0 + np.arange(h) + 0.5) / target.scale
    sx0, sy0 = source.xyxy[:2]
    sh, sw = source.face.shape
    cols = np.floor(fx * source.scale).astype(np.int64) - sx0
    rows = np.floor(fy * source.scale).astype(np.int64) - sy0
    col_ok, row_ok = (cols >= 0) & (cols < sw), (rows >= 0) & (rows < sh)
    out = np.zeros((h, w), np.float32)
    if col_ok.any() and row_ok.any():
        out[np.ix_(row_ok, col_ok)] = source.inv_depth[np.ix_(rows[row_ok], cols[col_ok])]
    return out
