"""ROIAlign and NMS against plain reference implementations written here (loops over boxes and samples)."""

import math

import numpy as np
import pytest
import torch

from arsdk.densepose_rcnn.roi_align import roi_align
from arsdk.densepose_rcnn.rpn import batched_nms, nms


def _bilinear(feature, y, x):
    """One sample, detectron2's legacy rules: zero beyond one pixel outside, clamped at the border."""
    channels, height, width = feature.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return np.zeros(channels)
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= height - 1:
        y0 = y1 = height - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= width - 1:
        x0 = x1 = width - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * feature[:, y0, x0] + (1 - ly) * lx * feature[:, y0, x1]
            + ly * (1 - lx) * feature[:, y1, x0] + ly * lx * feature[:, y1, x1])  # fmt: skip


def _roi_align_reference(feature, box, size, scale, ratio):
    x0, y0, x1, y1 = (v * scale for v in box)
    roi_w, roi_h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    bin_w, bin_h = roi_w / size, roi_h / size
    out = np.zeros((feature.shape[0], size, size))
    for ph in range(size):
        for pw in range(size):
            total = np.zeros(feature.shape[0])
            for iy in range(ratio):
                for ix in range(ratio):
                    y = y0 + ph * bin_h + (iy + 0.5) * bin_h / ratio
                    x = x0 + pw * bin_w + (ix + 0.5) * bin_w / ratio
                    total += _bilinear(feature, y, x)
            out[:, ph, pw] = total / (ratio * ratio)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roi_align_matches_the_loop_reference(seed):
    rng = np.random.default_rng(seed)
    feature = rng.normal(size=(3, 13, 17))
    boxes = [rng.uniform(0, 60, 2).tolist() + rng.uniform(60, 80, 2).tolist() for _ in range(4)]
    boxes += [[-10.0, -6.0, 30.0, 20.0],  # over the top-left border
              [60.0, 40.0, 75.0, 60.0],  # over the bottom-right border (map is 68 x 52 image pixels)
              [20.0, 20.0, 20.5, 20.3],  # tiny: smaller than one feature pixel
              [33.0, 12.0, 33.0, 12.0]]  # degenerate  # fmt: skip
    boxes_t = torch.tensor(boxes, dtype=torch.float64)
    got = roi_align(torch.from_numpy(feature)[None], boxes_t, 5, 0.25, 2).numpy()
    for i, box in enumerate(boxes):
        np.testing.assert_allclose(got[i], _roi_align_reference(feature, box, 5, 0.25, 2), rtol=1e-9, atol=1e-9)


def _nms_reference(boxes, scores, threshold):
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    keep = []
    for i in order:
        ok = True
        for j in keep:
            a, b = boxes[i], boxes[j]
            iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            inter = iw * ih
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            if union > 0 and inter / union > threshold:
                ok = False
                break
        if ok:
            keep.append(i)
    return keep


@pytest.mark.parametrize(("seed", "threshold"), [(0, 0.5), (1, 0.7), (2, 0.3)])
def test_nms_matches_the_loop_reference(seed, threshold):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (200, 2))
    wh = rng.uniform(0.5, 40, (200, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1)
    scores = rng.permutation(200) / 200.0  # distinct scores: the order is well defined
    got = nms(torch.from_numpy(boxes), torch.from_numpy(scores), threshold).tolist()
    assert got == _nms_reference(boxes.tolist(), scores.tolist(), threshold)


def test_batched_nms_never_suppresses_across_groups():
    boxes = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 10], [1, 1, 10, 10]], dtype=torch.float64)
    scores = torch.tensor([0.9, 0.8, 0.7], dtype=torch.float64)
    assert batched_nms(boxes, scores, torch.tensor([0, 1, 0]), 0.5).tolist() == [0, 1]
    assert nms(boxes[:0], scores[:0], 0.5).numel() == 0
