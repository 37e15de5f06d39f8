"""The estimator as a Ray Serve deployment: replicas with dynamic batching across streams.

Each request carries one frame of one stream. Requests are routed with the stream's name as Serve's
multiplexed model id, so a stream's frames keep going to the same replica while it lives; there the
stream has its own VIDEO-mode estimator (people followed from frame to frame). The DensePose R-CNN kind is
stateless: one model per replica runs each batch of frames in one pass (``infer_batch``).
"""

from __future__ import annotations

import logging

import numpy as np

from ..types import Frame, Person
from .config import EstimatorServiceConfig

__all__ = ["APP_NAME", "DEPLOYMENT_NAME", "build_app", "EstimatorRequest"]

log = logging.getLogger(__name__)

APP_NAME = "arsdk"
DEPLOYMENT_NAME = "ArsdkEstimator"

EstimatorRequest = tuple[str, int, float, np.ndarray]
"""(stream name, frame index, timestamp in ms, image BGR)."""


def _make_estimator(config: EstimatorServiceConfig):  # noqa: ANN202 - a PoseEstimator
    if config.kind == "densepose":
        from ..densepose_rcnn.model import DensePoseEstimator, DensePoseOptions

        return DensePoseEstimator(DensePoseOptions(config.weights, device="auto"))  # type: ignore[arg-type]
    from ..estimators.mediapipe_pose import MediaPipePoseEstimator, PoseEstimatorOptions, RunMode

    threads = max(1, int(config.cpus_per_replica))
    return MediaPipePoseEstimator(PoseEstimatorOptions(running_mode=RunMode.VIDEO, proposal_interval=5,
                                                       landmark_threads=threads))  # fmt: skip


def build_app(config: EstimatorServiceConfig, gpus_per_replica: float):  # noqa: ANN201 - a Serve Application
    """The Serve application of the estimator, sized by ``config``."""
    from ray import serve

    @serve.deployment(
        name=DEPLOYMENT_NAME,
        num_replicas=config.replicas,
        ray_actor_options={"num_cpus": config.cpus_per_replica, "num_gpus": gpus_per_replica},
        max_ongoing_requests=max(2 * config.max_batch_size, 4),
        health_check_period_s=2.0,
    )
    class EstimatorReplica:
        def __init__(self) -> None:
            self._shared = _make_estimator(config) if config.kind == "densepose" else None
            self._batch.set_max_batch_size(config.max_batch_size)
            self._batch.set_batch_wait_timeout_s(config.batch_wait_ms / 1000.0)

        @serve.multiplexed(max_num_models_per_replica=64)
        async def _stream_estimator(self, stream: str):  # noqa: ANN202
            return _StreamEstimator(_make_estimator(config))

        async def infer(self, request: EstimatorRequest) -> tuple[Person, ...]:
            """People of one frame of one stream."""
            return await self._batch(request)

        @serve.batch(max_batch_size=4, batch_wait_timeout_s=0.01)
        async def _batch(self, requests: list[EstimatorRequest]) -> list[tuple[Person, ...]]:
            frames = [Frame(image, index, timestamp_ms, stream) for stream, index, timestamp_ms, image in requests]
            if self._shared is not None:
                return self._shared.infer_batch(frames)
            out = []
            for frame in frames:
                holder = await self._stream_estimator(frame.source_id)
                out.append(holder.infer(frame))
            return out

    return EstimatorReplica.bind()


class _StreamEstimator:
    """A stream's estimator inside a replica; closed when Serve evicts it."""

    def __init__(self, estimator) -> None:  # noqa: ANN001
        self.estimator = estimator

    def infer(self, frame: Frame) -> tuple[Person, ...]:
        return self.estimator.infer(frame)

    def __del__(self) -> None:
        try:
            self.estimator.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
