"""``avatar``: a 3D body for each person, textured with the person's atlas, rendered with pyrender.

The mesh is the person's fitted body (``person.body``, :mod:`arsdk.body`): the body model posed and shaped
to the person, in the camera frame. Each face carries its DensePose part and chart, the same as the IUV,
so the person's own atlas (accumulated by the swap effect's appearance bank) textures it, or any
DensePose atlas. A person without a fitted body (landmarks too poor to fit) gets a stand-in of tubes along
the world landmarks (torso, limbs, a sphere for the head) with the capsule charts' layout.

Two renders per frame:
* over the people: fitted bodies through the fitted camera (one render, nearer bodies hide farther ones);
  stand-ins through an orthographic camera fitted so that the world landmarks project onto the landmarks;
* from a free viewpoint (``orbit``, ``side``, ``top``): ``last_view_bgr``, a live 3D model of each
  person that can be put into any scene.

The GLSL is arsdk's own (``arsdk/shaders/mesh.vert``, ``mesh.frag``, package data: the atlas texel lit from the
camera), given to pyrender through its shader-program cache. Rendering goes through EGL (``PYOPENGL_PLATFORM=egl``; Mesa's software rasterizer on CPUs). Where EGL is
missing the effect says so once in the log and leaves the image as it is; other effects keep running.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..densepose.atlas import TextureAtlas
from ..densepose.parts import part_tile_origin
from ..errors import ConfigError
from ..types import Frame, Person
from .swap import AppearanceBank

__all__ = ["BodyMesh", "build_body_mesh", "fitted_body_mesh", "fit_orthographic", "AvatarEffect", "VIEWS"]

log = logging.getLogger(__name__)
VIEWS = ("orbit", "side", "top", "front")
_CLOTHING = 1.2


@dataclass(frozen=True, slots=True)
class BodyMesh:
    """A textured body mesh in the world landmarks' frame (metres; x right, y down, z away from the camera).

    Attributes:
        vertices: (V, 3) float32.
        faces: (F, 3) int32, counter-clockwise seen from outside.
        uv_atlas: (V, 2) float32, texture coordinates in a DensePose atlas image (0..1, origin bottom-left).
        part: (V,) uint8, the DensePose part of each vertex.
    """

    vertices: np.ndarray
    faces: np.ndarray
    uv_atlas: np.ndarray
    part: np.ndarray


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else v * 0.0


def _atlas_uv(part: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Chart (part, U, V) -> texture coordinates in a DensePose atlas image (OpenGL: origin bottom-left)."""
    rows = (part.astype(np.int64) - 1) % 6
    cols = (part.astype(np.int64) - 1) // 6
    x = (cols + np.clip(u, 0, 1) * (1 - 1 / 128) + 0.5 / 128) / 4.0
    y_top = (rows + (1 - np.clip(v, 0, 1)) * (1 - 1 / 128) + 0.5 / 128) / 6.0
    return np.column_stack([x, 1.0 - y_top]).astype(np.float32)


class _Builder:
    def __init__(self) -> None:
        self.vertices, self.faces, self.uv, self.part, self.count = [], [], [], [], 0

    def grid(self, points: np.ndarray, part: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
        """Add a (rows, cols) grid of vertices as a quad mesh."""
        rows, cols = points.shape[:2]
        index = self.count + np.arange(rows * cols).reshape(rows, cols)
        a, b, c, d = index[:-1, :-1], index[:-1, 1:], index[1:, 1:], index[1:, :-1]
        self.faces.append(np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)]))
        self.vertices.append(points.reshape(-1, 3))
        self.part.append(np.broadcast_to(part, (rows, cols)).reshape(-1))
        self.uv.append(_atlas_uv(self.part[-1], u.reshape(-1), v.reshape(-1)))
        self.count += rows * cols

    def tube(self, start, end, front, r_front, r_side, back_part, front_part, t_range, v_of_t, flat_u=False) -> None:
        """A tube from ``start`` to ``end`` (t in ``t_range``); front half on ``front_part``, back on ``back_part``."""
        axis = end - start
        a = _unit(axis)
        f = _unit(front - (front @ a) * a)
        if not f.any():
            f = _unit(np.cross(a, [1.0, 0.0, 0.0])) if abs(a[0]) < 0.9 else _unit(np.cross(a, [0.0, 1.0, 0.0]))
        s = np.cross(a, f)  # theta > 0 turns from the front towards axis x front, as the charts do
        t = np.linspace(t_range[0], t_range[1], 6)
        for lo, hi, part in ((-90.0, 90.0, front_part), (90.0, 270.0, back_part)):
            theta = np.radians(np.linspace(lo, hi, 13))
            ring = np.cos(theta)[:, None] * f * r_front + np.sin(theta)[:, None] * s * r_side
            points = start + t[:, None, None] * axis + ring[None, :, :]
            if flat_u:
                u = np.broadcast_to((np.sin(theta) + 1) / 2, points.shape[:2])
            elif part == front_part:
                u = np.broadcast_to((theta + math.pi / 2) / math.pi, points.shape[:2])
            else:
                u = np.broadcast_to(np.mod(theta - math.pi / 2, 2 * math.pi) / math.pi, points.shape[:2])
            v = np.broadcast_to(v_of_t(t)[:, None], points.shape[:2])
            self.grid(points, np.uint8(part), u, v)

    def head(self, centre, up, face, radius) -> None:
        up, face = _unit(up), _unit(face - (face @ _unit(up)) * _unit(up))
        side = np.cross(up, face)
        lat = np.radians(np.linspace(-90, 90, 9))
        for lo, hi, part in ((0.0, 180.0, 24), (-180.0, 0.0, 23)):
            theta = np.radians(np.linspace(lo, hi, 13))
            ring = np.cos(theta)[:, None] * face + np.sin(theta)[:, None] * side
            points = centre + radius * (np.cos(lat)[:, None, None] * ring[None] + np.sin(lat)[:, None, None] * up)
            u = np.broadcast_to(np.abs(theta) / math.pi, points.shape[:2])
            v = np.broadcast_to(((np.sin(lat) + 1.4) / 2.6)[:, None], points.shape[:2])
            self.grid(points, np.uint8(part), u, v)

    def mesh(self) -> BodyMesh:
        return BodyMesh(
            np.concatenate(self.vertices).astype(np.float32),
            np.concatenate(self.faces).astype(np.int32),
            np.concatenate(self.uv).astype(np.float32),
            np.concatenate(self.part).astype(np.uint8),
        )


def fitted_body_mesh(person: Person) -> BodyMesh | None:
    """The person's fitted body (``person.body``) as a textured mesh in the camera frame, or None.

    Faces do not share vertices (each corner carries its own part and chart), so the mesh has three
    vertices per face.
    """
    if person.body is None:
        return None
    from ..body.model import load_body_model

    model = load_body_model()
    vertices, faces = person.body.mesh()
    corners = vertices[faces].reshape(-1, 3)
    part = np.repeat(model.face_part, 3)
    uv = model.corner_uv.reshape(-1, 2)
    return BodyMesh(corners.astype(np.float32), np.arange(len(corners), dtype=np.int32).reshape(-1, 3),
                    _atlas_uv(part, uv[:, 0], uv[:, 1]), part)  # fmt: skip


def build_body_mesh(person: Person) -> BodyMesh:
    """The person's body as a textured mesh: the fitted body when there is one (camera frame, metres),
    else a stand-in of tubes along the world landmarks (their frame: metres around the hips).

    Raises:
        ConfigError: the person has neither a fitted body nor world landmarks.
    """
    fitted = fitted_body_mesh(person)
    if fitted is not None:
        return fitted
    if person.world_landmarks is None:
        raise ConfigError("the avatar needs a fitted body or world landmarks (the default estimator provides both)")
    w = person.world_landmarks.xyz_m.astype(np.float64)
    hip, shoulder = w[[23, 24]].mean(0), w[[11, 12]].mean(0)
    up = shoulder - hip
    left = (w[11] - w[12]) + (w[23] - w[24])
    front = _unit(np.cross(left, up))
    torso_side = max(np.linalg.norm(w[11] - w[12]), np.linalg.norm(w[23] - w[24])) / 2 * 1.15
    b = _Builder()
    b.tube(hip, shoulder, front, 0.13, torso_side, 1, 2, (-0.15, 1.1), lambda t: (t + 0.15) / 1.45)
    limbs = ((11, 13, 15, 17, 0.05), (12, 14, 16, 18, 0.05), (13, 15, 19, 21, 0.04), (14, 16, 20, 22, 0.04),
             (23, 25, 8, 10, 0.08), (24, 26, 7, 9, 0.08), (25, 27, 12, 14, 0.055), (26, 28, 11, 13, 0.055))  # fmt: skip
    for proximal, distal, back, front_part, radius in limbs:
        radius *= _CLOTHING  # the charts' radii are the body's; silhouettes include clothes
        b.tube(w[proximal], w[distal], front, radius, radius, back, front_part, (0.0, 1.0), lambda t: (t + 0.1) / 1.2)
    for wrist, knuckles, part in ((15, (17, 19), 4), (16, (18, 20), 3)):
        b.tube(w[wrist], w[list(knuckles)].mean(0), front, 0.02, 0.045, part, part, (0.0, 2.2),
               lambda t: (t + 0.2) / 2.4, flat_u=True)  # fmt: skip
    for heel, toe, part in ((29, 31, 5), (30, 32, 6)):
        b.tube(w[heel], w[toe], -up, 0.035, 0.045, part, part, (-0.1, 1.1), lambda t: (t + 0.15) / 1.3, flat_u=True)
    head = w[[7, 8]].mean(0)
    b.head(head, head - shoulder, w[0] - head, 0.11)
    return b.mesh()


def fit_orthographic(person: Person) -> tuple[float, np.ndarray]:
    """(scale px/m, offset px) with image_xy ~= scale * world_xy + offset over the visible landmarks."""
    if person.world_landmarks is None or person.landmarks is None:
        raise ConfigError("fitting the avatar needs landmarks and world landmarks")
    seen = person.landmarks.visible(0.5)
    if seen.sum() < 4:
        seen = np.ones(33, bool)
    world = person.world_landmarks.xyz_m[seen, :2].astype(np.float64)
    image = person.landmarks.xy_px[seen].astype(np.float64)
    wc, ic = world.mean(0), image.mean(0)
    scale = float(((world - wc) * (image - ic)).sum() / max(((world - wc) ** 2).sum(), 1e-9))
    return scale, ic - scale * wc


class AvatarEffect:
    """Render a 3D body over each person, and from a free viewpoint into ``last_view_bgr``.

    Args:
        atlas: texture every avatar with this atlas; None: each person's own appearance (accumulated
            over frames by ``bank``).
        view: free viewpoint, one of ``orbit``, ``side``, ``top``, ``front``.
        view_size: (width, height) of the free-view image.
        overlay: draw the avatar over the person in the frame (False: only the free view).
        bank: where people's appearance accumulates.
        view_output: also write the free view, frame after frame, to this video file.
    """

    def __init__(self, atlas: TextureAtlas | None = None, view: str = "orbit", view_size: tuple[int, int] = (480, 480),
                 overlay: bool = True, bank: AppearanceBank | None = None, view_output: str | None = None) -> None:  # fmt: skip
        if view not in VIEWS:
            raise ConfigError(f"unknown view {view!r}; choose from {', '.join(VIEWS)}")
        self.atlas, self.view, self.view_size, self.overlay = atlas, view, view_size, overlay
        self.bank = bank or AppearanceBank()
        self.last_view_bgr: np.ndarray | None = None
        self.last_silhouette: np.ndarray | None = None
        self._gl = None  # one OffscreenRenderer: EGL renderers share a display, so several cannot be deleted safely
        self._failed = False
        self._frames = 0
        self.view_output = view_output
        self._view_writer = None

    def close(self) -> None:
        """Release the GL renderer and the view video; safe to call twice."""
        if self._view_writer is not None:
            self._view_writer.release()
            self._view_writer = None
        if self._gl is not None:
            self._gl.delete()
            self._gl = None

    def __enter__(self) -> AvatarEffect:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _render(self, scene, size: tuple[int, int], flags: int = 0):  # noqa: ANN001, ANN202
        """(colour, depth) of ``scene`` at ``size`` (width, height)."""
        os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
        import pyrender

        if self._gl is None:
            self._gl = pyrender.OffscreenRenderer(*size)
            shader_dir = shaders_dir()
            if shader_dir is not None:  # arsdk's GLSL (shaders/mesh.vert, mesh.frag) instead of pyrender's PBR
                from pyrender.shader_program import ShaderProgramCache

                self._gl._renderer._program_cache = ShaderProgramCache(shader_dir=str(shader_dir))
            _say_where_rendering_runs()
        self._gl.viewport_width, self._gl.viewport_height = size
        try:
            return self._gl.render(scene, flags=flags)
        finally:
            self._release_context()

    def _release_context(self) -> None:
        """Unbind the EGL context from this thread: the pipeline renders on its post thread and closes on
        the caller's, and an EGL context can be current in one thread only."""
        display = getattr(getattr(self._gl, "_platform", None), "_egl_display", None)
        if display is not None:
            from OpenGL.EGL import EGL_NO_CONTEXT, EGL_NO_SURFACE, eglMakeCurrent

            eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT)

    def _scene(self, persons: Sequence[Person], atlases: list[TextureAtlas | None], centred: bool = False):  # noqa: ANN202
        import pyrender
        import trimesh
        from PIL import Image

        scene = pyrender.Scene(bg_color=[0, 0, 0, 0], ambient_light=[0.55, 0.55, 0.55])
        for person, atlas in zip(persons, atlases):
            mesh = build_body_mesh(person)
            vertices = mesh.vertices
            if centred and person.body is not None:  # free view: the fitted body around its hips
                vertices = vertices - person.body.pivots[0]
            gl_vertices = vertices * np.array([1, -1, -1], np.float32)  # camera axes -> OpenGL axes
            material = None
            if atlas is not None:
                rgba = atlas.to_image()[..., [2, 1, 0, 3]]
                material = trimesh.visual.material.SimpleMaterial(image=Image.fromarray(rgba[..., :3]))
            visual = trimesh.visual.TextureVisuals(uv=mesh.uv_atlas, material=material) if material else None
            tm = trimesh.Trimesh(gl_vertices, mesh.faces, visual=visual, process=False)
            scene.add(pyrender.Mesh.from_trimesh(tm, smooth=False), name=str(person.track_id))
        scene.add(pyrender.DirectionalLight(intensity=2.0), pose=np.eye(4))
        return scene

    def apply(self, image_bgr: np.ndarray, frame: Frame, persons: Sequence[Person]) -> np.ndarray:
        """Avatars over the people (nearer over farther, by depth); the free view in ``last_view_bgr``."""
        chosen = [(i, p) for i, p in enumerate(persons)
                  if p.body is not None or (p.world_landmarks is not None and p.landmarks is not None)]  # fmt: skip
        if self._failed or not chosen:
            return image_bgr
        if self.atlas is None:
            self.bank.observe(frame.image_bgr, persons)
        people = [p for _, p in chosen]
        atlases = [self.atlas if self.atlas is not None else self.bank.atlas(AppearanceBank.key(p, i)) for i, p in chosen]
        try:
            out = self._overlay(image_bgr, people, atlases) if self.overlay else image_bgr
            self.last_view_bgr = self._free_view(people, atlases)
            self._write_view(self.last_view_bgr)
        except Exception as exc:  # noqa: BLE001 - GL set-up failures vary by driver; say so once, keep running
            self._failed = True
            log.warning("3D avatar disabled: cannot render through EGL (%s); on Debian install libegl1 "
                        "libegl-mesa0 libgl1-mesa-dri and set PYOPENGL_PLATFORM=egl", exc)  # fmt: skip
            return image_bgr
        self._frames += 1
        return out

    def _write_view(self, view_bgr: np.ndarray) -> None:
        if self.view_output is None:
            return
        if self._view_writer is None:
            import cv2

            fourcc = cv2.VideoWriter_fourcc(*("mp4v" if str(self.view_output).endswith(".mp4") else "MJPG"))
            self._view_writer = cv2.VideoWriter(str(self.view_output), fourcc, 10.0, self.view_size)
        self._view_writer.write(view_bgr)

    def _overlay(self, image_bgr: np.ndarray, people: list[Person], atlases: list) -> np.ndarray:
        import pyrender

        h, w = image_bgr.shape[:2]
        out = image_bgr.copy()
        silhouette = np.zeros((h, w), bool)
        fitted = [(p, a) for p, a in zip(people, atlases) if p.body is not None]
        if fitted:  # every fitted body in one render through the fitted camera: real occlusion between people
            scene = self._scene([p for p, _ in fitted], [a for _, a in fitted])
            cam = fitted[0][0].body.camera  # type: ignore[union-attr]
            scene.add(pyrender.IntrinsicsCamera(cam.fx, cam.fy, cam.cx, cam.cy, znear=0.05, zfar=500.0), pose=np.eye(4))
            colour, depth = self._render(scene, (w, h), pyrender.RenderFlags.RGBA)
            on = depth > 0
            out[on] = colour[on][:, [2, 1, 0]]
            silhouette |= on
        for person, atlas in zip(people, atlases):
            if person.body is not None:
                continue
            scale, offset = fit_orthographic(person)
            scene = self._scene([person], [atlas])
            # Pixel (x, y) shows world (x, y) = ((x, y) - offset) / scale; OpenGL's y is up.
            cx, cy = (w / 2 - offset[0]) / scale, (h / 2 - offset[1]) / scale
            camera = pyrender.OrthographicCamera(xmag=w / 2 / scale, ymag=h / 2 / scale, znear=0.01, zfar=20.0)
            pose = np.eye(4)
            pose[:3, 3] = [cx, -cy, 5.0]
            scene.add(camera, pose=pose)
            colour, depth = self._render(scene, (w, h), pyrender.RenderFlags.RGBA)
            on = depth > 0
            out[on] = colour[on][:, [2, 1, 0]]
            silhouette |= on
        self.last_silhouette = silhouette
        return out

    def _free_view(self, people: list[Person], atlases: list) -> np.ndarray:
        import pyrender

        scene = self._scene(people, atlases, centred=True)
        spacing = np.array([[i * 0.9, 0.0, 0.0] for i in range(len(people))])
        for node, shift in zip(list(scene.mesh_nodes), spacing - spacing.mean(0)):
            node.translation = shift
        angle = {"front": 0.0, "side": 90.0, "top": 0.0, "orbit": (self._frames * 6.0) % 360}[self.view]
        elevation = 80.0 if self.view == "top" else 10.0
        distance = 1.9 + 0.5 * len(people)
        a, e = math.radians(angle), math.radians(elevation)
        eye = np.array([distance * math.sin(a) * math.cos(e), distance * math.sin(e), distance * math.cos(a) * math.cos(e)])
        pose = _look_at(eye, np.zeros(3))
        scene.add(pyrender.PerspectiveCamera(yfov=math.radians(45)), pose=pose)
        scene.add(pyrender.DirectionalLight(intensity=2.5), pose=pose)
        colour, _ = self._render(scene, self.view_size)
        return np.ascontiguousarray(colour[..., ::-1])


_RENDERER_SAID = False


def _say_where_rendering_runs() -> None:
    """Once per process: whether avatars are drawn by a GPU or by Mesa's software rasterizer on the CPU."""
    global _RENDERER_SAID
    if _RENDERER_SAID:
        return
    _RENDERER_SAID = True
    try:
        from OpenGL.GL import GL_RENDERER, glGetString

        name = (glGetString(GL_RENDERER) or b"").decode(errors="replace")
    except Exception:  # noqa: BLE001 - only a message depends on it
        return
    if any(word in name.lower() for word in ("llvmpipe", "softpipe", "swrast")):
        log.warning("rendering avatars on the CPU (%s): a few frames per second; a GPU with EGL draws them faster", name)
    else:
        log.info("rendering avatars on %s", name)


def shaders_dir() -> Path | None:
    """arsdk's GLSL folder (package data ``arsdk/shaders``; the repository's ``shaders/`` points there), or
    None when the installation lacks it (then pyrender's own shaders draw, and this is logged once)."""
    from importlib import resources

    folder = Path(str(resources.files("arsdk") / "shaders"))
    if (folder / "mesh.vert").is_file() and (folder / "mesh.frag").is_file():
        return folder
    log.warning("arsdk's shaders are missing from this installation (%s); drawing with pyrender's default shaders; "
                "reinstall arsdk", folder)  # fmt: skip
    return None


def _look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    forward = _unit(target - eye)
    right = _unit(np.cross(forward, [0.0, 1.0, 0.0]))
    if not right.any():
        right = np.array([1.0, 0.0, 0.0])
    up = np.cross(right, forward)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, up, -forward, eye
    return pose
