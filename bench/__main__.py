"""Run the benchmarks and write bench/results/<date>.json and bench/results/<date>.md.

Usage: python -m bench [--quick] [--data DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path

from . import dense_iuv, densepose_rcnn, effects, tracker, transport

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="one image, few repetitions (for the harness test)")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)

    images = dense_iuv.default_images(args.data)
    if args.quick:
        images = dict(list(images.items())[:1])
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "dense_iuv": dense_iuv.run(images, repeats=2 if args.quick else 7),
        "tracker": tracker.run(frames=10 if args.quick else 100),
    }
    import cv2

    basketball = args.data / "basketball1.png"
    still = cv2.imread(str(basketball)) if basketball.is_file() else next(iter(images.values()))
    clip = REPO / "arsdk" / "data" / "vtest_sample.avi"
    results["effects"] = effects.run(still, clip, repeats=1 if args.quick else 10, frames=3 if args.quick else 40)
    ref_dir = args.data.parent / "densepose_ref"
    if (ref_dir / "make_ckpt.py").is_file():
        results["densepose_rcnn"] = densepose_rcnn.run(still, ref_dir, repeats=1 if args.quick else 2)
    results["transport"] = transport.run(frames=30 if args.quick else 300, slow_seconds=1.0 if args.quick else 4.0)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / datetime.date.today().isoformat()
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2))
    report = [f"# arsdk benchmarks, {results['date']}", "", f"Machine: {results['machine']['platform']}, "
              f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}.", "",
              dense_iuv.markdown(results["dense_iuv"]), tracker.markdown(results["tracker"]),
              effects.markdown(results["effects"]), transport.markdown(results["transport"])]
    if "densepose_rcnn" in results:
        report.append(densepose_rcnn.markdown(results["densepose_rcnn"]))  # fmt: skip
    stem.with_suffix(".md").write_text("\n".join(report))
    print(f"benchmark results written to {stem.with_suffix('.json')} and {stem.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
