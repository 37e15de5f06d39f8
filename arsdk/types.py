"""The data that flows between arsdk's stages: one frozen dataclass per stage output.

``Frame`` (source) -> ``Person`` list in a ``FrameResult`` (estimator, then tracker) -> composited image
(compositor) -> sinks. Arrays are validated on construction with expected-versus-actual messages; stages
return new objects and never write into their inputs.

Conventions: pixel coordinates are floats in the frame, x to the right and y down, pixel centres at
integer + 0.5 (OpenCV's convention for warps). Boxes are ``xyxy`` (left, top, right, bottom). Images are
BGR ``uint8`` unless a name says otherwise. Times are milliseconds on a monotonic clock (``timestamp_ms``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ConfigError

__all__ = [
    "NUM_LANDMARKS",
    "LANDMARK_NAMES",
    "SKELETON_EDGES",
    "LANDMARK_MIRROR",
    "Frame",
    "Landmarks",
    "WorldLandmarks",
    "BoxRaster",
    "PersonIUV",
    "CameraIntrinsics",
    "Body",
    "Person",
    "FrameResult",
]

NUM_LANDMARKS = 33
"""BlazePose's 33 body landmarks (MediaPipe Pose topology)."""

LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)  # fmt: skip
"""Landmark names by index; left/right are the person's own."""

LANDMARK_MIRROR: tuple[int, ...] = (0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22,
                                    21, 24, 23, 26, 25, 28, 27, 30, 29, 32, 31)  # fmt: skip
"""Landmark order with left and right swapped: ``points[LANDMARK_MIRROR]`` relabels a person's landmarks as
mirroring the image does (each left point becomes the right one and the reverse)."""

SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24), (23, 25),
    (25, 27), (24, 26), (26, 28), (27, 29), (29, 31), (27, 31), (28, 30), (30, 32), (28, 32),
    (15, 17), (15, 19), (17, 19), (15, 21), (16, 18), (16, 20), (18, 20), (16, 22), (0, 2), (0, 5),
    (2, 7), (5, 8), (9, 10),
)  # fmt: skip
"""Pairs of landmark indices joined when a skeleton is drawn."""


def _check_array(name: str, value: Any, shape: tuple[int | None, ...], dtype: Any | None = None) -> None:
    if not isinstance(value, np.ndarray):
        raise ConfigError(f"{name} must be a numpy array of shape {_fmt(shape)}, got {type(value).__name__}")
    if value.ndim != len(shape) or any(s is not None and s != v for s, v in zip(shape, value.shape)):
        raise ConfigError(f"{name} must have shape {_fmt(shape)}, got {value.shape}")
    if dtype is not None and value.dtype != np.dtype(dtype):
        raise ConfigError(f"{name} must have dtype {np.dtype(dtype)}, got {value.dtype}")


def _fmt(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"


def _readonly(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


@dataclass(frozen=True, slots=True)
class Frame:
    """One image from a source.

    Attributes:
        image_bgr: (H, W, 3) uint8, BGR. Read-only: copy it before drawing.
        index: position in the source, 0-based; frames a live source dropped leave gaps.
        timestamp_ms: capture time in milliseconds; for files, the position in the video. Live sources use
            the monotonic clock (``time.monotonic()``), so differences are exact intervals.
        source_id: the spec the source was opened with (a path, URL or camera index).
        captured_ms: when the source delivered the frame, on the monotonic clock (``time.monotonic()`` in
            ms; None for frames made by hand): the start of the capture-to-send latency.
    """

    image_bgr: np.ndarray
    index: int
    timestamp_ms: float
    source_id: str = ""
    captured_ms: float | None = None

    def __post_init__(self) -> None:
        _check_array("Frame.image_bgr", self.image_bgr, (None, None, 3), np.uint8)
        if self.index < 0:
            raise ConfigError(f"Frame.index must be >= 0, got {self.index}")
        _readonly(self.image_bgr)

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image_bgr.shape[1]), int(self.image_bgr.shape[0])


@dataclass(frozen=True, slots=True)
class Landmarks:
    """The 33 BlazePose landmarks of one person in frame pixels.

    Attributes:
        xy_px: (33, 2) float32, x and y in pixels of the frame.
        z_px: (33,) float32, depth relative to the hips in the same pixel scale (smaller = nearer).
        visibility: (33,) float32 in [0, 1], how likely the point is visible (not occluded).
        presence: (33,) float32 in [0, 1], how likely the point is inside the image.
    """

    xy_px: np.ndarray
    z_px: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray

    def __post_init__(self) -> None:
        _check_array("Landmarks.xy_px", self.xy_px, (NUM_LANDMARKS, 2), np.float32)
        for name in ("z_px", "visibility", "presence"):
            _check_array(f"Landmarks.{name}", getattr(self, name), (NUM_LANDMARKS,), np.float32)
        _readonly(self.xy_px, self.z_px, self.visibility, self.presence)

    def visible(self, threshold: float = 0.5) -> np.ndarray:
        """(33,) bool: landmarks whose visibility is at least ``threshold``."""
        return self.visibility >= threshold


@dataclass(frozen=True, slots=True)
class WorldLandmarks:
    """The 33 landmarks in metres, origin between the hips, x right, y down, z away from the camera.

    Attributes:
        xyz_m: (33, 3) float32 metres.
    """

    xyz_m: np.ndarray

    def __post_init__(self) -> None:
        _check_array("WorldLandmarks.xyz_m", self.xyz_m, (NUM_LANDMARKS, 3), np.float32)
        _readonly(self.xyz_m)


@dataclass(frozen=True, slots=True)
class BoxRaster:
    """A per-pixel map that covers one axis-aligned box of the frame.

    Attributes:
        xyxy: integer box (left, top, right, bottom) in frame pixels, right/bottom exclusive.
        data: (bottom - top, right - left, ...) array; its meaning is the owner's (a mask probability, an
            IUV, ...).
    """

    xyxy: tuple[int, int, int, int]
    data: np.ndarray

    def __post_init__(self) -> None:
        x0, y0, x1, y1 = self.xyxy
        if x1 < x0 or y1 < y0:
            raise ConfigError(f"BoxRaster.xyxy must have right >= left and bottom >= top, got {self.xyxy}")
        if self.data.shape[:2] != (y1 - y0, x1 - x0):
            raise ConfigError(
                f"BoxRaster.data must be {(y1 - y0, x1 - x0)} to cover box {self.xyxy}, got {self.data.shape[:2]}"
            )
        _readonly(self.data)

    def paste(self, canvas: np.ndarray) -> np.ndarray:
        """Return a view of ``canvas`` (H, W, ...) over this box, clipped to the canvas, and the data part.

        Returns:
            (canvas_view, data_view): equal-shaped views, possibly empty when the box lies outside.
        """
        h, w = canvas.shape[:2]
        x0, y0, x1, y1 = self.xyxy
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if cx1 <= cx0 or cy1 <= cy0:
            return canvas[0:0, 0:0], self.data[0:0, 0:0]
        return canvas[cy0:cy1, cx0:cx1], self.data[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]

    def crop_to(self, xyxy: tuple[int, int, int, int], fill: float = 0) -> np.ndarray:
        """The data over another integer box, ``fill`` where this raster does not reach."""
        x0, y0, x1, y1 = xyxy
        out = np.full((y1 - y0, x1 - x0) + self.data.shape[2:], fill, dtype=self.data.dtype)
        sx0, sy0, sx1, sy1 = self.xyxy
        ix0, iy0, ix1, iy1 = max(x0, sx0), max(y0, sy0), min(x1, sx1), min(y1, sy1)
        if ix1 > ix0 and iy1 > iy0:
            out[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = self.data[iy0 - sy0 : iy1 - sy0, ix0 - sx0 : ix1 - sx0]
        return out

    def to_full(self, resolution_wh: tuple[int, int], fill: float = 0) -> np.ndarray:
        """The data pasted into a frame-sized array filled with ``fill`` elsewhere."""
        w, h = resolution_wh
        out = np.full((h, w) + self.data.shape[2:], fill, dtype=self.data.dtype)
        view, part = self.paste(out)
        view[...] = part
        return out


@dataclass(frozen=True, slots=True)
class PersonIUV:
    """DensePose chart coordinates of one person's pixels, over the person's box.

    Attributes:
        xyxy: integer box in frame pixels that the arrays cover.
        part_index: (h, w) uint8, DensePose part 1..24, 0 = not this person.
        uv: (h, w, 2) float32, chart coordinates U, V in [0, 1] (0 where part_index is 0).
    """

    xyxy: tuple[int, int, int, int]
    part_index: np.ndarray
    uv: np.ndarray

    def __post_init__(self) -> None:
        x0, y0, x1, y1 = self.xyxy
        _check_array("PersonIUV.part_index", self.part_index, (y1 - y0, x1 - x0), np.uint8)
        _check_array("PersonIUV.uv", self.uv, (y1 - y0, x1 - x0, 2), np.float32)
        _readonly(self.part_index, self.uv)


@dataclass(frozen=True, slots=True)
class CameraIntrinsics:
    """A pinhole camera in pixels: ``u = fx * x / z + cx``, ``v = fy * y / z + cy`` for a point (x, y, z)
    in the camera frame (OpenCV's: metres, x right, y down, z forward)."""

    fx: float
    fy: float
    cx: float
    cy: float

    def __post_init__(self) -> None:
        if not (self.fx > 0 and self.fy > 0):
            raise ConfigError(f"CameraIntrinsics needs fx, fy > 0, got {self.fx}, {self.fy}")

    def project(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) camera-frame points -> (N, 2) float32 pixels."""
        z = np.maximum(points[:, 2], 1e-6)
        return np.column_stack([self.fx * points[:, 0] / z + self.cx, self.fy * points[:, 1] / z + self.cy]).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Body:
    """A 3D body model fitted to one person (see :mod:`arsdk.body`).

    Attributes:
        model: the body model's name.
        linear: (J, 3, 3) float32, per segment the map from the model frame to the camera frame (a rotation,
            stretched along the bone by the person's proportions).
        pivots: (J, 3) float32, each segment's pivot joint in the camera frame (metres).
        shape: (S,) float32 phenotype offsets (``arsdk.body.load_body_model().shape_names``).
        girth: (G,) float32, how much fuller (> 1) or slimmer (< 1) than the model the person is around the
            bones of each region of ``arsdk.body.GIRTH_GROUPS`` (torso, head, each upper and lower limb).
        flesh_offset_m: (G, 3) float32, camera-frame shift of each region's surface off its bones (clothing
            that hangs or billows to one side), metres.
        stretch: (20,) float32 proportions against the model: one per segment along its bone, then shoulder
            width, hip width, torso height.
        camera: the camera the body was fitted for.
        joints_xy: (33, 2) float32, the model's landmarks reprojected into the frame (BlazePose order).
        error: median distance of ``joints_xy`` to the seen 2D landmarks, as a fraction of the person's height.
    """

    model: str
    linear: np.ndarray
    pivots: np.ndarray
    shape: np.ndarray
    girth: np.ndarray
    flesh_offset_m: np.ndarray
    stretch: np.ndarray
    camera: CameraIntrinsics
    joints_xy: np.ndarray
    error: float

    def __post_init__(self) -> None:
        _check_array("Body.linear", self.linear, (None, 3, 3), np.float32)
        _check_array("Body.pivots", self.pivots, (self.linear.shape[0], 3), np.float32)
        _check_array("Body.joints_xy", self.joints_xy, (NUM_LANDMARKS, 2), np.float32)
        _readonly(self.linear, self.pivots, self.shape, self.girth, self.flesh_offset_m, self.stretch, self.joints_xy)

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """The posed mesh: ((V, 3) float32 vertices in the camera frame, metres; (F, 3) int32 faces)."""
        from .body.model import load_body_model  # the asset loads on first use only

        model = load_body_model()
        vertices, joints, _ = model.shaped(self.shape, self.girth)
        posed = model.pose_vertices(vertices, joints, self.linear, self.pivots)
        if self.flesh_offset_m.any():
            posed = posed + model.group_weights @ self.flesh_offset_m
        return posed.astype(np.float32), model.faces

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (the dump's ``persons[].body``)."""
        return {
            "model": self.model,
            "linear": np.round(self.linear, 5).tolist(),
            "pivots_m": np.round(self.pivots, 5).tolist(),
            "shape": np.round(self.shape, 4).tolist(),
            "girth": np.round(self.girth, 4).tolist(),
            "flesh_offset_m": np.round(self.flesh_offset_m, 4).tolist(),
            "stretch": np.round(self.stretch, 4).tolist(),
            "camera": {"fx": self.camera.fx, "fy": self.camera.fy, "cx": self.camera.cx, "cy": self.camera.cy},
            "joints_xy": np.round(self.joints_xy, 2).tolist(),
            "error": round(self.error, 5),
        }


@dataclass(frozen=True, slots=True)
class Person:
    """One person found in a frame.

    Attributes:
        box_xyxy: (4,) float32 box in frame pixels.
        score: confidence in [0, 1] that this is a person.
        landmarks: the 33 body landmarks in pixels, or None for estimators without landmarks.
        world_landmarks: the 33 landmarks in metres, or None.
        mask: person-segmentation probability in [0, 1] (float32) over a box of the frame, or None.
        iuv: DensePose part index and chart coordinates, filled by the dense-pose stage, or None.
        body: the 3D body model fitted to the person by the dense-pose stage, or None (capsule charts).
        track_id: stable identity from the tracker, or None before tracking.
        proposal: which proposal stage found the person ("blazepose", "hog", "track", ...).
        attributes: free-form statistics that later stages attach (JSON-serialisable values).
    """

    box_xyxy: np.ndarray
    score: float
    landmarks: Landmarks | None = None
    world_landmarks: WorldLandmarks | None = None
    mask: BoxRaster | None = None
    iuv: PersonIUV | None = None
    body: Body | None = None
    track_id: int | None = None
    proposal: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_array("Person.box_xyxy", self.box_xyxy, (4,), np.float32)
        if not 0.0 <= self.score <= 1.0:
            raise ConfigError(f"Person.score must be in [0, 1], got {self.score}")
        _readonly(self.box_xyxy)

    def replace(self, **changes: Any) -> Person:
        """A copy with some fields changed (this object is frozen)."""
        return dataclasses.replace(self, **changes)

    @property
    def height_px(self) -> float:
        """Box height in pixels."""
        return float(self.box_xyxy[3] - self.box_xyxy[1])


@dataclass(frozen=True, slots=True)
class FrameResult:
    """A frame, the people in it, and what each stage did to it.

    Attributes:
        frame: the input frame.
        persons: the people, nearest (largest) first after the estimator.
        image_bgr: the composited output image (the frame's image when no compositor ran).
        timings_ms: milliseconds spent per stage on this frame, by stage name.
        labels: per person (same order), the label text an effect drew into ``image_bgr`` (lines joined
            by newlines), or None; empty when no effect drew labels.
    """

    frame: Frame
    persons: tuple[Person, ...]
    image_bgr: np.ndarray | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    labels: tuple[str | None, ...] = ()

    @property
    def output_bgr(self) -> np.ndarray:
        """The image to show or write: the composite if there is one, else the frame."""
        return self.frame.image_bgr if self.image_bgr is None else self.image_bgr
