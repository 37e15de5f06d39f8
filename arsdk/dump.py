"""The per-frame JSON that ``arsdk dump`` writes and tools and tests read (schema ``arsdk.frame/1``).

See ``docs/dump-schema.md`` for the field list. Numbers are rounded to 0.01 px (0.001 m, 0.0001 score).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .types import FrameResult, Person

__all__ = ["SCHEMA", "frame_to_dict", "person_to_dict", "DumpSink"]

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
    }
    if person.landmarks is not None:
        lm = person.landmarks
        out["landmarks"] = _round(np.column_stack([lm.xy_px, lm.visibility]), 3)
    if person.world_landmarks is not None:
        out["world_landmarks_m"] = _round(person.world_landmarks.xyz_m, 3)
    if person.mask is not None:
        out["mask_area_px"] = int(np.count_nonzero(person.mask.data >= 0.5))
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


class DumpSink:
    """Writes ``<folder>/<frame index, 6 digits>.json`` for every result. A context manager."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.frames_written = 0

    def write(self, result: FrameResult) -> None:
        """Write one frame's JSON (atomically: a reader never sees half a file)."""
        path = self.folder / f"{result.frame.index:06d}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(frame_to_dict(result), separators=(",", ":")))
        tmp.replace(path)
        self.frames_written += 1

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> DumpSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
