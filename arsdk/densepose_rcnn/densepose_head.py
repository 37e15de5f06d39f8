"""The DensePose branch: Panoptic-FPN-style decoder, 28x28 ROIAlign on its output, V1ConvX head, the
chart predictor, and detectron2's per-box conversion to part labels and U, V."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .roi_align import roi_align

__all__ = ["Decoder", "DensePoseHead", "DensePosePredictor", "to_chart_result"]


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


def pool_densepose(decoder_out: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """28x28 ROIAlign of ``boxes`` (resized-image pixels) on the stride-4 decoder output."""
    return roi_align(decoder_out, boxes, 28, 0.25, 2)
