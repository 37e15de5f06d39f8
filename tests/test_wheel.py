"""The built wheel carries everything arsdk needs at run time and works installed outside the repository."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import cv2
import numpy as np
import pytest

from tests.conftest import REPO, data_file

_CARRIED = ("arsdk/shaders/mesh.vert", "arsdk/shaders/mesh.frag", "arsdk/data/vtest_sample.avi",
            "arsdk/data/body/body_model.npz", "arsdk/transport/web/index.html", "arsdk/data/atlases/costume.png")  # fmt: skip


def _source_tree(target):
    """The repository's tracked and new files (not its build products) copied to ``target``."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split("\n")  # fmt: skip
    for name in filter(None, listed):
        source = REPO / name
        if not (source.exists() or source.is_symlink()) or not (name.startswith("arsdk/") or name in ("pyproject.toml", "README.md")):
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name, follow_symlinks=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python of a fresh environment with the wheel installed, the wheel's file names)."""
    root = tmp_path_factory.mktemp("wheel")
    _source_tree(root / "src")
    dist = root / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(root / "src"), "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(dist)], check=True, timeout=600)  # fmt: skip
    wheel = next(dist.glob("arsdk-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    # the dependencies already installed here are reused (nothing is downloaded); arsdk itself comes from the wheel
    (venv / site.split(str(venv) + "/", 1)[1] / "_arsdk_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", site, str(wheel)],
                   check=True, timeout=300)  # fmt: skip
    return python, names, root


def test_the_wheel_carries_shaders_atlases_sample_clip_web_page_and_body(installed):
    _, names, _ = installed
    missing = [n for n in _CARRIED if n not in names]
    assert not missing


def test_the_installed_wheel_reports_itself_and_renders_with_its_own_shaders(installed, tmp_path):
    python, _, root = installed
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYOPENGL_PLATFORM"] = "egl"
    where = subprocess.run([str(python), "-c", "import arsdk; print(arsdk.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert where.startswith(str(root / "venv")), where
    info = subprocess.run([str(python), "-m", "arsdk", "info", "--json"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert info.returncode == 0, info.stderr
    report = json.loads(info.stdout)
    assert report["shaders"].startswith(str(root / "venv"))
    assert report["models"]["body"]["vertices"] == 13718
    out = tmp_path / "avatar.png"
    run = subprocess.run([str(python), "-m", "arsdk", "-v", "run", str(data_file("messi5.jpg")), "--effect", "avatar",
                          "-o", str(out)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "shaders are missing" not in run.stderr
    image, original = cv2.imread(str(out)), cv2.imread(str(data_file("messi5.jpg")))
    assert image.shape == original.shape and np.abs(image.astype(int) - original).mean() > 5, "the avatar was drawn"
