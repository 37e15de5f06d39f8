"""ROIAlign as detectron2's legacy ``ROIAlign`` (aligned=False), vectorized in torch, and the FPN level
assignment of boxes."""

from __future__ import annotations

from typing import Sequence, Union

import torch

__all__ = ["roi_align", "assign_levels", "multilevel_roi_align", "Boxes"]

Boxes = Union[torch.Tensor, Sequence[torch.Tensor]]
"""Boxes (R, 4) of image 0 of a batch, or one (R_i, 4) tensor per batch image."""


def _flatten(boxes: Boxes) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(all boxes (R, 4), their batch image index (R,) or None when they all belong to image 0)."""
    if isinstance(boxes, torch.Tensor):
        return boxes, None
    index = torch.cat([torch.full((len(b),), i, dtype=torch.long, device=b.device) for i, b in enumerate(boxes)])
    return torch.cat(list(boxes)), index


def roi_align(feature: torch.Tensor, boxes: Boxes, output_size: int, spatial_scale: float,
              sampling_ratio: int = 2, aligned: bool = False, chunk: int = 64) -> torch.Tensor:  # fmt: skip
    """Pool ``boxes`` xyxy in image pixels from ``feature`` (N, C, H, W) into (R, C, S, S).

    Each output bin averages ``sampling_ratio``^2 bilinear samples; samples beyond one pixel outside the map
    count as 0, samples within it are clamped to the border (detectron2's and torchvision's rules).
    """
    boxes, image_index = _flatten(boxes)
    _, channels, height, width = feature.shape
    out = feature.new_zeros((len(boxes), channels, output_size, output_size))
    flat = feature.permute(1, 0, 2, 3).reshape(channels, -1)
    offset = 0.5 if aligned else 0.0
    steps = (torch.arange(output_size, device=feature.device, dtype=feature.dtype)[:, None]
             + (torch.arange(sampling_ratio, device=feature.device, dtype=feature.dtype)[None, :] + 0.5) / sampling_ratio
             ).reshape(-1)  # fmt: skip
    for start in range(0, len(boxes), chunk):
        b = boxes[start : start + chunk].to(feature.dtype) * spatial_scale - offset
        base = 0 if image_index is None else (image_index[start : start + chunk] * (height * width))[:, None, None]
        roi_w, roi_h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        if not aligned:
            roi_w, roi_h = roi_w.clamp(min=1.0), roi_h.clamp(min=1.0)
        ys = b[:, 1, None] + steps[None, :] * (roi_h / output_size)[:, None]  # (r, S*s)
        xs = b[:, 0, None] + steps[None, :] * (roi_w / output_size)[:, None]
        y, x = ys[:, :, None].expand(-1, -1, xs.shape[1]), xs[:, None, :].expand(-1, ys.shape[1], -1)
        outside = (y < -1.0) | (y > height) | (x < -1.0) | (x > width)
        y, x = y.clamp(min=0), x.clamp(min=0)
        y0, x0 = y.floor().long(), x.floor().long()
        y_edge, x_edge = y0 >= height - 1, x0 >= width - 1
        y0, x0 = torch.where(y_edge, height - 1, y0), torch.where(x_edge, width - 1, x0)
        y = torch.where(y_edge, y0.to(y.dtype), y)
        x = torch.where(x_edge, x0.to(x.dtype), x)
        y1, x1 = torch.where(y_edge, y0, y0 + 1), torch.where(x_edge, x0, x0 + 1)
        ly, lx = y - y0, x - x0
        hy, hx = 1 - ly, 1 - lx
        y0, y1 = base + y0 * width, base + y1 * width
        value = (flat[:, y0 + x0] * (hy * hx) + flat[:, y0 + x1] * (hy * lx)
                 + flat[:, y1 + x0] * (ly * hx) + flat[:, y1 + x1] * (ly * lx))  # (C, r, Ss, Ss)
        value = torch.where(outside[None], 0.0, value)
        r = value.shape[1]
        value = value.reshape(channels, r, output_size, sampling_ratio, output_size, sampling_ratio).mean(dim=(3, 5))
        out[start : start + r] = value.permute(1, 0, 2, 3)
    return out


def assign_levels(boxes: torch.Tensor, min_level: int = 2, max_level: int = 5) -> torch.Tensor:
    """FPN level of each box: floor(4 + log2(sqrt(area) / 224 + 1e-8)), clamped."""
    size = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sqrt()
    level = torch.floor(4 + torch.log2(size / 224 + 1e-8))
    return level.clamp(min_level, max_level).long()


def multilevel_roi_align(features: dict[str, torch.Tensor], boxes: Boxes, output_size: int,
                         sampling_ratio: int = 2) -> torch.Tensor:  # fmt: skip
    """ROIAlign each box on its FPN level (p2..p5); boxes as in ``roi_align``."""
    boxes, image_index = _flatten(boxes)
    levels = assign_levels(boxes)
    first = features["p2"]
    out = first.new_zeros((len(boxes), first.shape[1], output_size, output_size))
    for level in range(2, 6):
        index = torch.nonzero(levels == level).flatten()
        if index.numel():
            feature = features[f"p{level}"]
            if image_index is None:
                out[index] = roi_align(feature, boxes[index], output_size, 1.0 / 2**level, sampling_ratio)
            else:
                per_image = [boxes[index][image_index[index] == i] for i in range(feature.shape[0])]
                order = torch.cat([index[image_index[index] == i] for i in range(feature.shape[0])])
                out[order] = roi_align(feature, per_image, output_size, 1.0 / 2**level, sampling_ratio)
    return out
