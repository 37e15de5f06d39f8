"""DensePose R-CNN (R_50/R_101_FPN_s1x with decoder, and their legacy variants) assembled, and the estimator.

Runs the same code on CPU and CUDA: the device is chosen once (``--device auto``), inputs are normalized
and resized on it, and on CUDA the network runs under fp16 autocast (``precision="fp16"``). The DeepLab
variants' layouts are recognised by the loader but their head is not implemented yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError, ModelLoadError
from ..types import BoxRaster, Frame, Person, PersonIUV
from .backbone import Backbone, preprocess
from .box_head import BoxHead
from .checkpoint import check_checkpoint
from .densepose_head import Decoder, DensePoseHead, DensePosePredictor, pool_densepose, to_chart_result
from .roi_align import multilevel_roi_align
from .rpn import RPN

__all__ = ["DensePoseRCNN", "DensePoseOptions", "DensePoseEstimator"]

SUPPORTED = ("R_50_FPN_s1x", "R_101_FPN_s1x", "R_50_FPN_s1x_legacy", "R_101_FPN_s1x_legacy")


class _RoiHeads(nn.Module):
    def __init__(self, legacy: bool = False) -> None:
        super().__init__()
        boxes = BoxHead()
        self.box_head, self.box_predictor = boxes.box_head, boxes.box_predictor
        self.decoder = None if legacy else Decoder()
        self.densepose_head, self.densepose_predictor = DensePoseHead(), DensePosePredictor(15 if legacy else 2)
        self._boxes = [boxes]  # the inference wrapper, kept outside the state dict

    def densepose_features(self, features: dict[str, torch.Tensor], boxes: torch.Tensor) -> torch.Tensor:
        """28x28 pooling on the decoder's output, or (legacy) 14x14 pooling on each box's FPN level."""
        if self.decoder is None:
            return multilevel_roi_align(features, boxes, 14, 2)
        return pool_densepose(self.decoder(features), boxes)


class DensePoseRCNN(nn.Module):
    """The network, with detectron2's module names (so ``state_dict`` keys equal the checkpoint's)."""

    def __init__(self, depth: int = 50, legacy: bool = False) -> None:
        super().__init__()
        self.backbone = Backbone(depth)
        self.proposal_generator = RPN()
        self.roi_heads = _RoiHeads(legacy)

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> DensePoseRCNN:
        """Build the variant the file holds and load it.

        Raises:
            ModelLoadError: the file does not load, or holds a variant not implemented yet.
        """
        report, weights = check_checkpoint(path)
        if report.variant.name not in SUPPORTED:
            raise ModelLoadError(f"{path}: {report.variant.name} is recognised but not implemented yet; "
                                 f"arsdk runs {', '.join(SUPPORTED)}")  # fmt: skip
        return cls.from_weights(weights, report.variant.depth, report.variant.legacy, str(path))

    @classmethod
    def from_weights(cls, weights: dict[str, np.ndarray], depth: int, legacy: bool, source: str = "weights") -> DensePoseRCNN:
        """Build and load from an in-memory detectron2 state dict (already checked)."""
        model = cls(depth, legacy)
        model.backbone.load_detectron2(weights)
        rest = {k: torch.from_numpy(v) for k, v in weights.items() if not k.startswith("backbone.")}
        missing, unexpected = model.load_state_dict(rest, strict=False)
        missing = [k for k in missing if not k.startswith("backbone.")]
        if missing or unexpected:
            raise ModelLoadError(f"{source}: keys do not fit the network (missing {missing[:3]}, unexpected {unexpected[:3]})")
        return model.eval()

    @torch.inference_mode()
    def forward(self, image_bgr: np.ndarray, min_score: float = 0.8) -> list[tuple[np.ndarray, float, np.ndarray, np.ndarray]]:
        """[(box xyxy in image pixels, score, labels (h, w), uv (2, h, w))] per detected person, best first."""
        device = next(self.parameters()).device
        tensor, resized_hw, _ = preprocess(image_bgr, device)
        heads = self.roi_heads
        box_head = heads._boxes[0]
        features = self.backbone(tensor)
        proposals, _ = self.proposal_generator(features, resized_hw)
        boxes, scores = box_head(features, proposals, resized_hw)
        keep = scores >= min_score
        boxes, scores = boxes[keep], scores[keep]
        if len(boxes) == 0:
            return []
        outputs = heads.densepose_predictor(heads.densepose_head(heads.densepose_features(features, boxes)))
        outputs = {k: v.float() for k, v in outputs.items()}
        oh, ow = image_bgr.shape[:2]
        scale = torch.tensor([ow / resized_hw[1], oh / resized_hw[0]] * 2, device=device)
        final = boxes.float() * scale
        final = torch.stack([final[:, 0].clamp(0, ow), final[:, 1].clamp(0, oh), final[:, 2].clamp(0, ow),
                             final[:, 3].clamp(0, oh)], dim=1)  # fmt: skip
        out = []
        for i in range(len(final)):
            if not ((final[i, 2] > final[i, 0]) & (final[i, 3] > final[i, 1])):
                continue
            labels, uv = to_chart_result(outputs, i, final[i])
            out.append((final[i].cpu().numpy(), float(scores[i]), labels.cpu().numpy(), uv.cpu().numpy()))
        return out


@dataclass(frozen=True, slots=True)
class DensePoseOptions:
    """Attributes:
    weights: a DensePose R-CNN checkpoint (``arsdk weights list``).
    device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
    min_score: person score a detection needs (``apply_net``'s default is 0.8).
    precision: ``fp32``, or ``fp16`` / ``bf16`` autocast (CUDA only).
    """

    weights: Path
    device: str = "auto"
    min_score: float = 0.8
    precision: str = "fp16"

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise ConfigError(f"min_score must be in [0, 1], got {self.min_score}")
        if self.precision not in ("fp32", "fp16", "bf16"):
            raise ConfigError(f"precision must be fp32, fp16 or bf16, got {self.precision}")


class DensePoseEstimator:
    """The learned estimator: people with DensePose IUV from DensePose R-CNN. No landmarks (the tracker works
    on boxes and appearance; the compositor on IUV). A context manager; satisfies ``PoseEstimator``."""

    def __init__(self, options: DensePoseOptions) -> None:
        from ..device import select_device

        self.options = options
        self.device = select_device(options.device)
        self.model = DensePoseRCNN.from_checkpoint(options.weights).to(self.device)

    def infer(self, frame: Frame) -> tuple[Person, ...]:
        """The people of ``frame`` with their IUV, best first."""
        autocast = self.device.type == "cuda" and self.options.precision != "fp32"
        dtype = torch.float16 if self.options.precision == "fp16" else torch.bfloat16
        with torch.autocast("cuda", dtype=dtype, enabled=autocast):
            detections = self.model(frame.image_bgr, self.options.min_score)
        persons = []
        for box, score, labels, uv in detections:
            x0, y0 = int(box[0]), int(box[1])
            h, w = labels.shape
            part = labels.astype(np.uint8)
            iuv = PersonIUV((x0, y0, x0 + w, y0 + h), part, np.ascontiguousarray(uv.transpose(1, 2, 0), np.float32))
            mask = BoxRaster((x0, y0, x0 + w, y0 + h), (part > 0).astype(np.float32))
            persons.append(Person(box_xyxy=box.astype(np.float32), score=float(np.clip(score, 0, 1)), mask=mask, iuv=iuv,
                                  proposal="densepose_rcnn"))  # fmt: skip
        return tuple(persons)

    def close(self) -> None:
        """Nothing to release beyond memory."""

    def __enter__(self) -> DensePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
