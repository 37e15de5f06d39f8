"""DensePose R-CNN on the CPU: milliseconds per 640x480 frame, split by stage (seeded random weights: the
timing does not depend on the values; the number of detections is fixed to the test-time maximum of 100)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from arsdk.densepose_rcnn.backbone import preprocess
from arsdk.densepose_rcnn.densepose_head import to_chart_result
from arsdk.densepose_rcnn.model import DensePoseRCNN


def run(image_bgr: np.ndarray, ref_dir: Path, repeats: int = 2) -> dict:
    image = cv2.resize(image_bgr, (640, 480))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ckpt.pkl"
        subprocess.run([sys.executable, str(ref_dir / "make_ckpt.py"), str(ref_dir / "keys_R_50_FPN_s1x.txt"), str(path)],
                       check=True, capture_output=True)  # fmt: skip
        model = DensePoseRCNN.from_checkpoint(path)
    heads = model.roi_heads
    stages: dict[str, list[float]] = {}

    def timed(name, fn):
        start = time.perf_counter()
        value = fn()
        stages.setdefault(name, []).append((time.perf_counter() - start) * 1000.0)
        return value

    with torch.inference_mode():
        for _ in range(repeats):
            tensor, hw, _ = timed("preprocess", lambda: preprocess(image, torch.device("cpu")))
            features = timed("backbone", lambda: model.backbone(tensor))
            proposals, _ = timed("rpn", lambda: model.proposal_generator(features, hw))
            boxes, scores = timed("box_head", lambda: heads._boxes[0](features, proposals, hw))
            outputs = timed("densepose_head", lambda: heads.densepose_predictor(
                heads.densepose_head(heads.densepose_features(features, boxes))))  # fmt: skip
            timed("postprocess", lambda: [to_chart_result(outputs, i, boxes[i]) for i in range(len(boxes))])
    result = {name: float(np.median(values)) for name, values in stages.items()}
    result["total"] = sum(result.values())
    result["detections"] = int(len(boxes))
    return result


def markdown(result: dict) -> str:
    rows = ["## DensePose R-CNN (R_50_FPN_s1x) on the CPU, 640x480", "", "| stage | ms |", "| --- | ---: |"]
    rows += [f"| {k} | {v:.0f} |" for k, v in result.items() if k not in ("detections",)]
    rows += ["", f"{result['detections']} detections per frame (random weights give the maximum, 100).", ""]
    return "\n".join(rows)
