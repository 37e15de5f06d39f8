"""The 3D avatar renders through EGL (pyrender, Mesa's software rasterizer here) and fits the person."""

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from arsdk import ConfigError, Frame
from arsdk.compositor import AvatarEffect, build_body_mesh, fit_orthographic, load_atlas
from tests.conftest import REPO
from tests.golden_cases import persons_of


@pytest.fixture(scope="module")
def messi():
    return persons_of("messi5.jpg")


def test_avatar_silhouette_overlaps_the_persons_mask(messi):
    image, persons = messi
    with AvatarEffect(view="side") as avatar:
        out = avatar.apply(image, Frame(image, 0, 0.0), persons)
        silhouette = avatar.last_silhouette
        view = avatar.last_view_bgr
    mask = persons[0].mask.to_full((image.shape[1], image.shape[0])) >= 0.5
    iou = (mask & silhouette).sum() / (mask | silhouette).sum()
    assert iou >= 0.75, f"IoU {iou:.3f}"  # the fitted body (the capsule body it replaced: 0.63)
    assert np.any(out[silhouette] != image[silhouette])
    assert view.shape == (480, 480, 3) and (view.sum(axis=2) > 0).mean() > 0.02, "the free view shows the body"


def test_avatar_carries_the_atlas_on_the_right_parts(messi):
    image, persons = messi
    mesh = build_body_mesh(persons[0])
    assert mesh.vertices.shape[0] == mesh.uv_atlas.shape[0] == mesh.part.shape[0]
    assert set(np.unique(mesh.part)) == set(range(1, 25))
    assert (mesh.uv_atlas >= 0).all() and (mesh.uv_atlas <= 1).all()
    with AvatarEffect(load_atlas("costume"), view="front") as avatar:
        out = avatar.apply(image, Frame(image, 0, 0.0), persons)
    scale, offset = fit_orthographic(persons[0])
    chest = np.round(scale * persons[0].world_landmarks.xyz_m[[11, 12, 23, 24], :2].mean(0) + offset).astype(int)
    b, g, r = out[chest[1] - 3 : chest[1] + 3, chest[0] - 3 : chest[0] + 3].reshape(-1, 3).mean(0)
    assert max(b, g, r) > 60 and not (abs(b - g) < 10 and abs(g - r) < 10), "the costume's chest is coloured"


def test_avatar_renders_with_arsdks_own_shaders(messi):
    image, persons = messi
    with AvatarEffect(view="front") as avatar:
        avatar.apply(image, Frame(image, 0, 0.0), persons)
        cache = avatar._gl._renderer._program_cache
        assert Path(cache.shader_dir) == REPO / "arsdk" / "shaders" == (REPO / "shaders").resolve()
        programs = list(cache._program_cache.values())
        assert programs and all(Path(p.vertex_shader).parent == REPO / "arsdk" / "shaders" for p in programs)


def test_avatar_effect_from_the_command_line(tmp_path, sample_clip):
    from arsdk.cli import main

    out, view = tmp_path / "a.mp4", tmp_path / "v.avi"
    assert main(["run", "--source", str(sample_clip), "--output", str(out), "--max-frames", "3",
                 "--effect", f"avatar:view=top,view_output={view}"]) == 0  # fmt: skip
    assert int(cv2.VideoCapture(str(view)).get(cv2.CAP_PROP_FRAME_COUNT)) >= 2


def test_avatar_needs_a_fitted_body_or_world_landmarks(messi):
    _, persons = messi
    assert build_body_mesh(persons[0].replace(world_landmarks=None)).vertices.shape[0] > 10000  # the fitted body
    with pytest.raises(ConfigError, match="world landmarks"):
        build_body_mesh(persons[0].replace(world_landmarks=None, body=None))


def test_without_a_working_gl_the_avatar_says_so_once_and_the_image_passes_through(tmp_path):
    script = (
        "import logging, numpy as np\n"
        "from arsdk import Frame\n"
        "from arsdk.compositor import AvatarEffect\n"
        "from tests.golden_cases import persons_of\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "image, persons = persons_of('messi5.jpg')\n"
        "effect = AvatarEffect()\n"
        "outs = [effect.apply(image, Frame(image, i, i * 100.0), persons) for i in range(3)]\n"
        "print('unchanged', all(np.array_equal(o, image) for o in outs))\n"
    )
    env = dict(os.environ, PYOPENGL_PLATFORM="osmesa", PYTHONPATH=str(REPO))  # OSMesa fails with PyOpenGL 3.1.0
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=str(REPO), timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "unchanged True" in proc.stdout
    assert proc.stderr.count("3D avatar disabled") == 1


def test_avatar_example_writes_the_overlay_and_the_free_view(tmp_path, sample_clip):
    out, view = tmp_path / "avatars.mp4", tmp_path / "view.mp4"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "avatar_3d.py"), "--source", str(sample_clip),
                           "--output", str(out), "--view-output", str(view), "--max-frames", "4"],
                          capture_output=True, text=True, env=env, cwd=str(REPO / "examples"), timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    assert int(cv2.VideoCapture(str(view)).get(cv2.CAP_PROP_FRAME_COUNT)) >= 3
