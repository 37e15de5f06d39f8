"""Tracker time per frame with 20 people, appearance excluded and included, beside supervision's ByteTrack."""

from __future__ import annotations

import time
import warnings

import numpy as np

from arsdk import PersonIUV, Person, PersonTracker, TrackerOptions, to_supervision


def _crowd(frames: int, people: int, rng: np.random.Generator) -> tuple[list[list[Person]], list[np.ndarray]]:
    """Synthetic walkers with IUV, drawn into 640x480 images (appearance needs pixels)."""
    start = rng.uniform([0, 0], [600, 380], (people, 2))
    velocity = rng.uniform(-4, 4, (people, 2))
    colours = rng.integers(0, 255, (people, 2, 3))
    part = np.where(np.arange(80)[:, None] < 36, 2, 10).repeat(30, axis=1).astype(np.uint8)
    uv = np.dstack(np.meshgrid(np.linspace(0, 1, 30), np.linspace(1, 0, 80))).astype(np.float32)
    detections, images = [], []
    for f in range(frames):
        image = np.full((480, 640, 3), 100, np.uint8)
        persons = []
        for k in range(people):
            x, y = (start[k] + velocity[k] * f) % [610, 400]
            x0, y0 = int(x), int(y)
            image[y0 : y0 + 36, x0 : x0 + 30] = colours[k, 0]
            image[y0 + 36 : y0 + 80, x0 : x0 + 30] = colours[k, 1]
            iuv = PersonIUV((x0, y0, x0 + 30, y0 + 80), part, uv)
            persons.append(Person(np.array([x0, y0, x0 + 30, y0 + 80], np.float32), 0.9, iuv=iuv))
        detections.append(persons)
        images.append(image)
    return detections, images


def run(frames: int = 100, people: int = 20) -> dict:
    """Milliseconds per frame: arsdk without and with appearance, and supervision's ByteTrack."""
    import supervision as sv

    detections, images = _crowd(frames, people, np.random.default_rng(0))
    out = {"people": people, "frames": frames}
    for name, options in (("arsdk_motion_only", TrackerOptions(appearance=False)), ("arsdk_with_appearance", TrackerOptions())):
        tracker = PersonTracker(options)
        start = time.perf_counter()
        for f, (persons, image) in enumerate(zip(detections, images)):
            tracker.update(persons, f * 100.0, image)
        out[f"{name}_ms"] = (time.perf_counter() - start) * 1000.0 / frames
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bytetrack = sv.ByteTrack(frame_rate=10)
    converted = [to_supervision(p) for p in detections]
    start = time.perf_counter()
    for d in converted:
        bytetrack.update_with_detections(d)
    out["bytetrack_ms"] = (time.perf_counter() - start) * 1000.0 / frames
    out["ratio_motion_only"] = out["arsdk_motion_only_ms"] / out["bytetrack_ms"]
    out["ratio_with_appearance"] = out["arsdk_with_appearance_ms"] / out["bytetrack_ms"]
    return out


def markdown(result: dict) -> str:
    """The result as a Markdown section."""
    return "\n".join([
        f"## Tracker, {result['people']} people per frame ({result['frames']} frames)",
        "",
        "| tracker | ms per frame | ratio to ByteTrack |",
        "| --- | ---: | ---: |",
        f"| supervision ByteTrack | {result['bytetrack_ms']:.2f} | 1.00 |",
        f"| arsdk, motion only | {result['arsdk_motion_only_ms']:.2f} | {result['ratio_motion_only']:.2f} |",
        f"| arsdk, with appearance | {result['arsdk_with_appearance_ms']:.2f} | {result['ratio_with_appearance']:.2f} |",
        "",
    ])  # fmt: skip
