"""Soak: the live pipeline for minutes on a looping camera, sampling what must stay flat.

A looping HTTP MJPEG camera on 127.0.0.1 (:class:`~arsdk.bench.cameras.MjpegHttpServer`, the sample clip
at 10 fps) -> the default estimator -> tracker -> swap and labels -> a publisher on 127.0.0.1 -> a
subscriber on its own thread. Every ``sample_every_s`` seconds: resident memory, open file descriptors,
threads (the kernel's count, native ones included), the pipeline's queue depths, and the end-to-end
latency of the frames received since the last sample (capture to send, from the header, plus send to
receive).

``arsdk bench --soak MINUTES`` writes ``soak-<date>.json``, ``.md`` and ``.png`` beside the bench report.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
from pathlib import Path

import numpy as np

__all__ = ["run", "verdict", "markdown", "plot", "main"]


def _threads() -> int:
    """The kernel's count of this process's threads (native ones included)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def run(minutes: float, sample_every_s: float = 5.0, clip: Path | None = None, progress=print,  # noqa: ANN001
        window_s: float = 60.0) -> dict:
    """Run the soak; returns ``{"minutes", "window_s", "samples": [...], "verdict"}``.

    ``window_s`` is the settling window: memory, descriptors and threads are judged after it, and latency
    p99 of the last window against the first (one minute in the report; shorter for a quick check).
    """
    from ..cli import sample_clip
    from ..compositor import Compositor, LabelsEffect, SwapEffect
    from ..estimators import MediaPipePoseEstimator, PoseEstimatorOptions, RunMode
    from ..pipeline import Pipeline
    from ..sources import SourceOptions, open_source
    from ..tracking import PersonTracker
    from ..transport import Publisher, ReceiveMode, Subscriber
    from ..transport.endpoints import free_loopback_endpoint
    from .memory import rss_mb
    from .cameras import MjpegHttpServer
    from .clips import read_frames

    frames = read_frames(clip or sample_clip(), 100)
    endpoint = free_loopback_endpoint()
    latencies: list[float] = []
    lock = threading.Lock()
    done = threading.Event()
    samples: list[dict] = []

    def subscribe() -> None:
        with Subscriber(endpoint, mode=ReceiveMode.LATEST) as sub:
            while not done.is_set():
                packet = sub.receive(timeout_ms=200)
                if packet is None:
                    continue
                capture = packet.header.get("capture_to_send_ms")
                if isinstance(capture, (int, float)):
                    with lock:
                        latencies.append(float(capture) + max(packet.latency_ms, 0.0))

    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, proposal_interval=5, background_proposals=True)
    with MjpegHttpServer(frames, fps=10.0) as camera, \
            open_source(camera.url, SourceOptions(open_timeout_ms=5000, read_timeout_ms=5000)) as source, \
            MediaPipePoseEstimator(options) as estimator, \
            Publisher(endpoint, "soak") as publisher:  # fmt: skip
        subscriber = threading.Thread(target=subscribe, name="soak-subscriber", daemon=True)
        subscriber.start()
        pipeline = Pipeline(source, estimator, tracker=PersonTracker(),
                            compositor=Compositor([SwapEffect(), LabelsEffect()]), sinks=[publisher])  # fmt: skip
        runner = threading.Thread(target=pipeline.run, name="soak-pipeline", daemon=True)
        start = time.monotonic()
        runner.start()
        end = start + minutes * 60.0
        next_sample = start + sample_every_s
        while time.monotonic() < end and runner.is_alive():
            time.sleep(max(0.0, min(next_sample, end) - time.monotonic()))
            with lock:
                window, latencies[:] = list(latencies), []
            samples.append({
                "t_s": round(time.monotonic() - start, 1),
                "rss_mb": round(rss_mb(), 1),
                "fds": len(os.listdir("/proc/self/fd")),
                "threads": _threads(),
                "queues": pipeline.queue_depths(),
                "frames": len(window),
                "latency_p50_ms": round(float(np.percentile(window, 50)), 1) if window else None,
                "latency_p99_ms": round(float(np.percentile(window, 99)), 1) if window else None,
            })  # fmt: skip
            if len(samples) % max(1, int(window_s / sample_every_s)) == 0:
                progress(f"soak: {samples[-1]['t_s'] / 60:.1f} min, RSS {samples[-1]['rss_mb']} MB, "
                         f"latency p99 {samples[-1]['latency_p99_ms']} ms")  # fmt: skip
            next_sample += sample_every_s
        pipeline.stop()
        runner.join(timeout=30)
        done.set()
        subscriber.join(timeout=10)
    return {"minutes": minutes, "sample_every_s": sample_every_s, "window_s": window_s, "samples": samples,
            "verdict": verdict(samples, sample_every_s, window_s)}  # fmt: skip


def verdict(samples: list[dict], sample_every_s: float, window_s: float = 60.0) -> dict:
    """The soak's measures: RSS growth after the first window, file descriptors and threads after the first
    window (min, max), and end-to-end latency p99 of the last window against the first window's."""
    per_window = max(1, int(round(window_s / sample_every_s)))
    settled = samples[per_window - 1 :] if len(samples) >= per_window else samples
    first, last = samples[:per_window], samples[-per_window:]

    def p99(window: list[dict]) -> float | None:
        values = [s["latency_p99_ms"] for s in window if s["latency_p99_ms"] is not None]
        return float(np.median(values)) if values else None

    growth = (settled[-1]["rss_mb"] - settled[0]["rss_mb"]) / settled[0]["rss_mb"] if settled else None
    first_p99, last_p99 = p99(first), p99(last)
    return {
        "rss_growth_after_first_window": growth,
        "fds": [min(s["fds"] for s in settled), max(s["fds"] for s in settled)] if settled else None,
        "threads": [min(s["threads"] for s in settled), max(s["threads"] for s in settled)] if settled else None,
        "latency_p99_first_window_ms": first_p99,
        "latency_p99_last_window_ms": last_p99,
        "latency_p99_ratio": (last_p99 / first_p99) if first_p99 and last_p99 else None,
        "max_queue_depth": max((max(s["queues"].values(), default=0) for s in samples), default=0),
        "frames": sum(s["frames"] for s in samples),
    }


def markdown(result: dict, plot_name: str | None = None) -> str:
    """The soak as a Markdown section: the verdict against its targets and a table of samples."""
    v = result["verdict"]
    growth = v["rss_growth_after_first_window"]
    window = _window_name(result.get("window_s", 60.0))
    lines = [
        f"## Soak: {result['minutes']:g} minutes of the live pipeline",
        "",
        "A looping 10 fps HTTP MJPEG camera on 127.0.0.1 -> estimator -> tracker -> swap + labels -> publisher "
        f"-> a subscriber. Targets: RSS after the first {window} grows < 5%; file descriptors and threads "
        f"constant; latency p99 of the last {window} within 1.2x of the first {window}'s.",
        "",
        "| measure | value | target |",
        "| --- | ---: | --- |",
        f"| RSS growth after the first {window} | {100 * growth:.1f}% | < 5% |" if growth is not None else "| RSS growth | - | < 5% |",
        f"| open file descriptors (min, max after the first {window}) | {v['fds'][0]}, {v['fds'][1]} | constant |",
        f"| threads (min, max after the first {window}) | {v['threads'][0]}, {v['threads'][1]} | constant |",
        f"| end-to-end latency p99, first / last {window} | {v['latency_p99_first_window_ms']:.0f} / "
        f"{v['latency_p99_last_window_ms']:.0f} ms (ratio {v['latency_p99_ratio']:.2f}) | <= 1.2x |"
        if v["latency_p99_ratio"] is not None else "| latency p99 | - | <= 1.2x |",
        f"| deepest queue between pipeline threads | {v['max_queue_depth']} | bounded (queue_size) |",
        f"| frames received | {v['frames']} | |",
        "",
    ]
    if plot_name:
        lines += [f"![soak]({plot_name})", ""]
    lines += ["| t (s) | RSS (MB) | fds | threads | frames | latency p50 / p99 (ms) |", "| ---: | ---: | ---: | ---: | ---: | --- |"]
    step = max(1, len(result["samples"]) // 20)
    for s in result["samples"][::step]:
        lines.append(f"| {s['t_s']:.0f} | {s['rss_mb']:.1f} | {s['fds']} | {s['threads']} | {s['frames']} | "
                     f"{s['latency_p50_ms']} / {s['latency_p99_ms']} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _window_name(window_s: float) -> str:
    return "minute" if window_s == 60.0 else f"{window_s:g} s"


def plot(result: dict, path: Path) -> None:
    """RSS, threads and latency p99 over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [s["t_s"] / 60.0 for s in result["samples"]]
    fig, axes = plt.subplots(3, 1, figsize=(7, 6), sharex=True)
    axes[0].plot(t, [s["rss_mb"] for s in result["samples"]])
    axes[0].set_ylabel("RSS (MB)")
    axes[1].plot(t, [s["threads"] for s in result["samples"]], label="threads")
    axes[1].plot(t, [s["fds"] for s in result["samples"]], label="file descriptors")
    axes[1].legend()
    axes[2].plot(t, [s["latency_p99_ms"] for s in result["samples"]])
    axes[2].set_ylabel("latency p99 (ms)")
    axes[2].set_xlabel("minutes")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(minutes: float, out: Path, progress=print) -> Path:  # noqa: ANN001
    """Run the soak and write ``soak-<date>.json/.md/.png`` into ``out``; returns the Markdown path."""
    out.mkdir(parents=True, exist_ok=True)
    result = run(minutes, progress=progress)
    stem = f"soak-{datetime.date.today().isoformat()}"
    (out / f"{stem}.json").write_text(json.dumps(result, indent=1))
    plot(result, out / f"{stem}.png")
    path = out / f"{stem}.md"
    path.write_text(markdown(result, f"{stem}.png"))
    return path
