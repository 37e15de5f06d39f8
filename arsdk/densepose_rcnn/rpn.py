"""Region proposal network of DensePose R-CNN, with detectron2's test-time proposal selection.

Anchors: one size per level (32..512 on p2..p6), aspect ratios 0.5, 1, 2 (h/w), offset 0, order (H, W, A).
Per level the 1000 best-scored anchors are decoded, clipped to the image and freed of empty boxes; NMS at
0.7 runs per level; the best 1000 overall are kept (``../shared/DENSEPOSE.md`` section 2).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["RPN", "decode_boxes", "nms", "batched_nms"]

_SCALE_CLAMP = math.log(1000.0 / 16)
_SIZES = (32, 64, 128, 256, 512)
_STRIDES = (4, 8, 16, 32, 64)
_RATIOS = (0.5, 1.0, 2.0)


def decode_boxes(deltas: torch.Tensor, boxes: torch.Tensor, weights=(1.0, 1.0, 1.0, 1.0)) -> torch.Tensor:
    """Apply (dx, dy, dw, dh) deltas to xyxy boxes (detectron2's Box2BoxTransform)."""
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    ctr_x, ctr_y = boxes[:, 0] + 0.5 * widths, boxes[:, 1] + 0.5 * heights
    wx, wy, ww, wh = weights
    dx, dy = deltas[:, 0::4] / wx, deltas[:, 1::4] / wy
    dw = torch.clamp(deltas[:, 2::4] / ww, max=_SCALE_CLAMP)
    dh = torch.clamp(deltas[:, 3::4] / wh, max=_SCALE_CLAMP)
    px, py = dx * widths[:, None] + ctr_x[:, None], dy * heights[:, None] + ctr_y[:, None]
    pw, ph = torch.exp(dw) * widths[:, None], torch.exp(dh) * heights[:, None]
    out = torch.stack([px - 0.5 * pw, py - 0.5 * ph, px + 0.5 * pw, py + 0.5 * ph], dim=-1)
    return out.reshape(deltas.shape)


def nms(boxes: torch.Tensor, scores: torch.Tensor, threshold: float) -> torch.Tensor:
    """Indices kept by greedy non-maximum suppression, by decreasing score (torchvision's semantics:
    IoU with areas (x1 - x0) * (y1 - y0), suppress when IoU > threshold)."""
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    order = torch.argsort(scores, descending=True, stable=True)
    b = boxes[order].double()
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.maximum(b[:, None, :2], b[None, :, :2])
    rb = torch.minimum(b[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=2)
    over = (inter / (area[:, None] + area[None, :] - inter)).gt(threshold).cpu().numpy()
    suppressed = np.zeros(len(b), bool)
    keep = []
    for i in range(len(b)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= over[i]
    return order[torch.as_tensor(keep, device=boxes.device)]


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor, threshold: float) -> torch.Tensor:
    """NMS within each group (boxes of different groups never suppress each other)."""
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    offsets = groups.to(boxes) * (boxes.max() + 1)
    return nms(boxes + offsets[:, None], scores, threshold)


class _Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(256, 256, 3, padding=1)
        self.objectness_logits = nn.Conv2d(256, 3, 1)
        self.anchor_deltas = nn.Conv2d(256, 12, 1)


class RPN(nn.Module):
    """``proposal_generator``: the RPN head and test-time proposal selection."""

    def __init__(self, pre_nms_topk: int = 1000, post_nms_topk: int = 1000, nms_threshold: float = 0.7) -> None:
        super().__init__()
        self.rpn_head = _Head()
        self.pre_nms_topk, self.post_nms_topk, self.nms_threshold = pre_nms_topk, post_nms_topk, nms_threshold

    @staticmethod
    def anchors(height: int, width: int, size: int, stride: int, device: torch.device) -> torch.Tensor:
        """(H * W * 3, 4) anchors of one level, in (H, W, A) order."""
        cells = []
        for ratio in _RATIOS:
            w = math.sqrt(size * size / ratio)
            h = ratio * w
            cells.append([-w / 2, -h / 2, w / 2, h / 2])
        cell = torch.tensor(cells, dtype=torch.float32, device=device)
        shift_y, shift_x = torch.meshgrid(torch.arange(height, device=device, dtype=torch.float32) * stride,
                                          torch.arange(width, device=device, dtype=torch.float32) * stride, indexing="ij")  # fmt: skip
        shifts = torch.stack([shift_x.reshape(-1), shift_y.reshape(-1)] * 2, dim=1)
        return (shifts[:, None, :] + cell[None, :, :]).reshape(-1, 4)

    def head_outputs(self, features: dict[str, torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Per level (p2..p6), for the whole batch: (objectness logits (N, H*W*A), deltas (N, H*W*A, 4),
        anchors (H*W*A, 4))."""
        out = []
        for name, size, stride in zip(("p2", "p3", "p4", "p5", "p6"), _SIZES, _STRIDES):
            feature = features[name]
            t = F.relu(self.rpn_head.conv(feature))
            n, _, h, w = feature.shape
            logits = self.rpn_head.objectness_logits(t).permute(0, 2, 3, 1).reshape(n, -1)
            deltas = self.rpn_head.anchor_deltas(t).view(n, 3, 4, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, 4)
            out.append((logits, deltas, self.anchors(h, w, size, stride, feature.device)))
        return out

    def select(self, outputs: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]], image: int,
               image_hw: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """Batch image ``image``'s proposals (K, 4) xyxy in resized-image pixels and logits (K,), best first."""
        boxes, scores, levels = [], [], []
        for level, (all_logits, all_deltas, anchors) in enumerate(outputs):
            logits, deltas = all_logits[image], all_deltas[image]
            k = min(self.pre_nms_topk, logits.numel())
            top_logits, top = logits.topk(k, sorted=True)
            boxes.append(decode_boxes(deltas[top], anchors[top]))
            scores.append(top_logits)
            levels.append(torch.full((k,), level, device=logits.device))
        boxes, scores, levels = torch.cat(boxes), torch.cat(scores), torch.cat(levels)
        valid = torch.isfinite(boxes).all(dim=1) & torch.isfinite(scores)
        boxes, scores, levels = boxes[valid], scores[valid], levels[valid]
        h, w = image_hw
        boxes = torch.stack([boxes[:, 0].clamp(0, w), boxes[:, 1].clamp(0, h), boxes[:, 2].clamp(0, w),
                             boxes[:, 3].clamp(0, h)], dim=1)  # fmt: skip
        nonempty = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        boxes, scores, levels = boxes[nonempty], scores[nonempty], levels[nonempty]
        keep = batched_nms(boxes, scores, levels, self.nms_threshold)[: self.post_nms_topk]
        return boxes[keep], scores[keep]

    def forward(self, features: dict[str, torch.Tensor], image_hw: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        """(proposals (K, 4) xyxy in resized-image pixels, objectness logits (K,)), best first, of image 0."""
        return self.select(self.head_outputs(features), 0, image_hw)
