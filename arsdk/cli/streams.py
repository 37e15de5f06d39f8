"""Commands around a published stream: ``keys``, ``view``, ``stats``, ``web``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import ConfigError, InputError
from .builders import say
from .parser import Parser, add_output, add_subscriber_options

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, example) -> None:  # noqa: ANN001, SLF001
    keys = sub.add_parser("keys", help="CURVE keys for encrypted, authenticated streams",
                          epilog=example("arsdk keys generate keys/ --client phone"))  # fmt: skip
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", parser_class=Parser)
    generate = keys_sub.add_parser("generate", help="server and client key pairs plus the allow-list")
    generate.add_argument("folder", type=Path)
    generate.add_argument("--client", action="append", default=None, help="client names (default: client)")
    keys.set_defaults(func=cmd_keys)

    view = sub.add_parser("view", help="show or record a published stream",
                          epilog=example("arsdk view tcp://127.0.0.1:5555 -o recording.mp4"))  # fmt: skip
    add_subscriber_options(view)
    add_output(view, "record to this video instead of showing a window")
    view.add_argument("--max-frames", type=int, default=None)
    view.add_argument("--timeout-ms", type=int, default=5000, help="give up after this long without a frame")
    view.set_defaults(func=cmd_view)

    stats = sub.add_parser("stats", help="fps, latency percentiles and drops of a published stream",
                           epilog=example("arsdk stats tcp://127.0.0.1:5555 --seconds 10"))  # fmt: skip
    add_subscriber_options(stats)
    stats.add_argument("--seconds", type=float, default=5.0)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_stats)

    web = sub.add_parser("web", help="serve a browser AR front-end for a published stream",
                         epilog=example("arsdk web tcp://127.0.0.1:5555 --port 8080"))  # fmt: skip
    add_subscriber_options(web)
    web.add_argument("--port", type=int, default=8080)
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--all-interfaces", action="store_true", help="allow serving on a non-loopback address")
    web.set_defaults(func=cmd_web)


def cmd_keys(args: argparse.Namespace) -> int:
    """``arsdk keys generate``."""
    from ..transport import generate_keys

    if args.keys_command != "generate":
        raise ConfigError("use 'arsdk keys generate DIR'")
    folder = generate_keys(args.folder, tuple(args.client or ["client"]))
    say(f"keys written to {folder.resolve()}: give subscribers the folder's <client>.key_secret and server.key")
    return 0


def _subscriber(args: argparse.Namespace, mode=None):  # noqa: ANN001, ANN202
    from ..transport import ReceiveMode, Subscriber

    return Subscriber(args.endpoint, mode=mode or ReceiveMode.LATEST, curve_keys=args.curve_keys,
                      client_name=args.client_name)  # fmt: skip


def _curve_hint(args: argparse.Namespace) -> str:
    """What else keeps frames away: encryption (a publisher with CURVE keys sends nothing to others)."""
    if args.curve_keys is None:
        return (" If it was started with --curve-keys it sends only to allowed clients: pass --curve-keys DIR "
                "(the folder from 'arsdk keys generate' with your client's key pair)")
    return (f" With --curve-keys, check that the publisher uses the same keys and allows the client "
            f"'{args.client_name}' (its public key in allowed_clients/)")


def cmd_view(args: argparse.Namespace) -> int:
    """``arsdk view``."""
    import cv2

    from ..sinks import display_available

    if args.out is None and not display_available():
        raise ConfigError("no display to show a window on; record with --out FILE instead")
    writer, shown = None, 0
    with _subscriber(args) as sub:
        while args.max_frames is None or shown < args.max_frames:
            packet = sub.receive(timeout_ms=args.timeout_ms)
            if packet is None:
                if shown == 0:
                    raise InputError(f"nothing received from {args.endpoint} in {args.timeout_ms} ms; is the publisher "
                                     f"running?{_curve_hint(args)}")  # fmt: skip
                break
            if args.out is not None:
                if writer is None:
                    from ..sinks import VideoFileSink

                    writer = VideoFileSink(args.out, fps=10.0)
                from ..types import Frame, FrameResult

                writer.write(FrameResult(Frame(packet.image_bgr.copy(), shown, 0.0), ()))
            else:
                cv2.imshow(f"arsdk view {args.endpoint}", packet.image_bgr)
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    break
            shown += 1
    if writer is not None:
        writer.close()
        say(f"{shown} frames recorded to {args.out.resolve()}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """``arsdk stats``."""
    import time

    import numpy as np

    from ..transport import ReceiveMode

    latencies, sequences, pipeline = [], [], []
    with _subscriber(args, ReceiveMode.ALL) as sub:
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            packet = sub.receive(timeout_ms=100)
            if packet is not None:
                latencies.append(packet.latency_ms)
                sequences.append(packet.header["seq"])
                if isinstance(packet.header.get("capture_to_send_ms"), (int, float)):
                    pipeline.append(float(packet.header["capture_to_send_ms"]))
        stats = sub.stats
    if not latencies:
        raise InputError(f"nothing received from {args.endpoint} in {args.seconds:.0f} s; is the publisher running?"
                         f"{_curve_hint(args)}")  # fmt: skip
    missed = (max(sequences) - min(sequences) + 1) - len(set(sequences))

    def percentiles(values: list[float]) -> dict[str, float] | None:
        return {f"p{p}": float(np.percentile(values, p)) for p in (50, 90, 99)} if values else None

    report = {
        "frames": len(latencies),
        "fps": len(latencies) / args.seconds,
        "latency_ms": percentiles(latencies),
        "capture_to_send_ms": percentiles(pipeline),
        "missed_by_sequence": int(missed),
        "dropped_malformed": stats.dropped_malformed,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        lat, cap = report["latency_ms"], report["capture_to_send_ms"]
        capture = (f"capture to send p50 {cap['p50']:.1f} ms, p99 {cap['p99']:.1f} ms; " if cap else "")
        print(f"{report['frames']} frames, {report['fps']:.1f} fps; {capture}send to receive p50 {lat['p50']:.1f} ms, "
              f"p90 {lat['p90']:.1f} ms, p99 {lat['p99']:.1f} ms; missed {missed}; malformed {stats.dropped_malformed}")  # fmt: skip
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    """``arsdk web``."""
    from ..transport.web import WebBridge

    bridge = WebBridge(args.endpoint, args.host, args.port, curve_keys=args.curve_keys, client_name=args.client_name,
                       allow_all_interfaces=args.all_interfaces)  # fmt: skip
    say(f"serving http://{args.host}:{args.port}/ for {args.endpoint} (Ctrl-C stops)")
    bridge.serve_forever()
    return 0
