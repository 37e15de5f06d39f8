"""The box head: two FC layers on 7x7 ROIAlign features, person score and box refinement, then
detectron2's test-time filtering (score > 0.05, NMS 0.5, at most 100) and rescaling to the original image."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .roi_align import Boxes, multilevel_roi_align
from .rpn import batched_nms, decode_boxes

__all__ = ["BoxHead"]


class _FC(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(256 * 7 * 7, 1024)
        self.fc2 = nn.Linear(1024, 1024)


class _Predictor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cls_score = nn.Linear(1024, 2)  # index 0 = person, 1 = background
        self.bbox_pred = nn.Linear(1024, 4)


class BoxHead(nn.Module):
    """``roi_heads.box_head`` + ``roi_heads.box_predictor`` with test-time inference."""

    def __init__(self, score_threshold: float = 0.05, nms_threshold: float = 0.5, max_detections: int = 100) -> None:
        super().__init__()
        self.box_head, self.box_predictor = _FC(), _Predictor()
        self.score_threshold, self.nms_threshold, self.max_detections = score_threshold, nms_threshold, max_detections

    def logits(self, features: dict[str, torch.Tensor], proposals: Boxes) -> tuple[torch.Tensor, torch.Tensor]:
        """(class logits (R, 2), box deltas (R, 4)) for the proposals (of image 0, or a list per batch image)."""
        pooled = multilevel_roi_align(features, proposals, 7, 2).flatten(1)
        x = F.relu(self.box_head.fc2(F.relu(self.box_head.fc1(pooled))))
        return self.box_predictor.cls_score(x), self.box_predictor.bbox_pred(x)

    def forward(self, features: dict[str, torch.Tensor], proposals: torch.Tensor, image_hw: tuple[int, int]
                ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """(boxes (D, 4) xyxy in resized-image pixels, person scores (D,)), best first (image 0 of the batch)."""
        cls, deltas = self.logits(features, proposals)
        return self.select(cls, deltas, proposals, image_hw)

    def select(self, cls: torch.Tensor, deltas: torch.Tensor, proposals: torch.Tensor, image_hw: tuple[int, int]
               ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """One image's detections from its proposals' logits: decode, clip, score threshold, NMS, top 100."""
        scores = F.softmax(cls, dim=-1)[:, 0]
        boxes = decode_boxes(deltas, proposals, (10.0, 10.0, 5.0, 5.0))
        h, w = image_hw
        boxes = torch.stack([boxes[:, 0].clamp(0, w), boxes[:, 1].clamp(0, h), boxes[:, 2].clamp(0, w),
                             boxes[:, 3].clamp(0, h)], dim=1)  # fmt: skip
        keep = scores > self.score_threshold
        boxes, scores = boxes[keep], scores[keep]
        keep = batched_nms(boxes, scores, torch.zeros_like(scores, dtype=torch.long), self.nms_threshold)
        keep = keep[: self.max_detections]
        return boxes[keep], scores[keep]
