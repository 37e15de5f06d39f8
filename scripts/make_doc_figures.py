"""Regenerate the pictures in docs/images from real footage (../shared/data) and arsdk itself.

Usage: .venv/bin/python scripts/make_doc_figures.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from arsdk import Frame, MediaPipePoseEstimator
from arsdk.densepose.atlas import TextureAtlas, extract_atlas
from arsdk.densepose.parts import PART_NAMES, part_tile_origin
from arsdk.densepose.visualize import make_visualizers, visualize_all

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "images"


def _label(image: np.ndarray, text: str) -> np.ndarray:
    out = image.copy()
    cv2.rectangle(out, (0, 0), (8 * len(text) + 10, 22), (0, 0, 0), -1)
    cv2.putText(out, text, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def pattern_atlas(n: int = 200) -> TextureAtlas:
    """A demonstration atlas: each tile its own hue, with a grid every 0.1 of U and V and the part number."""
    tiles = np.zeros((24, n, n, 4), np.uint8)
    for p in range(1, 25):
        hue = int((p * 7.5) % 180)
        tile = np.full((n, n, 3), (hue, 160, 230), np.uint8)
        tile = cv2.cvtColor(tile, cv2.COLOR_HSV2BGR)
        for k in range(11):
            c = round(k * (n - 1) / 10)
            tile[:, c] = tile[c, :] = (40, 40, 40)
        cv2.putText(tile, str(p), (n // 2 - 22, n // 2 + 15), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (0, 0, 0), 3, cv2.LINE_AA)
        tiles[p - 1, ..., :3] = tile
        tiles[p - 1, ..., 3] = 255
    return TextureAtlas(tiles)


def atlas_layout(n: int = 150) -> np.ndarray:
    """The DensePose atlas layout: tile positions, part names, and the directions of U and V."""
    image = np.full((6 * n, 4 * n, 3), 255, np.uint8)
    for p in range(1, 25):
        row, col = part_tile_origin(p, n)
        cv2.rectangle(image, (col, row), (col + n - 1, row + n - 1), (0, 0, 0), 1)
        words = PART_NAMES[p].split()
        for i, chunk in enumerate([f"{p}"] + [" ".join(words[:2]), " ".join(words[2:])]):
            cv2.putText(image, chunk, (col + 8, row + 22 + 20 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.arrowedLine(image, (col + 10, row + n - 12), (col + n - 15, row + n - 12), (0, 0, 200), 2, tipLength=0.08)
        cv2.arrowedLine(image, (col + 10, row + n - 12), (col + 10, row + 75), (0, 150, 0), 2, tipLength=0.1)
        cv2.putText(image, "U", (col + n - 30, row + n - 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 200), 1, cv2.LINE_AA)
        cv2.putText(image, "V", (col + 16, row + 85), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 150, 0), 1, cv2.LINE_AA)
    return image


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    messi = cv2.imread(str(args.data / "messi5.jpg"))
    cap = cv2.VideoCapture(str(args.data / "vtest.avi"))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 200)
    _, vtest = cap.read()
    with MediaPipePoseEstimator() as estimator:
        persons = estimator.infer(Frame(messi, 0, 0.0))
        crowd = estimator.infer(Frame(vtest, 200, 0.0))
    tiles = [_label(visualize_all(make_visualizers([v]), messi, persons), v) for v in ("segm", "u", "v", "contour")]
    cv2.imwrite(str(OUT / "iuv_messi.jpg"), np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])]))
    atlas = pattern_atlas()
    atlas.save(OUT / "pattern_atlas.png")
    textured = visualize_all(make_visualizers(["texture"], atlas), messi, persons)
    cv2.imwrite(str(OUT / "texture_messi.jpg"), np.hstack([messi, textured]))
    crop = lambda img: img[80:400, 40:768]  # noqa: E731
    cv2.imwrite(str(OUT / "segm_vtest.jpg"), crop(visualize_all(make_visualizers(["segm"]), vtest, crowd)))
    cv2.imwrite(str(OUT / "atlas_layout.png"), atlas_layout())
    extracted = extract_atlas(messi, persons[0].iuv).to_atlas().to_image()
    background = np.full(extracted.shape[:2] + (3,), 255, np.uint8)
    alpha = extracted[..., 3:] / 255.0
    cv2.imwrite(str(OUT / "atlas_from_messi.jpg"), (extracted[..., :3] * alpha + background * (1 - alpha)).astype(np.uint8))
    effect_figures(args.data, messi, persons)
    body_figures(messi, persons, vtest, crowd)
    print(f"figures written to {OUT}")


def _rest_view(back: bool, size: int = 420) -> "Person":
    """The body model's rest mesh seen from the front (or back) as a person with IUV."""
    from arsdk import Person, PersonIUV
    from arsdk.body import load_body_model, rasterize
    from arsdk.types import CameraIntrinsics

    model = load_body_model()
    v = model.vertices.astype(np.float64)
    sign = -1.0 if back else 1.0
    camera_frame = np.column_stack([sign * v[:, 0], -v[:, 2], sign * v[:, 1] + 20.0])  # 20 m away: nearly orthographic
    camera = CameraIntrinsics(size * 20 / 1.8, size * 20 / 1.8, size / 2, size / 2)
    raster = rasterize(camera_frame.astype(np.float32), model.faces, camera, (0, 0, size, size))
    part = np.zeros((size, size), np.uint8)
    uv = np.zeros((size, size, 2), np.float32)
    on = raster.covered
    f = raster.face[on]
    part[on] = model.face_part[f]
    uv[on] = np.einsum("nk,nkc->nc", raster.bary[on], model.corner_uv[f])
    box = np.array([0, 0, size, size], np.float32)
    return Person(box, 1.0, iuv=PersonIUV((0, 0, size, size), part, uv))


def body_figures(messi: np.ndarray, persons, vtest: np.ndarray, crowd) -> None:
    """The body model's parts and charts, front and back; fitted bodies on real people."""
    from arsdk.body.iuv import body_raster

    white = np.full((420, 420, 3), 255, np.uint8)
    panels = []
    for back in (False, True):
        person = _rest_view(back)
        for vis in ("segm", "contour"):
            panels.append(_label(visualize_all(make_visualizers([vis]), white, [person]), f"{'back' if back else 'front'}: {vis}"))
    cv2.imwrite(str(OUT / "body_charts.jpg"), np.hstack(panels))
    shown = []
    for image, people in ((messi, persons), (vtest, crowd)):
        out = image.copy()
        wh = (image.shape[1], image.shape[0])
        for person in people:
            if person.body is None:
                continue
            raster = body_raster(person, person.body, wh)
            x0, y0, x1, y1 = raster.xyxy
            mask = person.mask.crop_to(raster.xyxy) >= 0.5
            view = out[y0:y1, x0:x1]
            colour = np.zeros_like(view)
            colour[raster.covered & mask] = (0, 200, 0)
            colour[raster.covered & ~mask] = (0, 0, 230)
            colour[mask & ~raster.covered] = (230, 80, 0)
            paint = raster.covered | mask
            view[paint] = (0.45 * view[paint] + 0.55 * colour[paint]).astype(np.uint8)
            for x, y in person.body.joints_xy:
                cv2.circle(out, (int(x), int(y)), 2, (255, 255, 255), -1)
        shown.append(out)
    crop = shown[1][80:400, 40:768]
    messi_big = cv2.resize(shown[0], (int(shown[0].shape[1] * crop.shape[0] / shown[0].shape[0]), crop.shape[0]))
    cv2.imwrite(str(OUT / "body_fit.jpg"), np.hstack([messi_big, crop]))


def effect_figures(data: Path, messi: np.ndarray, persons) -> None:
    """One picture per compositor effect, on real footage."""
    import os

    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    from arsdk import PersonTracker, PoseEstimatorOptions, RunMode, open_source
    from arsdk.compositor import AvatarEffect, Compositor, LabelsEffect, SwapEffect, load_atlas, parse_effect

    frame = Frame(messi, 0, 0.0)
    cv2.imwrite(str(OUT / "effect_texture.jpg"), np.hstack([messi, Compositor([parse_effect("texture")]).render(frame, persons)]))
    basketball = cv2.imread(str(data / "basketball1.png"))
    with MediaPipePoseEstimator() as estimator:
        pair = estimator.infer(Frame(basketball, 0, 0.0))
    swapped = SwapEffect().apply(basketball, Frame(basketball, 0, 0.0), pair)
    cv2.imwrite(str(OUT / "effect_swap.jpg"), np.hstack([basketball, swapped]))
    with AvatarEffect(load_atlas("pattern"), view="side") as avatar:
        overlay = avatar.apply(messi, frame, persons)
        side = cv2.resize(avatar.last_view_bgr, (messi.shape[0], messi.shape[0]))
    with AvatarEffect(view="front") as avatar:
        own = avatar.apply(messi, frame, persons)
    cv2.imwrite(str(OUT / "effect_avatar.jpg"), np.hstack([overlay, own, side]))
    # labels: tracked people of the shipped clip after 40 frames
    tracker = PersonTracker()
    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, proposal_interval=5)
    with open_source(REPO / "arsdk" / "data" / "vtest_sample.avi") as source, MediaPipePoseEstimator(options) as estimator:
        for f in source:
            people = tracker.update(estimator.infer(f), f.timestamp_ms, f.image_bgr)
            if f.index == 40:
                labelled = LabelsEffect().apply(f.image_bgr, f, people)
                cv2.imwrite(str(OUT / "effect_labels.jpg"), labelled)
                break


if __name__ == "__main__":
    main()
