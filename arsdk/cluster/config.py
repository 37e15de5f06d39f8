"""``cameras.toml``: the cameras of an installation and how the estimator is served.

Example::

    [estimator]
    replicas = 2               # Ray Serve replicas
    max_batch_size = 4         # frames of several streams batched per call
    batch_wait_ms = 10
    gpus_per_replica = "auto"  # 1 when the cluster has GPUs, else 0 (CPU replicas)
    cpus_per_replica = 1.0
    kind = "mediapipe"         # or "densepose" with weights = "model_final_162be9.pkl"

    [[camera]]
    name = "entrance"                      # the ZeroMQ topic
    source = "rtsp://10.0.0.21/stream1"    # anything open_source() takes
    publish = "tcp://127.0.0.1:5601"       # where this stream's publisher binds
    node = "10.0.0.21"                     # optional: run capture on the Ray node with this IP
    effects = ["texture", "labels"]
"""

from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..transport.endpoints import check_bind_endpoint

__all__ = ["CameraConfig", "EstimatorServiceConfig", "ClusterConfig", "load_config"]


@dataclass(frozen=True, slots=True)
class CameraConfig:
    """One stream.

    Attributes:
        name: stream name and ZeroMQ topic (letters, digits, ``-``, ``_``).
        source: camera index, file, or URL (see :func:`arsdk.open_source`).
        publish: endpoint its publisher binds (loopback unless ``allow_all_interfaces``).
        node: IP of the Ray node the capture must run on (where the camera is); None: anywhere.
        effects: compositor effects, as on the command line.
        realtime: replay files at their frame rate, dropping frames while the estimator is busy (as a
            camera would); False processes every frame of a file.
        max_frames: stop after this many frames (None: until the source ends).
    """

    name: str
    source: str
    publish: str
    node: str | None = None
    effects: tuple[str, ...] = ("texture", "labels")
    realtime: bool = True
    max_frames: int | None = None

    def __post_init__(self) -> None:
        if not self.name or not all(c.isalnum() or c in "-_" for c in self.name):
            raise ConfigError(f"camera name {self.name!r}: use letters, digits, '-' and '_'")
        if self.max_frames is not None and self.max_frames < 1:
            raise ConfigError(f"camera {self.name}: max_frames must be >= 1")


@dataclass(frozen=True, slots=True)
class EstimatorServiceConfig:
    """The estimator as Ray Serve replicas.

    Attributes:
        replicas: number of replicas (Serve restarts any that die).
        max_batch_size: most frames (of any streams) one call handles.
        batch_wait_ms: how long a replica waits to fill a batch.
        gpus_per_replica: ``auto`` (1 when the cluster has GPUs), or a number.
        cpus_per_replica: CPUs Ray reserves per replica.
        kind: ``mediapipe`` (the CPU default) or ``densepose`` (DensePose R-CNN; needs ``weights``).
        weights: DensePose R-CNN checkpoint, readable on every node.
    """

    replicas: int = 2
    max_batch_size: int = 4
    batch_wait_ms: float = 10.0
    gpus_per_replica: float | str = "auto"
    cpus_per_replica: float = 1.0
    kind: str = "mediapipe"
    weights: str | None = None

    def __post_init__(self) -> None:
        if self.replicas < 1 or self.max_batch_size < 1 or self.batch_wait_ms < 0 or self.cpus_per_replica <= 0:
            raise ConfigError("[estimator]: replicas and max_batch_size >= 1, batch_wait_ms >= 0, cpus_per_replica > 0")
        if self.gpus_per_replica != "auto" and not (isinstance(self.gpus_per_replica, (int, float)) and self.gpus_per_replica >= 0):
            raise ConfigError(f"[estimator] gpus_per_replica must be 'auto' or a number >= 0, got {self.gpus_per_replica!r}")
        if self.kind not in ("mediapipe", "densepose"):
            raise ConfigError(f"[estimator] kind must be mediapipe or densepose, got {self.kind!r}")
        if self.kind == "densepose" and not self.weights:
            raise ConfigError("[estimator] kind = 'densepose' needs weights = 'checkpoint.pkl' ('arsdk weights list')")


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Everything ``arsdk cluster`` runs."""

    cameras: tuple[CameraConfig, ...]
    estimator: EstimatorServiceConfig = field(default_factory=EstimatorServiceConfig)
    allow_all_interfaces: bool = False

    def __post_init__(self) -> None:
        if not self.cameras:
            raise ConfigError("no [[camera]] in the configuration")
        names = [c.name for c in self.cameras]
        if len(set(names)) != len(names):
            raise ConfigError(f"camera names must be unique: {names}")
        endpoints = [c.publish for c in self.cameras]
        if len(set(endpoints)) != len(endpoints):
            raise ConfigError(f"each camera needs its own publish endpoint: {endpoints}")
        for camera in self.cameras:
            check_bind_endpoint(camera.publish, self.allow_all_interfaces)


def load_config(path: str | Path) -> ClusterConfig:
    """Read and check ``cameras.toml``.

    Raises:
        ConfigError: missing file, TOML syntax, unknown keys, bad values (the message names them).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file; see docs/cluster.md for an example cameras.toml")
    try:
        doc = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(doc) - {"camera", "estimator", "allow_all_interfaces"}
    if unknown:
        raise ConfigError(f"{path}: unknown sections {sorted(unknown)}; expected [[camera]] and [estimator]")
    cameras = []
    for index, entry in enumerate(doc.get("camera", [])):
        extra = set(entry) - set(CameraConfig.__dataclass_fields__)
        if extra or "name" not in entry or "source" not in entry:
            raise ConfigError(f"{path}: camera #{index + 1} needs name and source; unknown keys {sorted(extra)}")
        entry = dict(entry)
        entry["source"] = str(entry["source"])
        entry.setdefault("publish", f"tcp://127.0.0.1:{5601 + index}")
        if "effects" in entry:
            entry["effects"] = tuple(entry["effects"])
        cameras.append(CameraConfig(**entry))
    service = doc.get("estimator", {})
    extra = set(service) - set(EstimatorServiceConfig.__dataclass_fields__)
    if extra:
        raise ConfigError(f"{path}: unknown [estimator] keys {sorted(extra)}")
    return ClusterConfig(tuple(cameras), EstimatorServiceConfig(**service), bool(doc.get("allow_all_interfaces", False)))
