"""A labelled set of people for the person finder: photographs with ground-truth boxes from
../shared/data/people, the unlabelled photographs there and in ../shared/data boxed by hand, and harder
cases made from them (mirrored, cut by the right or bottom edge, darkened, smaller, larger, partly covered),
plus scenes with nobody in them.

Boxes are ``xyxy`` in pixels. Ground truth: AI Challenger and PoseTrack (COCO ``bbox``), JHMDB (COCO
``bbox``), Human3.6M (the tight box of its person mask; its COCO boxes are padded squares), and
tests/people_boxes.json for COCO's ten photographs in people/photos, messi5.jpg and basketball1.png (drawn
by hand; how, is said in the file). MPII is left out: its photos hold people nobody annotated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from arsdk.estimators.proposals import box_iou
from tests.conftest import DATA, data_file, read_video_frame

__all__ = ["Case", "base_cases", "hard_cases", "empty_scenes", "match", "recall_and_extras"]


@dataclass(frozen=True, eq=False)
class Case:
    """One image and the people in it.

    Attributes:
        name: where it comes from and what was done to it.
        image_bgr: the image.
        boxes_xyxy: (N, 4) float32 ground-truth boxes.
        ignore: (H, W) bool, where people are not labelled (PoseTrack's ignore regions: crowds); a detection
            mostly inside it is neither a hit nor an unlabelled detection. None: everyone is labelled.
    """

    name: str
    image_bgr: np.ndarray
    boxes_xyxy: np.ndarray
    ignore: np.ndarray | None = None


def _coco(folder: str, annotations: str, prefix: str = "") -> list[Case]:
    root = DATA / "people" / folder
    doc = json.loads((root / annotations).read_text())
    boxes: dict[int, list] = {}
    for a in doc["annotations"]:
        if a.get("bbox") and a["bbox"][2] > 0 and a["bbox"][3] > 0:
            x, y, w, h = a["bbox"]
            boxes.setdefault(a["image_id"], []).append([x, y, x + w, y + h])
    cases = []
    for image in doc["images"]:
        path = root / prefix / image["file_name"]
        picture = cv2.imread(str(path))
        if picture is None or image["id"] not in boxes:
            continue
        h, w = picture.shape[:2]
        clipped = np.clip(np.array(boxes[image["id"]], np.float32), 0, [w, h, w, h])
        file = Path(image["file_name"])
        ignore = None
        mask_path = root / "mask" / file.parent.parent.name / file.parent.name / file.name
        if mask_path.is_file():  # PoseTrack: white where people were left unlabelled
            mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
            ignore = mask > 127 if mask is not None and mask.shape == (h, w) else None
        cases.append(Case(f"{folder}/{file.parent.name}/{file.name}", picture, clipped, ignore))
    return cases


def _h36m() -> list[Case]:
    root = DATA / "people" / "h36m"
    doc = json.loads((root / "h36m_coco.json").read_text())
    cases = []
    for image in doc["images"]:
        name = image["file_name"]
        stem = Path(name).stem
        picture = cv2.imread(str(root / name.split("_")[0] / stem.rsplit("_", 1)[0] / name))
        masks = sorted((root / "BF_IUV_gt").glob(f"{stem}_*.png"))
        gt = cv2.imread(str(masks[0])) if masks else None
        if picture is None or gt is None or gt.shape[:2] != picture.shape[:2]:
            continue
        ys, xs = np.nonzero(gt[..., 0])
        box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
        cases.append(Case(f"h36m/{name}", picture, box))
    return cases


_HAND_LABELS = Path(__file__).parent / "people_boxes.json"


def _with_ignored(ignore: np.ndarray | None, shape: tuple, rectangles_xyxy: list) -> np.ndarray | None:
    """``ignore`` (or nothing) with the rectangles added."""
    out = np.zeros(shape, bool) if ignore is None else ignore.copy()
    for x0, y0, x1, y1 in rectangles_xyxy:
        out[y0:y1, x0:x1] = True
    return out if out.any() else None


def _hand_labelled() -> list[Case]:
    cases = []
    for entry in json.loads(_HAND_LABELS.read_text())["images"]:
        picture = cv2.imread(str(data_file(entry["file"])))
        h, w = picture.shape[:2]
        boxes = np.clip(np.array(entry["boxes_xyxy"], np.float32), 0, [w, h, w, h])
        cases.append(Case(entry["file"], picture, boxes, _with_ignored(None, (h, w), entry["ignore_xyxy"])))
    return cases


def _amended(cases: list[Case]) -> list[Case]:
    """The data sets' cases with the people their annotators skipped added (tests/people_boxes.json)."""
    amend = {entry["name"]: entry for entry in json.loads(_HAND_LABELS.read_text())["amend"]}
    out = []
    for case in cases:
        entry = amend.get(case.name)
        if entry is not None:
            added = np.array(entry["add_boxes_xyxy"], np.float32).reshape(-1, 4)
            ignore = _with_ignored(case.ignore, case.image_bgr.shape[:2], entry["ignore_xyxy"])
            case = Case(case.name, case.image_bgr, np.concatenate([case.boxes_xyxy, added]), ignore)
        out.append(case)
    return out


@lru_cache(maxsize=1)
def base_cases() -> tuple[Case, ...]:
    """The labelled photographs as they are."""
    data_file("people/README.md")
    labelled = _coco("aic", "test_aic.json") + _coco("posetrack18", "annotations/test_posetrack18_val.json")
    return tuple(_amended(labelled) + _coco("jhmdb", "test_jhmdb_sub1.json") + _h36m() + _hand_labelled())


def _mirrored(case: Case) -> Case:
    w = case.image_bgr.shape[1]
    boxes = case.boxes_xyxy[:, [2, 1, 0, 3]] * [-1, 1, -1, 1] + [w, 0, w, 0]
    ignore = None if case.ignore is None else np.ascontiguousarray(case.ignore[:, ::-1])
    return Case(case.name + " mirrored", np.ascontiguousarray(case.image_bgr[:, ::-1]), boxes.astype(np.float32), ignore)


def _cut(case: Case, axis: int, share: float, name: str) -> Case | None:
    """The image cut through its largest person at ``share`` of their box along ``axis`` (1: across, the
    person cut off by the right edge; 0: down, cut off by the bottom edge). People of whom less than half
    still shows are dropped from the truth, and what shows of them is ignored (a detection there is neither a
    hit nor an extra: they are people all the same)."""
    boxes = case.boxes_xyxy
    big = int(np.argmax((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])))
    lo, hi = (0, 2) if axis == 1 else (1, 3)  # the box's start and end along the cut axis
    cut = int(boxes[big, lo] + share * (boxes[big, hi] - boxes[big, lo]))
    kept = boxes.copy()
    kept[:, hi] = np.minimum(kept[:, hi], cut)
    visible = (kept[:, hi] - kept[:, lo]) >= 0.5 * (boxes[:, hi] - boxes[:, lo])
    if cut < 64 or not visible.any():
        return None
    window = (slice(None), slice(0, cut)) if axis == 1 else (slice(0, cut), slice(None))
    ignore = None if case.ignore is None else np.ascontiguousarray(case.ignore[window])
    hidden = [box for box in kept[~visible].astype(int) if box[hi] > box[lo]]
    if hidden:
        h, w = case.image_bgr[window].shape[:2]
        ignore = np.zeros((h, w), bool) if ignore is None else ignore.copy()
        for x0, y0, x1, y1 in hidden:
            ignore[max(y0, 0) : y1, max(x0, 0) : x1] = True
    return Case(f"{case.name} {name}", np.ascontiguousarray(case.image_bgr[window]), kept[visible], ignore)


def _cut_at_right(case: Case) -> Case | None:
    """The image cut through the middle of its largest person: that person is cut off by the right edge."""
    return _cut(case, 1, 0.6, "cut at the right edge")


def _cut_at_the_waist(case: Case) -> Case | None:
    """The image cut through its largest person a little above the hips (55% down their box): that person is
    cut off at the waist by the bottom edge, as in a webcam's view."""
    return _cut(case, 0, 0.55, "cut at the waist")


def _dark(case: Case) -> Case:
    dark = (255.0 * (case.image_bgr / 255.0) ** 2.2 * 0.35).astype(np.uint8)  # night: dim, crushed shadows
    return Case(case.name + " dark", dark, case.boxes_xyxy, case.ignore)


def _scaled(case: Case, factor: float) -> Case:
    h, w = case.image_bgr.shape[:2]
    image = cv2.resize(case.image_bgr, (max(int(w * factor), 1), max(int(h * factor), 1)), interpolation=cv2.INTER_AREA
                       if factor < 1 else cv2.INTER_LINEAR)  # fmt: skip
    ignore = None
    if case.ignore is not None:
        ignore = cv2.resize(case.ignore.astype(np.uint8), (image.shape[1], image.shape[0]), interpolation=cv2.INTER_NEAREST) > 0
    return Case(f"{case.name} scaled {factor:g}", image, (case.boxes_xyxy * factor).astype(np.float32), ignore)


def _covered(case: Case) -> Case:
    """A grey board drawn over the middle third (by height) of every person, as if behind a railing."""
    image = case.image_bgr.copy()
    for x0, y0, x1, y1 in case.boxes_xyxy.astype(int):
        third = (y1 - y0) // 3
        cv2.rectangle(image, (x0 - 4, y0 + third), (x1 + 4, y0 + 2 * third), (110, 110, 110), -1)
    return Case(case.name + " covered", image, case.boxes_xyxy, case.ignore)


@lru_cache(maxsize=1)
def hard_cases() -> tuple[Case, ...]:
    """Every base case mirrored, cut by the right and the bottom edge, darkened, at half and double size,
    partly covered."""
    out: list[Case] = []
    for case in base_cases():
        out += [_mirrored(case), _dark(case), _covered(case)]
        for cut in (_cut_at_right(case), _cut_at_the_waist(case)):
            if cut is not None:
                out.append(cut)
        h = case.image_bgr.shape[0]
        out.append(_scaled(case, 0.5 if h >= 480 else 2.0))
    return tuple(out)


def empty_scenes() -> list[tuple[str, np.ndarray]]:
    """Footage with nobody in it: the lawn of vtest.avi, the wall between the basketball players, a plain
    gradient and sensor noise."""
    vtest = read_video_frame(data_file("vtest.avi"), 200)
    basketball = cv2.imread(str(data_file("basketball1.png")))
    gradient = np.tile(np.linspace(30, 220, 640, dtype=np.uint8)[None, :, None], (480, 1, 3))
    noise = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    return [("vtest lawn", np.ascontiguousarray(vtest[380:576, 0:560])),
            ("basketball wall", np.ascontiguousarray(basketball[0:300, 190:420])),
            ("gradient", gradient), ("noise", noise)]  # fmt: skip


def match(truth: np.ndarray, found: np.ndarray, min_iou: float = 0.5,
          ignore: np.ndarray | None = None) -> tuple[int, int]:  # fmt: skip
    """(people found, detections that match nobody) by greedy one-to-one matching at ``min_iou``; unmatched
    detections with most of their box inside ``ignore`` (H, W bool) do not count."""
    unmatched = list(range(len(found)))
    hits = 0
    if len(truth) and len(found):
        iou = box_iou(truth, found)
        used: set = set()
        for t, f in sorted(((t, f) for t in range(len(truth)) for f in range(len(found))), key=lambda tf: -iou[tf]):
            if iou[t, f] < min_iou:
                break
            if t in used or ("f", f) in used:
                continue
            used |= {t, ("f", f)}
            unmatched.remove(f)
            hits += 1
    if ignore is not None:
        unmatched = [f for f in unmatched if _inside_share(found[f], ignore) < 0.5]
    return hits, len(unmatched)


def _inside_share(box_xyxy: np.ndarray, region: np.ndarray) -> float:
    h, w = region.shape
    x0, y0, x1, y1 = np.clip(np.round(box_xyxy).astype(int), 0, [w, h, w, h])
    return float(region[y0:y1, x0:x1].mean()) if x1 > x0 and y1 > y0 else 0.0


def recall_and_extras(cases, find) -> tuple[float, float, list[str]]:  # noqa: ANN001
    """(recall, unlabelled detections per image, names of the cases with a person missed) of ``find``
    (image -> (N, 4) boxes) over ``cases``."""
    hits = total = extras = 0
    missed = []
    for case in cases:
        found = find(case.image_bgr)
        h, e = match(case.boxes_xyxy, found, ignore=case.ignore)
        hits, total, extras = hits + h, total + len(case.boxes_xyxy), extras + e
        if h < len(case.boxes_xyxy):
            missed.append(f"{case.name}: {h}/{len(case.boxes_xyxy)}")
    return hits / max(total, 1), extras / max(len(cases), 1), missed
