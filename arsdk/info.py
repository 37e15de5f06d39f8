"""What ``arsdk info`` reports: versions, device, whether EGL rendering works, models found."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from typing import Any

__all__ = ["collect_info", "egl_status"]

_PACKAGES = ("arsdk", "numpy", "opencv-contrib-python", "mediapipe", "torch", "pyrender", "PyOpenGL", "pyzmq", "scipy")

_EGL_PROBE = """
import os
os.environ["PYOPENGL_PLATFORM"] = "egl"
import numpy as np, pyrender, trimesh
scene = pyrender.Scene(bg_color=[0, 0, 0, 0])
scene.add(pyrender.Mesh.from_trimesh(trimesh.creation.box(extents=[1, 1, 1])))
scene.add(pyrender.PerspectiveCamera(yfov=1.0), pose=np.array([[1,0,0,0],[0,1,0,0],[0,0,1,3],[0,0,0,1]], float))
scene.add(pyrender.DirectionalLight(intensity=3.0))
r = pyrender.OffscreenRenderer(64, 64)
color, depth = r.render(scene)
r.delete()
from OpenGL import GL
print("ok", int((depth > 0).sum()))
"""


def egl_status(timeout_s: float = 60.0) -> tuple[bool, str]:
    """Render a cube off-screen through EGL in a child process; (works, detail)."""
    env = dict(os.environ, PYOPENGL_PLATFORM="egl")
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _EGL_PROBE], capture_output=True, text=True, timeout=timeout_s, env=env
        )
    except subprocess.TimeoutExpired:
        return False, f"EGL probe did not finish in {timeout_s:.0f} s"
    lines = proc.stdout.strip().splitlines()
    if proc.returncode == 0 and lines and lines[-1].startswith("ok") and int(lines[-1].split()[1]) > 0:
        return True, "pyrender renders off-screen through EGL"
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return False, (
        f"EGL rendering failed ({tail}); on Debian/Ubuntu install libegl1 libegl-mesa0 libgl1-mesa-dri "
        "(make does this when run as root)"
    )


def collect_info(check_egl: bool = True) -> dict[str, Any]:
    """Everything ``arsdk info`` prints, as a dict."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }
    try:
        from .device import select_device

        import torch

        device = select_device("auto")
        info["device"] = {
            "selected": str(device),
            "cuda_available": bool(torch.cuda.is_available()),
            "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
            "torch_threads": torch.get_num_threads(),
        }
    except ImportError as exc:
        info["device"] = {"selected": "cpu", "error": f"torch not importable: {exc}"}
    try:
        from .estimators.models import find_model_files, pose_landmarker_task

        files = find_model_files()
        info["models"] = {
            "pose_detector": str(files.detector),
            "pose_landmarks": str(files.landmarks),
            "pose_landmarker_task": str(pose_landmarker_task(files)),
        }
    except Exception as exc:  # noqa: BLE001 - reported, not raised: info must always print
        info["models"] = {"error": str(exc)}
    try:
        from .body import load_body_model

        body = load_body_model()
        info["models"]["body"] = {"name": body.name, "vertices": int(len(body.vertices)), "faces": int(len(body.faces)),
                                  "segments": body.num_segments}  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        info["models"]["body"] = {"error": str(exc)}
    try:
        from .estimators.person_detector import find_detector_graph

        info["models"]["person_detector"] = str(find_detector_graph())
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        info["models"]["person_detector"] = f"not installed ({exc})"
    try:
        from .compositor.avatar import shaders_dir

        folder = shaders_dir()
        info["shaders"] = str(folder) if folder is not None else "missing (reinstall arsdk)"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        info["shaders"] = f"missing ({exc})"
    if check_egl:
        ok, detail = egl_status()
        info["egl"] = {"works": ok, "detail": detail}
    return info
