"""The state-dict keys and shapes of each DensePose R-CNN variant, generated from the architecture
(``../shared/DENSEPOSE.md`` section 3), and the detection of a checkpoint's variant from its keys."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ModelLoadError

__all__ = ["Variant", "VARIANTS", "expected_shapes", "detect_variant", "IGNORABLE_KEYS"]

IGNORABLE_KEYS = ("pixel_mean", "pixel_std", "proposal_generator.anchor_generator.cell_anchors")
"""Non-persistent buffers some older checkpoints carry; detectron2 skips them, so does arsdk (naming them)."""


@dataclass(frozen=True, slots=True)
class Variant:
    """A DensePose R-CNN architecture: backbone depth, head, legacy coarse head, decoder."""

    name: str
    depth: int  # 50 or 101
    head: str  # "v1convx" or "deeplab"
    legacy: bool  # 15-channel coarse head, no decoder, 14x14 pooler

    @property
    def decoder(self) -> bool:
        """The Panoptic-FPN-style decoder (all but the legacy models)."""
        return not self.legacy


VARIANTS = {
    "R_50_FPN_s1x": Variant("R_50_FPN_s1x", 50, "v1convx", False),
    "R_101_FPN_s1x": Variant("R_101_FPN_s1x", 101, "v1convx", False),
    "R_50_FPN_DL_s1x": Variant("R_50_FPN_DL_s1x", 50, "deeplab", False),
    "R_101_FPN_DL_s1x": Variant("R_101_FPN_DL_s1x", 101, "deeplab", False),
    "R_50_FPN_s1x_legacy": Variant("R_50_FPN_s1x_legacy", 50, "v1convx", True),
    "R_101_FPN_s1x_legacy": Variant("R_101_FPN_s1x_legacy", 101, "v1convx", True),
}


def _frozen_bn(prefix: str, channels: int) -> dict[str, tuple[int, ...]]:
    return {f"{prefix}.norm.{k}": (channels,) for k in ("weight", "bias", "running_mean", "running_var")}


def expected_shapes(variant: Variant) -> dict[str, tuple[int, ...]]:
    """Every key of the variant's state dict with its shape."""
    keys: dict[str, tuple[int, ...]] = {}
    bottom = "backbone.bottom_up"
    keys[f"{bottom}.stem.conv1.weight"] = (64, 3, 7, 7)
    keys.update(_frozen_bn(f"{bottom}.stem.conv1", 64))
    blocks = (3, 4, 6, 3) if variant.depth == 50 else (3, 4, 23, 3)
    in_channels = 64
    for stage, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512)), start=2):
        out_channels = width * 4
        for i in range(count):
            prefix = f"{bottom}.res{stage}.{i}"
            cin = in_channels if i == 0 else out_channels
            if i == 0:
                keys[f"{prefix}.shortcut.weight"] = (out_channels, in_channels, 1, 1)
                keys.update(_frozen_bn(f"{prefix}.shortcut", out_channels))
            for conv, shape in (("conv1", (width, cin, 1, 1)), ("conv2", (width, width, 3, 3)), ("conv3", (out_channels, width, 1, 1))):
                keys[f"{prefix}.{conv}.weight"] = shape
                keys.update(_frozen_bn(f"{prefix}.{conv}", shape[0]))
        in_channels = out_channels
    for level, channels in zip((2, 3, 4, 5), (256, 512, 1024, 2048)):
        keys[f"backbone.fpn_lateral{level}.weight"] = (256, channels, 1, 1)
        keys[f"backbone.fpn_lateral{level}.bias"] = (256,)
        keys[f"backbone.fpn_output{level}.weight"] = (256, 256, 3, 3)
        keys[f"backbone.fpn_output{level}.bias"] = (256,)
    rpn = "proposal_generator.rpn_head"
    keys.update({f"{rpn}.conv.weight": (256, 256, 3, 3), f"{rpn}.conv.bias": (256,),
                 f"{rpn}.objectness_logits.weight": (3, 256, 1, 1), f"{rpn}.objectness_logits.bias": (3,),
                 f"{rpn}.anchor_deltas.weight": (12, 256, 1, 1), f"{rpn}.anchor_deltas.bias": (12,)})  # fmt: skip
    keys.update({"roi_heads.box_head.fc1.weight": (1024, 12544), "roi_heads.box_head.fc1.bias": (1024,),
                 "roi_heads.box_head.fc2.weight": (1024, 1024), "roi_heads.box_head.fc2.bias": (1024,),
                 "roi_heads.box_predictor.cls_score.weight": (2, 1024), "roi_heads.box_predictor.cls_score.bias": (2,),
                 "roi_heads.box_predictor.bbox_pred.weight": (4, 1024), "roi_heads.box_predictor.bbox_pred.bias": (4,)})  # fmt: skip
    if variant.decoder:
        for name in ("p2.0", "p3.0", "p4.0", "p4.2", "p5.0", "p5.2", "p5.4"):
            keys[f"roi_heads.decoder.{name}.weight"] = (256, 256, 3, 3)
            keys[f"roi_heads.decoder.{name}.bias"] = (256,)
        keys["roi_heads.decoder.predictor.weight"] = (256, 256, 1, 1)
        keys["roi_heads.decoder.predictor.bias"] = (256,)
    head = "roi_heads.densepose_head"
    if variant.head == "v1convx":
        for k in range(1, 9):
            keys[f"{head}.body_conv_fcn{k}.weight"] = (512, 256 if k == 1 else 512, 3, 3)
            keys[f"{head}.body_conv_fcn{k}.bias"] = (512,)
    else:
        for i in range(4):
            keys[f"{head}.ASPP.convs.{i}.0.weight"] = (256, 256, 1, 1) if i == 0 else (256, 256, 3, 3)
            keys[f"{head}.ASPP.convs.{i}.1.weight"] = (256,)
            keys[f"{head}.ASPP.convs.{i}.1.bias"] = (256,)
        keys[f"{head}.ASPP.convs.4.1.weight"] = (256, 256, 1, 1)
        keys[f"{head}.ASPP.convs.4.2.weight"] = (256,)
        keys[f"{head}.ASPP.convs.4.2.bias"] = (256,)
        keys[f"{head}.ASPP.project.0.weight"] = (256, 1280, 1, 1)
        for k in range(1, 9):
            keys[f"{head}.body_conv_fcn{k}.weight"] = (512, 256 if k == 1 else 512, 3, 3)
            keys[f"{head}.body_conv_fcn{k}.norm.weight"] = (512,)
            keys[f"{head}.body_conv_fcn{k}.norm.bias"] = (512,)
    predictor = "roi_heads.densepose_predictor"
    keys[f"{predictor}.ann_index_lowres.weight"] = (512, 15 if variant.legacy else 2, 4, 4)
    keys[f"{predictor}.ann_index_lowres.bias"] = (15 if variant.legacy else 2,)
    for name in ("index_uv_lowres", "u_lowres", "v_lowres"):
        keys[f"{predictor}.{name}.weight"] = (512, 25, 4, 4)
        keys[f"{predictor}.{name}.bias"] = (25,)
    return keys


def detect_variant(shapes: dict[str, tuple[int, ...]]) -> Variant:
    """Which variant a checkpoint is, from its keys and shapes.

    Raises:
        ModelLoadError: a Caffe2-era (DensePose 1) file, a model without DensePose head, an unknown layout.
    """
    names = set(shapes)
    if any(n.startswith(("conv1_w", "res2_0_branch", "body_uv_", "AnnIndex_lowres")) for n in names):
        raise ModelLoadError(
            "this looks like a Caffe2-era DensePose (facebookresearch/DensePose) checkpoint (keys such as "
            "'res2_0_branch2a_w'); those are not loadable into detectron2's models. Use a detectron2 model-zoo "
            "checkpoint instead: 'arsdk weights list'"
        )
    coarse = shapes.get("roi_heads.densepose_predictor.ann_index_lowres.weight")
    if coarse is None:
        sample = ", ".join(sorted(names)[:3])
        raise ModelLoadError(
            f"no DensePose predictor in this checkpoint (no 'roi_heads.densepose_predictor.ann_index_lowres.weight'; "
            f"keys start {sample}...): is it a plain Mask R-CNN / keypoint model? See 'arsdk weights list'"
        )
    blocks = len({n.split(".")[3] for n in names if n.startswith("backbone.bottom_up.res4.")})
    depth = {6: 50, 23: 101}.get(blocks)
    if depth is None:
        raise ModelLoadError(f"backbone with {blocks} res4 blocks: neither ResNet-50 (6) nor ResNet-101 (23)")
    deeplab = any(".ASPP." in n for n in names)
    has_decoder = any(n.startswith("roi_heads.decoder.") for n in names)
    legacy = coarse[1] == 15
    if legacy and has_decoder or (not legacy and not has_decoder):
        raise ModelLoadError(
            f"inconsistent DensePose head: coarse segmentation with {coarse[1]} channels "
            f"{'with' if has_decoder else 'without'} a decoder; official models have 2 channels with a decoder or "
            "15 (legacy) without"
        )
    name = f"R_{depth}_FPN_{'DL_' if deeplab else ''}s1x{'_legacy' if legacy else ''}"
    if name not in VARIANTS:
        raise ModelLoadError(f"unsupported DensePose variant {name}")
    return VARIANTS[name]
