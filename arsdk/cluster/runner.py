"""``arsdk cluster``: start (or join) Ray, serve the estimator, run one stream actor per camera."""

from __future__ import annotations

import logging
import time

from ..errors import ConfigError
from .config import ClusterConfig
from .serving import APP_NAME, build_app

__all__ = ["ray_available", "Cluster"]

log = logging.getLogger(__name__)


def ray_available() -> bool:
    """Whether Ray Serve is installed (``pip install 'arsdk[cluster]'``)."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None and importlib.util.find_spec("ray.serve") is not None


class Cluster:
    """The streams of ``config`` on Ray. A context manager.

    Args:
        config: cameras and estimator service.
        ray_address: an existing cluster (``ray://head:10001`` or ``head:6379``); None starts a local Ray
            instance bound to 127.0.0.1 (stopped again on close).
        num_cpus: CPUs of the local instance (None: all).

    Example:
        >>> with Cluster(load_config("cameras.toml")) as cluster:  # doctest: +SKIP
        ...     cluster.wait()
        ...     print(cluster.stats())
    """

    def __init__(self, config: ClusterConfig, ray_address: str | None = None, num_cpus: int | None = None) -> None:
        if not ray_available():
            raise ConfigError("arsdk cluster needs Ray Serve: pip install 'arsdk[cluster]'")
        self.config = config
        self.ray_address = ray_address
        self.num_cpus = num_cpus
        self._started_ray = False
        self._workers: dict[str, object] = {}
        self._runs: dict[str, object] = {}

    def start(self) -> Cluster:
        """Start Ray (or connect), deploy the estimator replicas, start every stream."""
        import ray
        from ray import serve

        from .stream import StreamWorker

        if not ray.is_initialized():
            if self.ray_address is None:
                ray.init(num_cpus=self.num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                         log_to_driver=False, namespace="arsdk")  # fmt: skip
            else:
                ray.init(address=self.ray_address, log_to_driver=False, namespace="arsdk")
            self._started_ray = True
        serve.start(proxy_location="Disabled")  # no HTTP: streams call the replicas through Ray
        service = self.config.estimator
        gpus = service.gpus_per_replica
        if gpus == "auto":
            gpus = 1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
        log.info("serving the %s estimator: %d replicas, %s GPU each", service.kind, service.replicas, gpus)
        serve.run(build_app(service, float(gpus)), name=APP_NAME, route_prefix=None)
        remote = ray.remote(StreamWorker)
        for camera in self.config.cameras:
            options: dict = {"num_cpus": 0.25, "max_concurrency": 4, "name": f"arsdk-stream-{camera.name}"}
            if camera.node is not None:
                options["resources"] = {f"node:{camera.node}": 0.001}  # capture runs where the camera is
            worker = remote.options(**options).remote(camera)
            self._workers[camera.name] = worker
            self._runs[camera.name] = worker.run.remote()
        return self

    def stats(self) -> dict[str, dict]:
        """Every stream's counters, by camera name."""
        import ray

        return {name: ray.get(worker.stats.remote(), timeout=30) for name, worker in self._workers.items()}

    def wait(self, timeout_s: float | None = None) -> dict[str, dict]:
        """Wait for the streams to end (sources ended or ``max_frames``); their final counters."""
        import ray

        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        out = {}
        for name, ref in self._runs.items():
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            out[name] = ray.get(ref, timeout=remaining)
        return out

    def close(self) -> None:
        """Stop the streams, remove the estimator application, and stop Ray if this object started it."""
        import ray
        from ray import serve

        for worker in self._workers.values():
            try:
                ray.get(worker.stop.remote(), timeout=10)
            except Exception:  # noqa: BLE001 - already gone
                pass
        for ref in self._runs.values():
            try:
                ray.get(ref, timeout=30)
            except Exception:  # noqa: BLE001
                pass
        self._workers.clear()
        self._runs.clear()
        if ray.is_initialized():
            try:
                serve.delete(APP_NAME)
                if self._started_ray:
                    serve.shutdown()
            except Exception as exc:  # noqa: BLE001
                log.debug("serve shutdown: %s", exc)
            if self._started_ray:
                ray.shutdown()
                self._started_ray = False

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
