"""Ray cluster on this machine: aggregate frames per second for 1, 2 and 4 streams through two estimator
replicas, beside the single-process pipeline, and the per-frame overhead of a Ray Serve round trip."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import MediaPipePoseEstimator, PersonTracker, Pipeline, PipelineOptions, PoseEstimatorOptions, RunMode, open_source
from ..compositor import Compositor, parse_effect
from ..transport.endpoints import free_loopback_endpoint

__all__ = ["run", "markdown"]


def _single_process(clip: Path, frames: int) -> float:
    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, proposal_interval=5)
    with open_source(clip) as source, MediaPipePoseEstimator(options) as estimator, Compositor([parse_effect("labels")]) as comp:
        stats = Pipeline(source, estimator, PersonTracker(), comp, options=PipelineOptions(max_frames=frames)).run()
    return stats.fps


def _round_trip_ms(repeats: int = 30) -> dict:
    """Milliseconds for a 640x480 frame to reach a Serve replica that does nothing and come back."""
    from ray import serve

    @serve.deployment(num_replicas=1, ray_actor_options={"num_cpus": 0.1})
    class Nothing:
        def __call__(self, image: np.ndarray) -> tuple:
            return image.shape

    handle = serve.run(Nothing.bind(), name="arsdk-bench-nothing", route_prefix=None)
    image = np.zeros((480, 640, 3), np.uint8)
    handle.remote(image).result()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        handle.remote(image).result()
        times.append((time.perf_counter() - start) * 1000.0)
    serve.delete("arsdk-bench-nothing")
    return {"p50": float(np.percentile(times, 50)), "p90": float(np.percentile(times, 90))}


def run(clip: Path, frames: int = 40, streams: tuple[int, ...] = (1, 2, 4)) -> dict:
    import ray

    from ..cluster import CameraConfig, Cluster, ClusterConfig, EstimatorServiceConfig

    out: dict = {"frames_per_stream": frames, "single_process_fps": _single_process(clip, frames), "streams": {}}
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False, namespace="arsdk")
    try:
        for n in streams:
            cameras = tuple(CameraConfig(f"bench{i}", str(clip), free_loopback_endpoint(), effects=("labels",), realtime=False,
                                         max_frames=frames) for i in range(n))  # fmt: skip
            config = ClusterConfig(cameras, EstimatorServiceConfig(replicas=2, max_batch_size=4, cpus_per_replica=0.5))
            with Cluster(config) as cluster:
                final = cluster.wait(timeout_s=900)
            first = min(s["first_publish_s"] for s in final.values() if s["first_publish_s"])
            last = max(s["last_publish_s"] for s in final.values() if s["last_publish_s"])
            published = sum(s["published"] for s in final.values())
            out["streams"][str(n)] = {"published": published, "aggregate_fps": published / max(last - first, 1e-6),
                                      "gaps": sum(s["gaps"] for s in final.values())}  # fmt: skip
        out["serve_round_trip_ms"] = _round_trip_ms()
    finally:
        from ray import serve

        serve.shutdown()
        ray.shutdown()
    return out


def markdown(result: dict) -> str:
    rows = ["## Ray cluster on this machine (2 CPU replicas, 2 cores)", "",
            "| streams | frames published | aggregate fps | gaps |", "| ---: | ---: | ---: | ---: |"]  # fmt: skip
    for n, r in result["streams"].items():
        rows.append(f"| {n} | {r['published']} | {r['aggregate_fps']:.1f} | {r['gaps']} |")
    trip = result["serve_round_trip_ms"]
    rows += ["", f"Single-process pipeline on the same clip: {result['single_process_fps']:.1f} fps. Overhead Ray Serve adds "
             f"per frame (a 640x480 frame to a replica that does nothing and back): p50 {trip['p50']:.1f} ms, "
             f"p90 {trip['p90']:.1f} ms. On one 2-core machine replicas only share the same cores; the cluster "
             "pays off with more machines (docs/cluster.md).", ""]  # fmt: skip
    return "\n".join(rows)
