"""Parity of arsdk's DensePose R-CNN with detectron2's own outputs, stage by stage (messi5.jpg, the seeded
checkpoint of ../shared/densepose_ref/make_ckpt.py), on the CPU; the pipeline with the learned estimator."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from arsdk.densepose_rcnn import check_checkpoint
from arsdk.densepose_rcnn.backbone import preprocess
from arsdk.densepose_rcnn.densepose_head import pool_densepose
from arsdk.device import select_device

REF = Path(__file__).resolve().parent.parent.parent / "shared" / "densepose_ref"
DATA = REF.parent / "data"


@pytest.fixture(scope="module")
def reference():
    return json.loads((REF / "messi5_reference_intermediates.json").read_text())


@pytest.fixture(scope="module")
def weights(densepose_checkpoint):
    _, state = check_checkpoint(densepose_checkpoint, expected="R_50_FPN_s1x")
    return state


def _compare(tensor, stats, rel=1e-3):
    array = tensor.detach().cpu().double().numpy()
    assert list(array.shape) == stats["shape"]
    assert array.sum() == pytest.approx(stats["sum"], rel=rel, abs=1e-3 * stats["abs_sum"] / array.size)
    assert np.abs(array).sum() == pytest.approx(stats["abs_sum"], rel=rel)
    samples = stats["samples"]
    got = np.array([array[tuple(i)] for i in samples["index"]])
    np.testing.assert_allclose(got, samples["value"], rtol=rel, atol=1e-3 * max(1.0, np.abs(samples["value"]).max()))


def test_preprocessing_matches_detectron2(reference):
    image = cv2.imread(str(DATA / "messi5.jpg"))
    tensor, resized_hw, _ = preprocess(image, select_device("cpu"))
    assert list(resized_hw) == reference["image_size_resized_hw"]
    assert list(tensor.shape) == reference["padded_tensor_shape"]
    _compare(tensor, reference["input_tensor"], rel=1e-6)


@pytest.fixture(scope="module")
def stages(weights):
    """One pass of the real network over messi5.jpg, every stage's output kept for the parity tests."""
    from arsdk.densepose_rcnn.model import DensePoseRCNN

    model = DensePoseRCNN.from_weights(weights, "R_50_FPN_s1x")
    heads = model.roi_heads
    image = cv2.imread(str(DATA / "messi5.jpg"))
    tensor, resized_hw, _ = preprocess(image, select_device("cpu"))
    out = {"image": image, "resized_hw": resized_hw}
    with torch.inference_mode():
        out["features"] = features = model.backbone(tensor)
        out["proposals"], out["logits"] = model.proposal_generator(features, resized_hw)
        out["cls"], out["deltas"] = heads._boxes[0].logits(features, out["proposals"])
        out["boxes"], out["scores"] = heads._boxes[0](features, out["proposals"], resized_hw)
        out["decoded"] = heads.decoder(features)
        out["pooled"] = pool_densepose(out["decoded"], out["boxes"])
        out["body"] = heads.densepose_head(out["pooled"])
        out["outputs"] = heads.densepose_predictor(out["body"])
    return out


def test_resnet_fpn_features_match_detectron2(reference, stages):
    for level in ("p2", "p3", "p4", "p5", "p6"):
        _compare(stages["features"][level], reference["fpn"][level])


def test_rpn_proposals_match_detectron2(reference, stages):
    proposals, logits = stages["proposals"], stages["logits"]
    assert len(proposals) == reference["num_proposals"]
    np.testing.assert_allclose(proposals[:10].numpy(), reference["first10_proposals_xyxy"], rtol=1e-3, atol=1e-2)
    np.testing.assert_allclose(logits[:10].numpy(), reference["first10_objectness_logits"], rtol=1e-3, atol=1e-4)
    # The whole list: CPU kernels differ in the last bits between machines, which can reorder proposals whose
    # objectness nearly ties and tip NMS for a few overlapping ones; so every reference proposal must have a
    # twin (same box and logit) in ours, for all but 1% of them.
    ref = np.load(REF / "messi5_reference.npz", allow_pickle=False)
    ours_boxes, ours_logits = proposals.numpy(), logits.numpy()
    ref_boxes, ref_logits = ref["proposals_xyxy_resized"], ref["proposals_objectness_logits"]
    distance = np.abs(ref_boxes[:, None, :] - ours_boxes[None, :, :]).max(axis=2)
    twin = distance.argmin(axis=1)
    matched = (distance.min(axis=1) <= 5e-2 + 1e-3 * np.abs(ref_boxes).max(axis=1)) & (
        np.abs(ours_logits[twin] - ref_logits) <= 1e-3 + 1e-3 * np.abs(ref_logits))
    assert matched.mean() >= 0.99, f"{matched.sum()} of {len(matched)} reference proposals have a twin"


def test_box_head_detections_match_detectron2(reference, stages):
    cls, deltas, boxes, scores = stages["cls"], stages["deltas"], stages["boxes"], stages["scores"]
    stats = reference["box_predictor_logits"]
    assert float(cls.double().sum()) == pytest.approx(stats["cls"]["sum"], rel=1e-3)
    assert float(deltas.double().abs().sum()) == pytest.approx(stats["deltas"]["abs_sum"], rel=1e-3)
    assert len(boxes) == reference["pre_postprocess_num_det"]
    np.testing.assert_allclose(boxes[:10].numpy(), reference["pre_postprocess_boxes_first10_resized_coords"], rtol=1e-3, atol=2e-2)
    ref = np.load(REF / "messi5_reference.npz", allow_pickle=False)
    np.testing.assert_allclose(scores.numpy(), ref["scores"], rtol=1e-3, atol=1e-4)


def test_densepose_iuv_per_box_matches_detectron2(reference, stages):
    from arsdk.densepose_rcnn.densepose_head import to_chart_result

    _compare(stages["decoded"], reference["decoder_out"])
    for name, key in (("densepose_pooled", "pooled"), ("densepose_head_out", "body")):
        stats, tensor_out = reference[name], stages[key]
        assert list(tensor_out.shape) == stats["shape"]
        assert float(tensor_out.double().abs().sum()) == pytest.approx(stats["abs_sum"], rel=1e-3)
    ref = np.load(REF / "messi5_reference.npz", allow_pickle=False)
    image, resized_hw, boxes, outputs = stages["image"], stages["resized_hw"], stages["boxes"], stages["outputs"]
    oh, ow = image.shape[:2]
    scale = torch.tensor([ow / resized_hw[1], oh / resized_hw[0]] * 2)
    final = boxes * scale
    final = torch.stack([final[:, 0].clamp(0, ow), final[:, 1].clamp(0, oh), final[:, 2].clamp(0, ow), final[:, 3].clamp(0, oh)], 1)
    np.testing.assert_allclose(final.numpy(), ref["boxes_xyxy"], rtol=1e-3, atol=2e-2)
    label_agreement, uv_errors = [], []
    for i in range(len(final)):
        labels, uv = to_chart_result(outputs, i, final[i])
        expected_labels, expected_uv = ref[f"dp_labels_{i}"], ref[f"dp_uv_{i}"]
        assert labels.shape == expected_labels.shape
        label_agreement.append((labels.numpy() == expected_labels).mean())
        uv_errors.append(np.abs(uv.numpy() - expected_uv).mean())
    assert min(label_agreement) >= 0.995 and max(uv_errors) < 0.01


@pytest.fixture(scope="module")
def checkpoint_path(densepose_checkpoint):
    return densepose_checkpoint


def test_pipeline_runs_with_the_densepose_estimator(checkpoint_path, tmp_path):
    from arsdk.cli import main

    out = tmp_path / "dump"
    code = main(["dump", str(DATA / "messi5.jpg"), "--out", str(out), "--estimator", "densepose",
                 "--weights", str(checkpoint_path), "--device", "cpu", "--min-score", "0.05"])  # fmt: skip
    assert code == 0
    doc = json.loads((out / "000000.json").read_text())
    assert len(doc["persons"]) == 30  # random weights: --max-persons (30 on a still image) detections, well-formed
    iuv = cv2.imread(str(out / "000000_iuv.png"), cv2.IMREAD_UNCHANGED)
    inds = cv2.imread(str(out / "000000_inds.png"), cv2.IMREAD_UNCHANGED)
    assert iuv.shape == (342, 548, 3) and inds.shape == (342, 548) and iuv[..., 0].max() <= 24
    assert ((iuv[..., 0] > 0) == (inds > 0)).all()
    for person in doc["persons"]:
        assert person["proposal"] == "densepose_rcnn" and person["landmarks"] is None
        assert person["iuv"]["pixels"] == sum(person["iuv"]["part_pixels"].values())


def test_densepose_estimator_needs_weights(capsys):
    from arsdk.cli import main

    assert main(["dump", str(DATA / "messi5.jpg"), "--out", "/tmp/x", "--estimator", "densepose"]) == 2
    assert "needs --weights" in capsys.readouterr().err


@pytest.mark.gpu
def test_fp16_autocast_matches_fp32_on_cuda(checkpoint_path):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    from arsdk.densepose_rcnn.model import DensePoseEstimator, DensePoseOptions
    from arsdk import Frame

    image = cv2.imread(str(DATA / "messi5.jpg"))
    frame = Frame(image, 0, 0.0)
    fp32 = DensePoseEstimator(DensePoseOptions(checkpoint_path, "cuda", 0.05, "fp32")).infer(frame)
    fp16 = DensePoseEstimator(DensePoseOptions(checkpoint_path, "cuda", 0.05, "fp16")).infer(frame)
    assert len(fp16) == len(fp32)
    np.testing.assert_allclose([p.box_xyxy for p in fp16[:10]], [p.box_xyxy for p in fp32[:10]], atol=2.0)
    agree = np.mean([(a.iuv.part_index == b.iuv.part_index).mean() for a, b in zip(fp16[:10], fp32[:10])
                     if a.iuv.part_index.shape == b.iuv.part_index.shape])  # fmt: skip
    assert agree > 0.95


_DEEPER = pytest.mark.slow  # the ResNet-101 variants differ from their ResNet-50 twins in depth only
@pytest.mark.parametrize("variant", ["R_50_FPN_s1x", pytest.param("R_101_FPN_s1x", marks=_DEEPER), "R_50_FPN_DL_s1x",
                                     pytest.param("R_101_FPN_DL_s1x", marks=_DEEPER), "R_50_FPN_s1x_legacy",
                                     pytest.param("R_101_FPN_s1x_legacy", marks=_DEEPER)])  # fmt: skip
def test_each_variant_with_seeded_weights_reloads_to_identical_outputs(variant, tmp_path):
    """Seeded random weights with the document's keys and shapes written as a detectron2 .pkl (by the reference
    generator), reloaded through the public loader: the variant is recognised and gives identical outputs to
    the model built from the same weights in memory."""
    import pickle
    import subprocess
    import sys

    from arsdk.densepose_rcnn import VARIANTS, expected_shapes
    from arsdk.densepose_rcnn.model import DensePoseRCNN

    keys = tmp_path / "keys.txt"
    keys.write_text("".join(f"{k} [{','.join(map(str, s))}]\n" for k, s in expected_shapes(VARIANTS[variant]).items()))
    path = tmp_path / f"{variant}.pkl"
    subprocess.run([sys.executable, str(REF / "make_ckpt.py"), str(keys), str(path)], check=True, capture_output=True, timeout=600)
    with open(path, "rb") as handle:
        in_memory = pickle.load(handle, encoding="latin1")["model"]  # our own file: plain pickle for the comparison
    assert set(in_memory) == set(expected_shapes(VARIANTS[variant]))
    loaded = DensePoseRCNN.from_checkpoint(path)
    assert loaded.variant.name == variant
    direct = DensePoseRCNN.from_weights(in_memory, variant)
    assert set(direct.state_dict()) >= set(in_memory) - {k for k in in_memory if k.startswith("backbone.")}
    image = cv2.imread(str(DATA / "messi5.jpg"))
    a = loaded(image, min_score=0.0, short_side=224, max_detections=3)
    b = direct(image, min_score=0.0, short_side=224, max_detections=3)
    assert len(a) == len(b) > 0
    for (box_a, score_a, labels_a, uv_a), (box_b, score_b, labels_b, uv_b) in zip(a, b):
        np.testing.assert_array_equal(box_a, box_b)
        assert score_a == score_b
        np.testing.assert_array_equal(labels_a, labels_b)
        np.testing.assert_array_equal(uv_a, uv_b)
        assert labels_a.max() <= 24 and uv_a.shape == (2,) + labels_a.shape


def test_a_batch_of_frames_gives_each_frame_s_own_results(weights):
    """forward_batch over two same-size frames (as from two streams) equals two single passes; frames of
    different sizes are padded to the largest and each still gets well-formed results of its own."""
    from arsdk.densepose_rcnn.model import DensePoseRCNN

    model = DensePoseRCNN.from_weights(weights, "R_50_FPN_s1x")
    messi = cv2.imread(str(DATA / "messi5.jpg"))
    mirrored = np.ascontiguousarray(messi[:, ::-1])
    kwargs = dict(min_score=0.05, short_side=320, max_detections=5)
    batch = model.forward_batch([messi, mirrored], **kwargs)
    singles = [model(messi, **kwargs), model(mirrored, **kwargs)]
    assert len(batch) == 2
    for got, want in zip(batch, singles):
        assert len(got) == len(want) > 0
        for (box_a, score_a, labels_a, uv_a), (box_b, score_b, labels_b, uv_b) in zip(got, want):
            np.testing.assert_allclose(box_a, box_b, atol=1e-3)
            assert score_a == pytest.approx(score_b, abs=1e-4)
            assert (labels_a == labels_b).mean() > 0.999
            np.testing.assert_allclose(uv_a, uv_b, atol=1e-3)
    assert not np.array_equal(batch[0][0][0], batch[1][0][0])  # each frame its own boxes
    small = cv2.resize(messi, (200, 120))
    mixed = model.forward_batch([small, messi], **kwargs)
    for image, detections in zip([small, messi], mixed):
        assert detections
        for box, _, labels, uv in detections:
            assert 0 <= box[0] < box[2] <= image.shape[1] and 0 <= box[1] < box[3] <= image.shape[0]
            assert uv.shape == (2,) + labels.shape
    assert model.forward_batch([]) == []
