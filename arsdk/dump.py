"""The per-frame JSON that ``arsdk dump`` writes and tools and tests read (schema ``arsdk.frame/1``).

See ``docs/dump-schema.md`` for the field list. Numbers are rounded to 0.01 px (0.001 m, 0.0001 score).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .types import FrameResult, Person

__all__ = ["SCHEMA", "frame_to_dict", "person_to_dict", "obj_text", "DumpSink", "MotSink"]

SCHEMA = "arsdk.frame/1"


def _round(values: np.ndarray, digits: int) -> list:
    return np.round(np.asarray(values, np.float64), digits).tolist()


def person_to_dict(person: Person, position: int) -> dict[str, Any]:
    """One person as plain JSON types."""
    out: dict[str, Any] = {
        "index": position,
        "track_id": person.track_id,
        "box_xyxy": _round(person.box_xyxy, 2),
        "score": round(float(person.score), 4),
        "proposal": person.proposal,
        "landmarks": None,
        "world_landmarks_m": None,
        "mask_area_px": None,
        "iuv": None,
        "dense": None,
        "body": None,
    }
    if person.landmarks is not None:
        lm = person.landmarks
        out["landmarks"] = _round(np.column_stack([lm.xy_px, lm.visibility]), 3)
    if person.world_landmarks is not None:
        out["world_landmarks_m"] = _round(person.world_landmarks.xyz_m, 3)
    if person.mask is not None:
        out["mask_area_px"] = int(np.count_nonzero(person.mask.data >= 0.5))
    if person.iuv is not None:
        counts = np.bincount(person.iuv.part_index.ravel(), minlength=25)
        out["iuv"] = {
            "xyxy": list(person.iuv.xyxy),
            "pixels": int(counts[1:].sum()),
            "part_pixels": {str(p): int(c) for p, c in enumerate(counts) if p > 0 and c > 0},
            "instance": position + 1,
        }
        out["dense"] = "body" if person.body is not None else "capsules"
    if person.body is not None:
        out["body"] = person.body.to_dict()
    stats = {k: v for k, v in person.attributes.items() if not k.startswith("_")}
    if stats:
        out["stats"] = stats
    return out


def frame_to_dict(result: FrameResult) -> dict[str, Any]:
    """A frame result as plain JSON types (schema :data:`SCHEMA`)."""
    width, height = result.frame.resolution_wh
    return {
        "schema": SCHEMA,
        "frame_index": result.frame.index,
        "timestamp_ms": round(float(result.frame.timestamp_ms), 3),
        "source": result.frame.source_id,
        "width": width,
        "height": height,
        "persons": [person_to_dict(p, i) for i, p in enumerate(result.persons)],
    }


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def obj_text(vertices: np.ndarray, faces: np.ndarray) -> str:
    """A Wavefront OBJ of a triangle mesh (``v x y z`` lines in metres, then 1-based ``f a b c`` lines)."""
    lines = ["# arsdk body: camera frame (OpenCV: x right, y down, z forward), metres"]
    lines += [f"v {x:.5f} {y:.5f} {z:.5f}" for x, y, z in np.asarray(vertices, np.float64)]
    lines += [f"f {a} {b} {c}" for a, b, c in np.asarray(faces, np.int64) + 1]
    return "\n".join(lines) + "\n"


class DumpSink:
    """Writes ``<folder>/<frame index, 6 digits>.json`` for every result, and when the people carry IUV
    also ``<index>_iuv.png`` (I, U*255, V*255 as B, G, R, DensePose's layout) and ``<index>_inds.png``
    (16-bit instance image: 0 = background, k = ``persons[k - 1]``); with ``meshes``, each fitted body as
    ``<index>_<person position>.obj``. A context manager.
    """

    def __init__(self, folder: str | Path, iuv_images: bool = True, meshes: bool = False) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.iuv_images = iuv_images
        self.meshes = meshes
        self.frames_written = 0

    def write(self, result: FrameResult) -> None:
        """Write one frame's files (atomically: a reader never sees half a file)."""
        stem = f"{result.frame.index:06d}"
        doc = frame_to_dict(result)
        if self.iuv_images and any(p.iuv is not None for p in result.persons):
            from .densepose.frame_iuv import frame_iuv

            images = frame_iuv(result.persons, result.frame.resolution_wh)
            for suffix, image in (("_iuv.png", images.iuv), ("_inds.png", images.instances)):
                tmp = self.folder / f"{stem}{suffix}.tmp.png"
                if not cv2.imwrite(str(tmp), image):
                    raise OSError(f"cannot write {tmp}")
                tmp.replace(self.folder / f"{stem}{suffix}")
            doc["iuv_png"], doc["inds_png"] = f"{stem}_iuv.png", f"{stem}_inds.png"
        if self.meshes:
            for k, person in enumerate(result.persons):
                if person.body is not None:
                    name = f"{stem}_{k}.obj"
                    _write_atomic(self.folder / name, obj_text(*person.body.mesh()))
                    doc["persons"][k]["mesh_obj"] = name
        _write_atomic(self.folder / f"{stem}.json", json.dumps(doc, separators=(",", ":")))
        self.frames_written += 1

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> DumpSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MotSink:
    """Writes the tracked people as MOTChallenge rows, one per person and frame, for py-motmetrics or
    TrackEval: ``frame, id, bb_left, bb_top, bb_width, bb_height, conf, -1, -1, -1`` with 1-based frame
    numbers (the source's frame index + 1) and boxes in pixels. People without a track id (no tracker, or a
    track not yet confirmed) are left out. The file is complete after ``close()``. A context manager.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(self.path.name + ".tmp")
        self._file = self._tmp.open("w")
        self.rows_written = 0

    def write(self, result: FrameResult) -> None:
        """Append this frame's tracked people."""
        if self._file is None:
            raise ValueError(f"MotSink for {self.path} is closed")
        for person in result.persons:
            if person.track_id is None:
                continue
            x0, y0, x1, y1 = (float(v) for v in person.box_xyxy)
            self._file.write(f"{result.frame.index + 1},{person.track_id},{x0:.2f},{y0:.2f},{x1 - x0:.2f},"
                             f"{y1 - y0:.2f},{person.score:.4f},-1,-1,-1\n")  # fmt: skip
            self.rows_written += 1

    def close(self) -> None:
        """Finish the file (it appears under its name only now); safe to call twice."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self._tmp.replace(self.path)

    def __enter__(self) -> MotSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
