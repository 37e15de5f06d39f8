"""ResNet + FPN backbone of DensePose R-CNN, and detectron2's test-time input preprocessing.

Module names follow detectron2's state-dict keys (``backbone.bottom_up.res2.0.conv1.norm.weight``, ...), so
an official checkpoint loads with ``load_state_dict`` unchanged. Settings of the official configs
(``../shared/DENSEPOSE.md`` section 2): FrozenBN (eps 1e-5), stride in the first 1x1 conv, FPN p2-p6 with
256 channels, nearest-neighbour top-down path, p6 = max-pool(kernel 1, stride 2) of p5.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PIXEL_MEAN_BGR", "preprocess", "FrozenBatchNorm", "ResNet", "FPN", "Backbone"]

PIXEL_MEAN_BGR = (103.530, 116.280, 123.675)


def preprocess(image_bgr: np.ndarray, device: torch.device, short_side: int = 800, max_side: int = 1333,
               divisible: int = 32) -> tuple[torch.Tensor, tuple[int, int], float]:  # fmt: skip
    """detectron2's test-time input: resize (PIL bilinear) so the short side is ``short_side`` and the long
    side at most ``max_side``, subtract the BGR pixel mean, zero-pad to a multiple of ``divisible``.

    Returns:
        (1, 3, H, W) float32 tensor on ``device``, the resized (height, width), the scale applied.
    """
    from PIL import Image

    h, w = image_bgr.shape[:2]
    scale = short_side / min(h, w)
    if max(h, w) * scale > max_side:
        scale = max_side / max(h, w)
    new_h, new_w = int(h * scale + 0.5), int(w * scale + 0.5)
    resized = np.array(Image.fromarray(image_bgr).resize((new_w, new_h), Image.BILINEAR))
    tensor = torch.as_tensor(resized, device=device).permute(2, 0, 1).float()
    tensor = tensor - torch.tensor(PIXEL_MEAN_BGR, device=device).view(3, 1, 1)
    pad_h, pad_w = math.ceil(new_h / divisible) * divisible, math.ceil(new_w / divisible) * divisible
    tensor = F.pad(tensor, (0, pad_w - new_w, 0, pad_h - new_h))
    return tensor.unsqueeze(0), (new_h, new_w), scale


class FrozenBatchNorm(nn.Module):
    """Batch norm with fixed statistics: y = (x - mean) / sqrt(var + eps) * weight + bias."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        for name, value in (("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0)):
            self.register_buffer(name, torch.full((channels,), value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1)


class ConvNorm(nn.Conv2d):
    """A bias-free convolution followed by FrozenBN (detectron2's ``Conv2d(..., norm=FrozenBN)``)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0) -> None:
        super().__init__(cin, cout, kernel, stride, padding, bias=False)
        self.norm = FrozenBatchNorm(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(super().forward(x))


class Bottleneck(nn.Module):
    def __init__(self, cin: int, width: int, cout: int, stride: int) -> None:
        super().__init__()
        self.shortcut = ConvNorm(cin, cout, 1, stride) if (cin != cout or stride != 1) else None
        self.conv1 = ConvNorm(cin, width, 1, stride)  # stride in the 1x1 conv (STRIDE_IN_1X1)
        self.conv2 = ConvNorm(width, width, 3, 1, 1)
        self.conv3 = ConvNorm(width, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.conv1(x))
        out = F.relu(self.conv2(out))
        out = self.conv3(out)
        return F.relu(out + (self.shortcut(x) if self.shortcut is not None else x))


class Stem(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = ConvNorm(3, 64, 7, 2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(F.relu(self.conv1(x)), kernel_size=3, stride=2, padding=1)


class ResNet(nn.Module):
    """ResNet-50 or -101 returning res2..res5."""

    def __init__(self, depth: int = 50) -> None:
        super().__init__()
        blocks = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}[depth]
        self.stem = Stem()
        cin = 64
        for stage, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512)), start=2):
            layers = [Bottleneck(cin if i == 0 else width * 4, width, width * 4, (2 if stage > 2 else 1) if i == 0 else 1)
                      for i in range(count)]  # fmt: skip
            self.add_module(f"res{stage}", nn.Sequential(*layers))
            cin = width * 4

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.stem(x)
        out = {}
        for stage in (2, 3, 4, 5):
            x = getattr(self, f"res{stage}")(x)
            out[f"res{stage}"] = x
        return out


class FPN(nn.Module):
    """Feature pyramid p2..p6 from res2..res5 (sum fusion, nearest upsampling, p6 by max-pool of p5)."""

    def __init__(self) -> None:
        super().__init__()
        for level, channels in zip((2, 3, 4, 5), (256, 512, 1024, 2048)):
            self.add_module(f"fpn_lateral{level}", nn.Conv2d(channels, 256, 1))
            self.add_module(f"fpn_output{level}", nn.Conv2d(256, 256, 3, padding=1))

    def forward(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out, previous = {}, None
        for level in (5, 4, 3, 2):
            lateral = getattr(self, f"fpn_lateral{level}")(features[f"res{level}"])
            previous = lateral if previous is None else lateral + F.interpolate(previous, scale_factor=2.0, mode="nearest")
            out[f"p{level}"] = getattr(self, f"fpn_output{level}")(previous)
        out["p6"] = F.max_pool2d(out["p5"], kernel_size=1, stride=2, padding=0)
        return {k: out[k] for k in ("p2", "p3", "p4", "p5", "p6")}


class Backbone(nn.Module):
    """``backbone.bottom_up`` (ResNet) + the FPN layers (``backbone.fpn_*``), named as in detectron2."""

    def __init__(self, depth: int = 50) -> None:
        super().__init__()
        self.bottom_up = ResNet(depth)
        self.fpn = FPN()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.fpn(self.bottom_up(x))

    def load_detectron2(self, weights: dict[str, np.ndarray], prefix: str = "backbone.") -> None:
        """Load ``backbone.*`` weights from a detectron2 state dict (the FPN keys have no ``fpn.`` level)."""
        state = {}
        for name, value in weights.items():
            if not name.startswith(prefix):
                continue
            local = name[len(prefix):]
            state[local if local.startswith("bottom_up.") else f"fpn.{local}"] = torch.from_numpy(np.asarray(value))
        self.load_state_dict(state, strict=True)  # every key must fit: check_checkpoint has vetted the file
