"""DensePose R-CNN (R_50/R_101_FPN_s1x with decoder, their DeepLab-head "DL" and legacy variants) assembled,
and the estimator.

Runs the same code on CPU and CUDA: the device is chosen once (``--device auto``), inputs are normalized
and resized on it, and on CUDA the network runs under fp16 autocast (``precision="fp16"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError, ModelLoadError
from ..types import BoxRaster, Frame, Person, PersonIUV
from .backbone import Backbone, preprocess
from .box_head import BoxHead
from .checkpoint import check_checkpoint
from .keys import VARIANTS, Variant
from .densepose_head import Decoder, DeepLabHead, DensePoseHead, DensePosePredictor, pool_densepose, to_chart_result
from .roi_align import multilevel_roi_align
from .rpn import RPN

__all__ = ["DensePoseRCNN", "DensePoseOptions", "DensePoseEstimator"]



class _RoiHeads(nn.Module):
    def __init__(self, variant: Variant) -> None:
        super().__init__()
        boxes = BoxHead()
        self.box_head, self.box_predictor = boxes.box_head, boxes.box_predictor
        self.decoder = Decoder() if variant.decoder else None
        self.densepose_head = DeepLabHead() if variant.head == "deeplab" else DensePoseHead()
        self.densepose_predictor = DensePosePredictor(15 if variant.legacy else 2)
        self._boxes = [boxes]  # the inference wrapper, kept outside the state dict

    def densepose_features(self, features: dict[str, torch.Tensor], boxes: list[torch.Tensor]) -> torch.Tensor:
        """28x28 pooling on the decoder's output, or (legacy) 14x14 pooling on each box's FPN level; ``boxes``
        holds each batch image's boxes, the result their features in that order."""
        if self.decoder is None:
            return multilevel_roi_align(features, boxes, 14, 2)
        return pool_densepose(self.decoder(features), boxes)


def _variant(variant: Variant | str) -> Variant:
    if isinstance(variant, Variant):
        return variant
    if variant not in VARIANTS:
        raise ConfigError(f"unknown DensePose R-CNN variant {variant!r}; known: {', '.join(VARIANTS)}")
    return VARIANTS[variant]


class DensePoseRCNN(nn.Module):
    """The network, with detectron2's module names (so ``state_dict`` keys equal the checkpoint's).

    ``variant`` is one of ``VARIANTS`` (for example ``"R_50_FPN_s1x"``, ``"R_101_FPN_DL_s1x"``).
    """

    def __init__(self, variant: Variant | str = "R_50_FPN_s1x") -> None:
        super().__init__()
        self.variant = _variant(variant)
        self.backbone = Backbone(self.variant.depth)
        self.proposal_generator = RPN()
        self.roi_heads = _RoiHeads(self.variant)

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> DensePoseRCNN:
        """Build the variant the file holds and load it.

        Raises:
            ModelLoadError: the file does not load or does not hold a DensePose R-CNN of the official zoo.
        """
        report, weights = check_checkpoint(path)
        return cls.from_weights(weights, report.variant, str(path))

    @classmethod
    def from_weights(cls, weights: dict[str, np.ndarray], variant: Variant | str, source: str = "weights") -> DensePoseRCNN:
        """Build and load from an in-memory detectron2 state dict (already checked)."""
        model = cls(variant)
        model.backbone.load_detectron2(weights)
        rest = {k: torch.from_numpy(v) for k, v in weights.items() if not k.startswith("backbone.")}
        missing, unexpected = model.load_state_dict(rest, strict=False)
        missing = [k for k in missing if not k.startswith("backbone.")]
        if missing or unexpected:
            raise ModelLoadError(f"{source}: keys do not fit the network (missing {missing[:3]}, unexpected {unexpected[:3]})")
        return model.eval()

    def forward(self, image_bgr: np.ndarray, min_score: float = 0.8, short_side: int = 800, max_detections: int = 100
                ) -> list[tuple[np.ndarray, float, np.ndarray, np.ndarray]]:  # fmt: skip
        """[(box xyxy in image pixels, score, labels (h, w), uv (2, h, w))] per detected person, best first."""
        return self.forward_batch([image_bgr], min_score, short_side, max_detections)[0]

    @torch.inference_mode()
    def forward_batch(self, images_bgr: list[np.ndarray], min_score: float = 0.8, short_side: int = 800,
                      max_detections: int = 100) -> list[list[tuple[np.ndarray, float, np.ndarray, np.ndarray]]]:  # fmt: skip
        """``forward`` for several images (frames of several streams) in one pass: one batched backbone, RPN
        head, box head and DensePose head; proposal and detection selection per image. Images may differ in
        size (each is padded to the batch's largest, as detectron2 batches them)."""
        if not images_bgr:
            return []
        device = next(self.parameters()).device
        inputs = [preprocess(image, device, short_side) for image in images_bgr]
        pad_h, pad_w = max(t.shape[2] for t, _, _ in inputs), max(t.shape[3] for t, _, _ in inputs)
        batch = torch.cat([F.pad(t, (0, pad_w - t.shape[3], 0, pad_h - t.shape[2])) for t, _, _ in inputs])
        heads = self.roi_heads
        box_head = heads._boxes[0]
        features = self.backbone(batch)
        rpn_outputs = self.proposal_generator.head_outputs(features)
        proposals = [self.proposal_generator.select(rpn_outputs, i, hw)[0] for i, (_, hw, _) in enumerate(inputs)]
        cls, deltas = box_head.logits(features, proposals)
        detections = []
        for i, ((_, hw, _), c, d) in enumerate(zip(inputs, cls.split([len(p) for p in proposals]),
                                                   deltas.split([len(p) for p in proposals]))):  # fmt: skip
            boxes, scores = box_head.select(c, d, proposals[i], hw)
            keep = (scores >= min_score).nonzero().flatten()[:max_detections]
            detections.append((boxes[keep], scores[keep]))
        results: list[list] = [[] for _ in images_bgr]
        if sum(len(b) for b, _ in detections) == 0:
            return results
        pooled = heads.densepose_features(features, [b for b, _ in detections])
        outputs = heads.densepose_predictor(heads.densepose_head(pooled))
        outputs = {k: v.float() for k, v in outputs.items()}
        first = 0
        for i, (image, (_, hw, _), (boxes, scores)) in enumerate(zip(images_bgr, inputs, detections)):
            oh, ow = image.shape[:2]
            scale = torch.tensor([ow / hw[1], oh / hw[0]] * 2, device=device)
            final = boxes.float() * scale
            final = torch.stack([final[:, 0].clamp(0, ow), final[:, 1].clamp(0, oh), final[:, 2].clamp(0, ow),
                                 final[:, 3].clamp(0, oh)], dim=1)  # fmt: skip
            valid = ((final[:, 2] > final[:, 0]) & (final[:, 3] > final[:, 1])).tolist()
            boxes_cpu, scores_cpu = final.cpu().numpy(), scores.float().cpu().numpy()
            for j in range(len(final)):
                if valid[j]:
                    labels, uv = to_chart_result(outputs, first + j, final[j])
                    results[i].append((boxes_cpu[j], float(scores_cpu[j]), labels.cpu().numpy(), uv.cpu().numpy()))
            first += len(final)
        return results


def _person(box: np.ndarray, score: float, labels: np.ndarray, uv: np.ndarray) -> Person:
    x0, y0 = int(box[0]), int(box[1])
    h, w = labels.shape
    part = labels.astype(np.uint8)
    iuv = PersonIUV((x0, y0, x0 + w, y0 + h), part, np.ascontiguousarray(uv.transpose(1, 2, 0), np.float32))
    mask = BoxRaster((x0, y0, x0 + w, y0 + h), (part > 0).astype(np.float32))
    return Person(box_xyxy=box.astype(np.float32), score=float(np.clip(score, 0, 1)), mask=mask, iuv=iuv,
                  proposal="densepose_rcnn")  # fmt: skip


@dataclass(frozen=True, slots=True)
class DensePoseOptions:
    """Attributes:
    weights: a DensePose R-CNN checkpoint (``arsdk weights list``).
    device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
    min_score: person score a detection needs (``apply_net``'s default is 0.8).
    precision: ``fp32``, or ``fp16`` / ``bf16`` autocast (CUDA only).
    short_side: input resize, pixels of the short side (detectron2's ``INPUT.MIN_SIZE_TEST``, 800 in the
        official configs; smaller is faster and less accurate).
    max_detections: most people per frame (detectron2's ``TEST.DETECTIONS_PER_IMAGE``, 100).
    """

    weights: Path
    device: str = "auto"
    min_score: float = 0.8
    precision: str = "fp16"
    short_side: int = 800
    max_detections: int = 100

    def __post_init__(self) -> None:
        if not 32 <= self.short_side <= 2048:
            raise ConfigError(f"short_side must be in [32, 2048] pixels, got {self.short_side}")
        if not 1 <= self.max_detections <= 100:
            raise ConfigError(f"max_detections must be in [1, 100], got {self.max_detections}")
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
        return self.infer_batch([frame])[0]

    def infer_batch(self, frames: list[Frame]) -> list[tuple[Person, ...]]:
        """``infer`` for several frames (say one per stream) in one batched pass of the network."""
        o = self.options
        autocast = self.device.type == "cuda" and o.precision != "fp32"
        dtype = torch.float16 if o.precision == "fp16" else torch.bfloat16
        with torch.autocast("cuda", dtype=dtype, enabled=autocast):
            batch = self.model.forward_batch([f.image_bgr for f in frames], o.min_score, o.short_side, o.max_detections)
        return [tuple(_person(*detection) for detection in detections) for detections in batch]

    def close(self) -> None:
        """Nothing to release beyond memory."""

    def __enter__(self) -> DensePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
