"""Compositor effects: time per person at 640x480 beside the dense-IUV stage, and the compositor's share of
the frame time in the demo pipeline."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .timing import median_ms

from arsdk import Frame, MediaPipePoseEstimator, PersonTracker, Pipeline, PipelineOptions, PoseEstimatorOptions, RunMode, open_source
from arsdk.compositor import Compositor, parse_effect
from arsdk.densepose import dense_iuv

EFFECTS = ["texture", "swap", "labels", "segm", "contour", "avatar"]




def run(image_640x480: np.ndarray, clip: Path, repeats: int = 10, frames: int = 30) -> dict:
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    image = cv2.resize(image_640x480, (640, 480))
    with MediaPipePoseEstimator() as estimator:
        # as after the tracker: swap and avatar keep each track's look across frames
        persons = [p.replace(track_id=i + 1) for i, p in enumerate(estimator.infer(Frame(image, 0, 0.0)))]
    n = max(len(persons), 1)
    frame = Frame(image, 0, 0.0)
    out = {"people": len(persons), "dense_iuv_ms_per_person": median_ms(
        lambda: [dense_iuv(p, (640, 480)) for p in persons], repeats) / n, "effects_ms_per_person": {}}  # fmt: skip
    for name in EFFECTS:
        effect = parse_effect(name)
        effect.apply(image, frame, persons)  # warm-up (the avatar opens its GL context here)
        out["effects_ms_per_person"][name] = median_ms(lambda: effect.apply(image, frame, persons), repeats) / n
        if hasattr(effect, "close"):
            effect.close()
    dense = out["dense_iuv_ms_per_person"]
    out["texture_over_dense"] = out["effects_ms_per_person"]["texture"] / dense
    out["swap_over_dense"] = out["effects_ms_per_person"]["swap"] / dense
    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, proposal_interval=5)
    with open_source(clip) as source, MediaPipePoseEstimator(options) as estimator, \
            Compositor([parse_effect(s) for s in ("swap", "texture:ids=odd", "labels")]) as compositor:
        stats = Pipeline(source, estimator, tracker=PersonTracker(), compositor=compositor,
                         options=PipelineOptions(max_frames=frames)).run()  # fmt: skip
    means = {k: float(np.mean(v)) for k, v in stats.stage_ms.items() if "." not in k}
    out["pipeline_fps"] = stats.fps
    out["compositor_share"] = means.get("compositor", 0.0) / max(sum(means.values()), 1e-9)
    out["pipeline_stage_mean_ms"] = means
    return out


def markdown(result: dict) -> str:
    lines = [
        f"## Effects at 640x480 ({result['people']} people)",
        "",
        "| effect | ms per person | ratio to dense IUV |",
        "| --- | ---: | ---: |",
        f"| dense IUV (the stage itself) | {result['dense_iuv_ms_per_person']:.2f} | 1.00 |",
    ]
    for name, ms in result["effects_ms_per_person"].items():
        lines.append(f"| {name} | {ms:.2f} | {ms / result['dense_iuv_ms_per_person']:.2f} |")
    lines += ["", f"Target: texture and swap cost at most the dense-IUV stage: texture "
              f"{result['texture_over_dense']:.2f}x, swap {result['swap_over_dense']:.2f}x.", "",
              f"Demo pipeline (swap, costume, labels; tracked): {result['pipeline_fps']:.1f} fps; the compositor "
              f"takes {100 * result['compositor_share']:.0f} % of the summed stage time.", ""]  # fmt: skip
    return "\n".join(lines)
