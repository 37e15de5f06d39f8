"""Every example runs on real footage and writes its output."""

import os
import subprocess
import sys

import cv2
import pytest

from tests.conftest import REPO, data_file

EXAMPLES = REPO / "examples"


def _run(script, *args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=str(EXAMPLES))  # fmt: skip


@pytest.mark.parametrize("script", ["live_webcam_demo.py", "body_swap.py", "label_overlay.py"])
def test_example_writes_its_video(script, tmp_path, sample_clip):
    out = tmp_path / "out.mp4"
    proc = _run(script, "--source", str(sample_clip), "--output", str(out), "--max-frames", "6")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    assert "written to" in proc.stdout


def test_body_swap_with_a_reference_person(tmp_path, sample_clip):
    out = tmp_path / "ref.mp4"
    proc = _run("body_swap.py", "--source", str(sample_clip), "--reference", str(data_file("messi5.jpg")),
                "--output", str(out), "--max-frames", "3")  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT)) == 3


def test_example_with_a_missing_source_says_so(tmp_path):
    proc = _run("label_overlay.py", "--source", str(tmp_path / "nope.mp4"), "--output", str(tmp_path / "o.mp4"))
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr
