"""Commands about the installation and the project: ``info``, ``weights``, ``bench``, ``cluster``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..errors import ConfigError
from .parser import Parser

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, example) -> None:  # noqa: ANN001, SLF001
    info = sub.add_parser("info", help="versions, device, EGL rendering, models", epilog=example("arsdk info --json"))
    info.add_argument("--json", action="store_true", help="print JSON")
    info.add_argument("--no-egl", action="store_true", help="skip the EGL rendering check")
    info.set_defaults(func=cmd_info)

    weights = sub.add_parser("weights", help="the official DensePose R-CNN checkpoints: list them, check a file",
                             epilog=example("arsdk weights check model_final_162be9.pkl"))  # fmt: skip
    weights_sub = weights.add_subparsers(dest="weights_command", metavar="ACTION", parser_class=Parser)
    weights_sub.add_parser("list", help="official model names, ids, file names and where to download them")
    check = weights_sub.add_parser("check", help="which model a file is and whether it loads")
    check.add_argument("file", type=Path)
    weights.set_defaults(func=cmd_weights)

    cluster = sub.add_parser("cluster", help="many cameras on a Ray cluster (estimator as Ray Serve replicas)",
                             epilog=example("arsdk cluster --sources cameras.toml"))  # fmt: skip
    cluster.add_argument("--sources", type=Path, required=True, help="cameras.toml (see docs/cluster.md)")
    cluster.add_argument("--ray-address", default=None, help="join this Ray cluster (default: start a local one)")
    cluster.add_argument("--stats-every", type=float, default=5.0, help="print stream counters every N seconds")
    cluster.set_defaults(func=cmd_cluster)

    bench = sub.add_parser("bench", help="benchmarks beside MediaPipe, ByteTrack and imagezmq; writes a report",
                           epilog=example("arsdk bench --quick -o /tmp/bench"))  # fmt: skip
    bench.add_argument("--quick", action="store_true", help="a few frames of one clip (checks the harness only)")
    bench.add_argument("--soak", type=float, default=None, metavar="MINUTES",
                       help="instead: run the live pipeline this long on a looping camera and report memory, file "
                            "descriptors, threads, queues and latency over time (soak-<date>.md)")
    bench.add_argument("--data", type=Path, default=None, help="folder with messi5.jpg, basketball1.png, vtest.avi")
    bench.add_argument("-o", "--out", "--output", dest="out", type=Path, default=Path("bench") / "results",
                       help="report folder (default bench/results)")
    bench.set_defaults(func=cmd_bench)


def cmd_info(args: argparse.Namespace) -> int:
    """``arsdk info``."""
    from ..info import collect_info

    info = collect_info(check_egl=not args.no_egl)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"arsdk {info['versions'].get('arsdk')}  python {info['python']}  {info['platform']}")
    for name, version in info["versions"].items():
        print(f"  {name:24s} {version or 'not installed'}")
    device = info["device"]
    cuda = ", ".join(device.get("cuda_devices", [])) or "none"
    print(f"device: {device['selected']} (CUDA devices: {cuda})")
    print(f"shaders: {info['shaders']}")
    if "egl" in info:
        print(f"EGL rendering: {'yes' if info['egl']['works'] else 'no'} - {info['egl']['detail']}")
    models = info["models"]
    if "error" in models:
        print(f"models: MISSING - {models['error']}")
    else:
        for name, path in models.items():
            if isinstance(path, dict):  # the body model: what it is rather than where
                path = ", ".join(f"{k} {v}" for k, v in path.items())
            print(f"model {name}: {path}")
    return 0


def cmd_weights(args: argparse.Namespace) -> int:
    """``arsdk weights list|check``."""
    from ..densepose_rcnn import MODEL_ZOO, check_checkpoint

    if args.weights_command == "list":
        print(f"{'model':38s} {'id':>10s}  {'file':24s} box/GPS/GPSm AP  download")
        for m in MODEL_ZOO:
            print(f"{m.config:38s} {m.model_id:>10d}  {m.file:24s} {m.box_ap:.1f}/{m.gps_ap:.1f}/{m.gpsm_ap:.1f}  {m.url}")
        print("arsdk downloads nothing: fetch a file yourself, then --estimator densepose --weights FILE")
        return 0
    if args.weights_command == "check":
        report, _ = check_checkpoint(args.file)
        ignored = f"; ignored {', '.join(report.ignored_keys)}" if report.ignored_keys else ""
        print(f"{args.file}: {report.variant.name}, {report.parameters:,} parameters, loads{ignored}")
        return 0
    raise ConfigError("use 'arsdk weights list' or 'arsdk weights check FILE'")


def cmd_cluster(args: argparse.Namespace) -> int:
    from ..cluster import Cluster, load_config, ray_available

    if not ray_available():
        raise ConfigError("arsdk cluster needs Ray Serve: pip install 'arsdk[cluster]'")
    config = load_config(args.sources)
    with Cluster(config, ray_address=args.ray_address) as cluster:
        print(f"arsdk cluster: {len(config.cameras)} streams, {config.estimator.replicas} {config.estimator.kind} "
              f"replicas; topics {', '.join(c.name + '@' + c.publish for c in config.cameras)}", file=sys.stderr)  # fmt: skip
        while True:
            stats = cluster.stats()
            print("  " + "; ".join(f"{n}: {s['published']} published, {s['dropped']} dropped, {s['gaps']} gaps"
                                   for n, s in stats.items()), file=sys.stderr)  # fmt: skip
            if not any(s["running"] for s in stats.values()):
                break
            time.sleep(args.stats_every)
        final = cluster.wait()
    errors = {n: s["error"] for n, s in final.items() if s["error"]}
    for name, error in errors.items():
        print(f"arsdk: stream {name} failed: {error}", file=sys.stderr)
    return 2 if errors else 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.soak is not None:
        if args.soak <= 0:
            raise ConfigError(f"--soak must be > 0 minutes, got {args.soak}")
        from ..bench.soak import main as soak_main
        from .builders import say

        path = soak_main(args.soak, args.out, progress=say)
        say(f"soak report written to {path.resolve()}")
        return 0
    import importlib.util

    missing = [m for m in ("matplotlib", "supervision", "imagezmq") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"arsdk bench needs {', '.join(missing)}: pip install 'arsdk[bench]'")
    from ..bench.run import main as bench_main

    argv = (["--quick"] if args.quick else []) + ["--out", str(args.out)]
    if args.data is not None:
        if not args.data.is_dir():
            raise ConfigError(f"--data {args.data} is not a folder")
        argv += ["--data", str(args.data)]
    return bench_main(argv)
