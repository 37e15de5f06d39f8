"""``arsdk bench`` / ``make bench``: run every benchmark and write ``<out>/<date>.json``, ``<out>/<date>.md``
and the plots beside them.

Every speed is set against a baseline measured in the same run (MediaPipe's own pose, the estimator
alone, supervision's ByteTrack, imagezmq), so the ratios hold on a noisy machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from . import body, cluster, dense_iuv, densepose_rcnn, effects, live, tracker, transport
from ..cluster import ray_available
from .clips import SHIPPED_CROWD, default_clips, write_clip
from .memory import process_peak_mb
from .report import live_markdown, plot_fps, plot_stage_breakdown, targets_markdown, targets_of

__all__ = ["main", "run_all"]


def run_all(data: Path, out: Path, quick: bool = False, progress=print) -> dict:  # noqa: ANN001
    """Run the benchmarks; returns the results (also written to ``out``)."""
    started = time.perf_counter()
    results: dict = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "quick": quick,
    }
    frames = 12 if quick else 150
    with tempfile.TemporaryDirectory() as folder:
        clips = default_clips(data, frames)
        if quick:
            clips = clips[:1]
        clips = [write_clip(c, Path(folder) / f"clip{i}.avi") for i, c in enumerate(clips)]
        results["live"] = {"frames_per_clip": frames, "clips": {}}
        for clip in clips:
            progress(f"live pipeline: {clip.name}")
            alone, whole = live.alone_and_end_to_end(clip, rounds=1 if quick else 2)
            results["live"]["clips"][clip.name] = {"source": clip.source, "estimator_alone": alone, "end_to_end": whole}
            progress(f"live pipeline, as a live camera: {clip.name}")
            results["live"]["clips"][clip.name]["live_source"] = live.as_live_source(clip, seconds=4.0 if quick else 15.0)
        single = next((c for c in clips if c.name == "1 person"), None)
        if single is not None:
            progress("arsdk beside mp.solutions.pose")
            results["live"]["vs_mediapipe"] = live.against_mediapipe(single)
            progress("arsdk beside mp.solutions.pose, default options (up to 10 people, searching)")
            results["live"]["vs_mediapipe_default"] = live.against_mediapipe(single, max_persons=10)

    images = dense_iuv.default_images(data)
    if quick:
        images = dict(list(images.items())[:1])
    if images:
        progress("dense IUV")
        results["dense_iuv"] = dense_iuv.run(images, repeats=2 if quick else 7)
    body_images = body.default_images(data)
    if body_images:
        progress("fitted body beside the capsule charts")
        crowd = data / "vtest.avi" if (data / "vtest.avi").is_file() else SHIPPED_CROWD
        results["body"] = body.run(dict(list(body_images.items())[:1]) if quick else body_images, crowd, quick)
    progress("tracker beside ByteTrack")
    results["tracker"] = tracker.run(frames=10 if quick else 100)
    import cv2

    basketball = data / "basketball1.png"
    still = cv2.imread(str(basketball)) if basketball.is_file() else None
    if still is not None:
        progress("effects")
        results["effects"] = effects.run(still, SHIPPED_CROWD, repeats=1 if quick else 10, frames=3 if quick else 40)
        ref_dir = data.parent / "densepose_ref"
        if (ref_dir / "make_ckpt.py").is_file() and not quick:
            progress("DensePose R-CNN on the CPU")
            results["densepose_rcnn"] = densepose_rcnn.run(still, ref_dir, repeats=1)
    progress("streaming beside imagezmq")
    results["transport"] = transport.run(frames=30 if quick else 300, slow_seconds=1.0 if quick else 4.0)
    if ray_available() and not quick:
        progress("Ray cluster: 1, 2 and 4 streams")
        results["cluster"] = cluster.run(SHIPPED_CROWD, frames=40)
    results["memory"] = {"process_peak_rss_mb": process_peak_mb()}
    results["targets"] = [t.as_dict() for t in targets_of(results)]
    results["elapsed_s"] = time.perf_counter() - started
    write_report(results, out)
    return results


def _plain(value: object) -> object:
    """NumPy scalars and arrays as JSON values (measurements come back as NumPy types)."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_report(results: dict, out: Path) -> tuple[Path, Path]:
    """``<date>.json``, ``<date>.md`` and the two plots in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    stem = out / datetime.date.fromisoformat(results["date"][:10]).isoformat()
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2, default=_plain))
    plots = {}
    if results.get("live", {}).get("clips"):
        plots["Stage breakdown"] = plot_stage_breakdown(results["live"], stem.with_name(stem.name + "-stages.png")).name
        plots["Frames per second against people"] = plot_fps(results["live"], stem.with_name(stem.name + "-fps.png")).name
    machine = results["machine"]
    report = [f"# arsdk benchmarks, {results['date']}", "",
              f"Machine: {machine['platform']}, {machine['cpus']} CPUs, Python {machine['python']}. "
              f"The whole run took {results['elapsed_s'] / 60:.1f} minutes"
              f"{' (quick mode: a few frames, numbers not meaningful)' if results.get('quick') else ''}.", ""]  # fmt: skip
    targets = targets_of(results)
    if targets:
        report.append(targets_markdown(targets))
    clips = results.get("live", {}).get("clips", {})
    absolute = [f"{name}: {clip['end_to_end']['fps']:.1f} fps" for name, clip in clips.items()]
    if absolute:
        report += [f"Absolute end-to-end speed on this machine (640x480): {'; '.join(absolute)}.", ""]
    if clips:
        report.append(live_markdown(results["live"], plots))
    for key, module in (("body", body), ("dense_iuv", dense_iuv), ("tracker", tracker), ("effects", effects),
                        ("transport", transport), ("densepose_rcnn", densepose_rcnn)):  # fmt: skip
        if key in results:
            report.append(module.markdown(results[key]))
    if "cluster" in results:
        report.append(cluster.markdown(results["cluster"]))
    report += [f"Peak resident memory of the benchmark process: {results['memory']['process_peak_rss_mb']:.0f} MiB "
               "(per clip in the live table).", ""]  # fmt: skip
    stem.with_suffix(".md").write_text("\n".join(report))
    return stem.with_suffix(".json"), stem.with_suffix(".md")


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m arsdk.bench`` and ``arsdk bench``."""
    repo = Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(prog="arsdk bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few frames of one clip (checks the harness; numbers not meaningful)")
    parser.add_argument("--data", type=Path, default=repo.parent / "shared" / "data",
                        help="folder with messi5.jpg, basketball1.png, vtest.avi (default ../shared/data)")
    parser.add_argument("--out", type=Path, default=Path("bench") / "results", help="where the report goes (default bench/results)")
    args = parser.parse_args(argv)
    results = run_all(args.data, args.out, args.quick)
    stem = args.out / results["date"][:10]
    print(f"benchmark results written to {stem}.json and {stem}.md ({results['elapsed_s'] / 60:.1f} min)")
    for target in results["targets"]:
        print(f"  {'met ' if target['met'] else 'MISS'} {target['name']}: {target['value']:.2f}")
    return 0
