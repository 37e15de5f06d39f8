"""DensePose R-CNN checkpoints: key layout, the reference checkpoint, hostile files."""

import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from arsdk import ModelLoadError
from arsdk.cli import main
from arsdk.densepose_rcnn import VARIANTS, check_checkpoint, detect_variant, expected_shapes, load_state_dict

REF = Path(__file__).resolve().parent.parent.parent / "shared" / "densepose_ref"


def _reference_keys():
    keys = {}
    for line in (REF / "keys_R_50_FPN_s1x.txt").read_text().splitlines():
        m = re.match(r"^(\S+)\s+\[([0-9,\s]*)\]", line.strip())
        if m:
            keys[m.group(1)] = tuple(int(d) for d in m.group(2).split(",") if d)
    return keys


def test_generated_keys_match_detectron2s_list():
    reference = _reference_keys()
    assert len(reference) == 335
    assert expected_shapes(VARIANTS["R_50_FPN_s1x"]) == reference


@pytest.mark.parametrize(("name", "count"), [("R_50_FPN_s1x", 335), ("R_50_FPN_s1x_legacy", 319), ("R_50_FPN_DL_s1x", 359)])
def test_key_counts_per_variant_match_the_document(name, count):
    assert len(expected_shapes(VARIANTS[name])) == count


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_variant_is_recognised_from_its_keys(name):
    assert detect_variant(expected_shapes(VARIANTS[name])).name == name


@pytest.fixture(scope="module")
def reference_checkpoint(densepose_checkpoint):
    """detectron2-format .pkl from ../shared/densepose_ref/make_ckpt.py, written to a temporary folder."""
    return densepose_checkpoint


def test_the_reference_checkpoint_loads_and_is_recognised(reference_checkpoint, capsys):
    report, weights = check_checkpoint(reference_checkpoint, expected="R_50_FPN_s1x")
    assert report.variant.name == "R_50_FPN_s1x" and len(weights) == 335
    with open(reference_checkpoint, "rb") as handle:
        raw = pickle.load(handle, encoding="latin1")["model"]  # our own trusted file: plain pickle to compare
    for name in ("backbone.bottom_up.stem.conv1.weight", "roi_heads.densepose_predictor.u_lowres.bias"):
        np.testing.assert_array_equal(weights[name], raw[name])
    assert main(["weights", "check", str(reference_checkpoint)]) == 0
    assert "R_50_FPN_s1x" in capsys.readouterr().out


def _write_pkl(path, model):
    with open(path, "wb") as handle:
        pickle.dump({"model": model, "__author__": "test"}, handle, protocol=2)
    return path


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = _write_pkl(tmp_path / "evil.pkl", {"x": _Exploit(marker)})
    with pytest.raises(ModelLoadError, match=r"refusing to load: the file asks to import (posix|os)\.system"):
        load_state_dict(path)
    assert not marker.exists()


def test_truncated_checkpoint(tmp_path):
    whole = _write_pkl(tmp_path / "whole.pkl", {"a.weight": np.ones((64, 64), np.float32)})
    cut = tmp_path / "cut.pkl"
    cut.write_bytes(whole.read_bytes()[:5000])
    with pytest.raises(ModelLoadError, match="truncated or damaged"):
        load_state_dict(cut)


def test_wrong_shapes_are_named(tmp_path):
    model = {k: np.zeros(s, np.float32) for k, s in expected_shapes(VARIANTS["R_50_FPN_s1x"]).items() if "res" not in k}
    for k, s in expected_shapes(VARIANTS["R_50_FPN_s1x"]).items():
        if "res" in k:
            model[k] = np.zeros((1,) * len(s), np.float32) if k.endswith("res4.0.conv2.weight") else np.zeros(s, np.float32)
    path = _write_pkl(tmp_path / "shapes.pkl", model)
    with pytest.raises(ModelLoadError, match=r"wrong shapes: backbone.bottom_up.res4.0.conv2.weight \(1, 1, 1, 1\) instead of \(256, 256, 3, 3\)"):
        check_checkpoint(path)


def test_a_legacy_checkpoint_for_a_non_legacy_model_says_which_it_is(tmp_path):
    shapes = expected_shapes(VARIANTS["R_50_FPN_s1x_legacy"])
    path = _write_pkl(tmp_path / "legacy.pkl", {k: np.zeros(s, np.float32) for k, s in shapes.items()})
    with pytest.raises(ModelLoadError, match="is a R_50_FPN_s1x_legacy checkpoint, not R_50_FPN_s1x"):
        check_checkpoint(path, expected="R_50_FPN_s1x")


def test_caffe2_era_densepose_file_is_explained(tmp_path):
    path = _write_pkl(tmp_path / "dp1.pkl", {"conv1_w": np.zeros((64, 3, 7, 7), np.float32),
                                             "res2_0_branch2a_w": np.zeros((64, 64, 1, 1), np.float32)})  # fmt: skip
    with pytest.raises(ModelLoadError, match="Caffe2-era DensePose"):
        check_checkpoint(path)


def test_pth_state_dicts_load_and_pth_with_objects_are_refused(tmp_path):
    good = tmp_path / "w.pth"
    torch.save({"model": {"a.weight": torch.ones(2, 3)}}, good)
    assert load_state_dict(good)["a.weight"].shape == (2, 3)
    bad = tmp_path / "obj.pth"
    torch.save({"model": _Exploit(tmp_path / "pwned2")}, bad)
    with pytest.raises(ModelLoadError, match="not a plain PyTorch state dict"):
        load_state_dict(bad)
    assert not (tmp_path / "pwned2").exists()


def test_weights_check_cli_reports_bad_files_with_exit_2(tmp_path, capsys):
    path = tmp_path / "nope.pkl"
    assert main(["weights", "check", str(path)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["weights", "list"]) == 0
    assert "model_final_162be9.pkl" in capsys.readouterr().out


def test_a_confidence_wc_model_is_refused_naming_its_extra_layers(tmp_path):
    model = {k: np.zeros(s, np.float32) for k, s in expected_shapes(VARIANTS["R_50_FPN_DL_s1x"]).items()}
    model["roi_heads.densepose_predictor.sigma_2_lowres.weight"] = np.zeros((512, 25, 4, 4), np.float32)
    model["roi_heads.densepose_predictor.sigma_2_lowres.bias"] = np.zeros((25,), np.float32)
    path = _write_pkl(tmp_path / "wc1.pkl", model)
    with pytest.raises(ModelLoadError, match=r"does not match R_50_FPN_DL_s1x: 2 unexpected keys .*sigma_2_lowres.*WC"):
        check_checkpoint(path)
