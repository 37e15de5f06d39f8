"""The DensePose branch: Panoptic-FPN-style decoder, 28x28 ROIAlign on its output, the V1ConvX or DeepLab
head, the chart predictor, and detectron2's per-box conversion to part labels and U, V."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .roi_align import Boxes, roi_align

__all__ = ["Decoder", "DensePoseHead", "DeepLabHead", "DensePosePredictor", "to_chart_result"]


class Decoder(nn.Module):
    """``roi_heads.decoder``: per level 3x3 convs (+ 2x bilinear upsampling) to stride 4, summed, 1x1 conv."""

    def __init__(self) -> None:
        super().__init__()
        for name, stages in (("p2", 1), ("p3", 1), ("p4", 2), ("p5", 3)):
            layers: list[nn.Module] = []
            for _ in range(stages):
                layers.append(nn.Conv2d(256, 256, 3, padding=1))
                if name != "p2":
                    layers.append(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False))
            self.add_module(name, nn.Sequential(*layers))
        self.predictor = nn.Conv2d(256, 256, 1)

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        out = None
        for name in ("p2", "p3", "p4", "p5"):
            x = features[name]
            for layer in getattr(self, name):
                x = F.relu(layer(x)) if isinstance(layer, nn.Conv2d) else layer(x)
            out = x if out is None else out + x
        return self.predictor(out)


class DensePoseHead(nn.Module):
    """``roi_heads.densepose_head`` (V1ConvX): 8 x [3x3 conv + ReLU], 256 -> 512 channels."""

    def __init__(self) -> None:
        super().__init__()
        for k in range(1, 9):
            self.add_module(f"body_conv_fcn{k}", nn.Conv2d(256 if k == 1 else 512, 512, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for k in range(1, 9):
            x = F.relu(getattr(self, f"body_conv_fcn{k}")(x))
        return x


class _ASPP(nn.Module):
    """``densepose_head.ASPP``: 1x1, three dilated 3x3 (rates 6, 12, 56) and an image-pooling branch, each
    bias-free conv + GroupNorm(32) + ReLU, concatenated (1280 channels), then a bias-free 1x1 conv + ReLU."""

    def __init__(self, channels: int = 256, rates: tuple[int, int, int] = (6, 12, 56)) -> None:
        super().__init__()
        branches: list[nn.Module] = [nn.Sequential(nn.Conv2d(channels, channels, 1, bias=False), nn.GroupNorm(32, channels), nn.ReLU())]
        for rate in rates:
            conv = nn.Conv2d(channels, channels, 3, padding=rate, dilation=rate, bias=False)
            branches.append(nn.Sequential(conv, nn.GroupNorm(32, channels), nn.ReLU()))
        pooling = (nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, channels, 1, bias=False), nn.GroupNorm(32, channels), nn.ReLU())
        branches.append(nn.Sequential(*pooling))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(nn.Conv2d(5 * channels, channels, 1, bias=False), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [branch(x) for branch in self.convs[:4]]
        pooled = self.convs[4](x)
        outs.append(F.interpolate(pooled, size=x.shape[-2:], mode="bilinear", align_corners=False))
        return self.project(torch.cat(outs, dim=1))


class _ConvGN(nn.Module):
    """detectron2's ``Conv2d(..., bias=False, norm=GroupNorm)``: the norm lives at ``.norm`` inside the conv."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 3, 3))
        self.norm = nn.GroupNorm(32, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(F.conv2d(x, self.weight, padding=1))


class DeepLabHead(nn.Module):
    """``roi_heads.densepose_head`` of the DL variants: ASPP, then 8 x [3x3 conv + GroupNorm(32) + ReLU],
    256 -> 512 channels, keeping 28x28 (no non-local block: NONLOCAL_ON is 0 in the official configs)."""

    def __init__(self) -> None:
        super().__init__()
        self.ASPP = _ASPP()
        for k in range(1, 9):
            self.add_module(f"body_conv_fcn{k}", _ConvGN(256 if k == 1 else 512, 512))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.ASPP(x)
        for k in range(1, 9):
            x = F.relu(getattr(self, f"body_conv_fcn{k}")(x))
        return x


class DensePosePredictor(nn.Module):
    """``roi_heads.densepose_predictor``: transposed 4x4 stride-2 convs (28 -> 56), then bilinear x2 (112)."""

    def __init__(self, coarse_channels: int = 2) -> None:
        super().__init__()
        self.ann_index_lowres = nn.ConvTranspose2d(512, coarse_channels, 4, stride=2, padding=1)
        for name in ("index_uv_lowres", "u_lowres", "v_lowres"):
            self.add_module(name, nn.ConvTranspose2d(512, 25, 4, stride=2, padding=1))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)  # noqa: E731
        return {"coarse_segm": up(self.ann_index_lowres(x)), "fine_segm": up(self.index_uv_lowres(x)),
                "u": up(self.u_lowres(x)), "v": up(self.v_lowres(x))}  # fmt: skip


def to_chart_result(outputs: dict[str, torch.Tensor], index: int, box_xyxy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """detectron2's ``ToChartResultConverter`` for one box: (labels (h, w) long, uv (2, h, w) float) over the box
    cast to int XYWH (truncated, at least 1 x 1)."""
    x0, y0, x1, y1 = box_xyxy.tolist()
    w, h = max(int(x1 - x0), 1), max(int(y1 - y0), 1)
    size = (h, w)
    resize = lambda t: F.interpolate(t[index : index + 1], size=size, mode="bilinear", align_corners=False)[0]  # noqa: E731
    coarse = resize(outputs["coarse_segm"]).argmax(dim=0)
    labels = resize(outputs["fine_segm"]).argmax(dim=0) * (coarse > 0).long()
    u, v = resize(outputs["u"]), resize(outputs["v"])
    uv = torch.zeros((2, h, w), dtype=u.dtype, device=u.device)
    for part in range(1, 25):
        where = labels == part
        uv[0][where], uv[1][where] = u[part][where], v[part][where]
    return labels, uv


def pool_densepose(decoder_out: torch.Tensor, boxes: Boxes) -> torch.Tensor:
    """28x28 ROIAlign of ``boxes`` (resized-image pixels; image 0's, or a list per batch image) on the
    stride-4 decoder output."""
    return roi_align(decoder_out, boxes, 28, 0.25, 2)
