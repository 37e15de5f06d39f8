"""Synthetic tracking scenes with ground truth: rendered frames, people with IUV, detections with noise.

People are 40 x 100 px figures with a shirt and trousers of their own colours, drawn into real images
(nearer people over farther ones), so that appearance is computed from pixels as in real footage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from arsdk import Person, PersonIUV

W, H, FPS = 640, 360, 10.0
SIZE = np.array([40.0, 100.0])
OUTFITS = [((40, 40, 200), (60, 30, 10)), ((200, 120, 20), (30, 30, 30)), ((30, 170, 40), (140, 140, 140)),
           ((200, 60, 200), (20, 80, 160))]  # fmt: skip


@dataclass
class Walker:
    outfit: int
    track: dict  # frame -> top-left (x, y); absent frames: not in the scene
    depth: float = 0.0  # larger = nearer (drawn later)


@dataclass
class SceneFrame:
    image_bgr: np.ndarray
    timestamp_ms: float
    truth: list  # (gt id, box xyxy)
    detections: list[Person] = field(default_factory=list)


def _box(top_left) -> np.ndarray:
    x, y = top_left
    return np.array([x, y, x + SIZE[0], y + SIZE[1]], np.float32)


def _draw(image: np.ndarray, box: np.ndarray, outfit: int) -> None:
    x0, y0, x1, y1 = np.round(box).astype(int)
    shirt, trousers = OUTFITS[outfit]
    mid = y0 + int(0.45 * (y1 - y0))
    image[max(y0, 0) : max(mid, 0), max(x0, 0) : max(x1, 0)] = shirt
    image[max(mid, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = trousers
    image[max(y0, 0) : max(y0 + 12, 0), max(x0 + 12, 0) : max(x1 - 12, 0)] = (150, 180, 220)  # a face


def _inside(box: np.ndarray) -> bool:
    """At least half of the box lies in the image (people further out are neither truth nor detected)."""
    x0, y0, x1, y1 = box
    visible = max(0.0, min(x1, W) - max(x0, 0)) * max(0.0, min(y1, H) - max(y0, 0))
    return visible >= 0.5 * (x1 - x0) * (y1 - y0)


def _iuv(box: np.ndarray) -> PersonIUV:
    """A figure's IUV: torso front above 45 % of the height, right/left upper-leg fronts below."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    h, w = max(y1 - y0, 2), max(x1 - x0, 2)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    fy, fx = yy / (h - 1), xx / (w - 1)
    part = np.where(fy < 0.45, 2, np.where(fx < 0.5, 9, 10)).astype(np.uint8)
    v = np.where(fy < 0.45, 1 - fy / 0.45, 1 - (fy - 0.45) / 0.55)
    u = np.where(fy < 0.45, fx, np.where(fx < 0.5, fx * 2, (fx - 0.5) * 2))
    return PersonIUV((x0, y0, x0 + w, y0 + h), part, np.clip(np.dstack([u, v]), 0, 1).astype(np.float32))


def _person(box: np.ndarray, score: float) -> Person:
    return Person(box_xyxy=box.astype(np.float32), score=float(np.clip(score, 0, 1)), iuv=_iuv(box))


def render(walkers: list[Walker], frames: int, rng: np.random.Generator, *, miss_rate: float = 0.0,
           box_noise: float = 0.0, false_positives: float = 0.0, occlusion_iou: float = 0.3) -> list[SceneFrame]:
    """Frames with ground truth and detections. A walker covered by a nearer one beyond ``occlusion_iou``
    is not detected; others are missed at ``miss_rate``; ``false_positives`` spurious boxes per frame."""
    from arsdk.estimators.proposals import box_iou

    out = []
    for f in range(frames):
        image = np.full((H, W, 3), (90, 110, 100), np.uint8)
        image[:, :, 1] += (np.arange(W) % 32 < 16).astype(np.uint8) * 10  # some background texture
        present = [(k, w, _box(w.track[f])) for k, w in enumerate(walkers) if f in w.track and _inside(_box(w.track[f]))]
        for _, walker, box in sorted(present, key=lambda t: t[1].depth):
            _draw(image, box, walker.outfit)
        truth = [(k + 1, box) for k, _, box in present]
        detections = []
        for k, walker, box in present:
            covered = any(o.depth > walker.depth and box_iou(box[None], b[None])[0, 0] > occlusion_iou
                          for _, o, b in present)  # fmt: skip
            if covered or rng.random() < miss_rate:
                continue
            noisy = box + rng.normal(0, box_noise * SIZE[1], 4).astype(np.float32)
            detections.append(_person(noisy, rng.uniform(0.75, 0.95)))
        for _ in range(rng.poisson(false_positives)):
            x, y = rng.uniform(0, W - 40), rng.uniform(0, H - 100)
            detections.append(_person(_box((x, y)), rng.uniform(0.3, 0.8)))
        rng.shuffle(detections)
        out.append(SceneFrame(image, f * 1000.0 / FPS, truth, detections))
    return out


def _line(start, end, frames) -> dict:
    return {f: (start[0] + (end[0] - start[0]) * (f - frames[0]) / max(frames[-1] - frames[0], 1),
                start[1] + (end[1] - start[1]) * (f - frames[0]) / max(frames[-1] - frames[0], 1))
            for f in frames}  # fmt: skip


def scenes(seed: int = 7) -> dict[str, list[SceneFrame]]:
    """The named test scenes."""
    rng = np.random.default_rng(seed)
    crossing = [Walker(0, _line((40, 150), (560, 150), range(60)), depth=0),
                Walker(1, _line((560, 160), (40, 160), range(60)), depth=1)]  # fmt: skip
    occlusion = [Walker(0, _line((40, 120), (560, 120), range(60)), depth=0),
                 Walker(1, {f: (300, 130) for f in range(60)}, depth=1)]  # fmt: skip
    reentry = [Walker(0, {**_line((300, 140), (640, 140), range(0, 20)), **_line((640, 150), (380, 150), range(50, 75))}),
               Walker(2, _line((40, 200), (200, 200), range(75)), depth=1)]  # fmt: skip
    crowd = [Walker(k, _line((40 + 150 * k, 60 + 60 * k), (120 + 150 * k, 80 + 60 * k), range(60))) for k in range(4)]
    return {
        "crossing": render(crossing, 60, rng),
        "occlusion": render(occlusion, 60, rng),
        "reentry": render(reentry, 75, rng),
        "missed_detections": render(crowd, 60, rng, miss_rate=0.25),
        "false_positives": render(crowd, 60, rng, false_positives=0.6),
        "box_noise": render(crowd, 60, rng, box_noise=0.04),
    }
