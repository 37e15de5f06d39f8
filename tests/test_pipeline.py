"""The threaded pipeline on the sample clip, with the real estimator."""

import threading

import numpy as np
import pytest

from arsdk import (
    ConfigError,
    MarkPersons,
    MediaPipePoseEstimator,
    Pipeline,
    PipelineOptions,
    PoseEstimatorOptions,
    RunMode,
    open_source,
)
from arsdk.info import egl_status


class CollectSink:
    def __init__(self):
        self.results = []
        self.closed = 0
        self.threads = set()

    def write(self, result):
        self.threads.add(threading.current_thread().name)
        self.results.append(result)

    def close(self):
        self.closed += 1


class FailingSink:
    def __init__(self, after: int):
        self.after, self.seen = after, 0

    def write(self, result):
        self.seen += 1
        if self.seen > self.after:
            raise OSError("disk full")

    def close(self):
        pass


@pytest.fixture(scope="module")
def video_estimator():
    with MediaPipePoseEstimator(PoseEstimatorOptions(running_mode=RunMode.VIDEO, proposal_interval=5)) as est:
        yield est


def test_pipeline_processes_every_file_frame_in_order_and_times_each_stage(sample_clip, video_estimator):
    sink = CollectSink()
    video_estimator.reset()
    with open_source(sample_clip) as source:
        pipeline = Pipeline(source, video_estimator, compositor=MarkPersons(), sinks=[sink],
                            options=PipelineOptions(max_frames=12))  # fmt: skip
        stats = pipeline.run()
    assert stats.frames == 12 and [r.frame.index for r in sink.results] == list(range(12))
    assert sink.threads == {"arsdk-writer"}, "sinks run in the writer thread"
    assert stats.persons == sum(len(r.persons) for r in sink.results) >= 12 * 4
    for name in ("capture", "estimator", "compositor", "sinks"):
        assert len(stats.stage_ms[name]) == 12
    assert "estimator.landmarks" in stats.stage_ms and "estimator.proposals_detector" in stats.stage_ms
    assert set(stats.percentiles()["estimator"]) == {"p50", "p90", "p99", "mean", "count"}
    assert stats.percentiles()["estimator"]["count"] == stats.frames
    first = sink.results[0]
    assert first.image_bgr is not None and first.image_bgr is not first.frame.image_bgr
    # people are marked: the output differs from the frame inside every person box, and barely outside
    changed = np.any(first.image_bgr != first.frame.image_bgr, axis=2)
    for person in first.persons:
        x0, y0, x1, y1 = person.box_xyxy.astype(int)
        assert changed[y0:y1, x0:x1].mean() > 0.1
    assert changed.mean() < 0.25


def test_the_dense_stage_runs_on_the_post_thread_and_goes_back_to_the_estimator(sample_clip, video_estimator):
    video_estimator.reset()
    sink = CollectSink()
    with open_source(sample_clip) as source:
        stats = Pipeline(source, video_estimator, sinks=[sink], options=PipelineOptions(max_frames=3)).run()
    assert all(p.iuv is not None for r in sink.results for p in r.persons if p.landmarks is not None)
    assert len(stats.stage_ms["estimator.dense_iuv"]) == 3  # timed under the same name on the post thread
    video_estimator.reset()
    with open_source(sample_clip) as source:
        frame = source.read()
    assert any(p.iuv is not None for p in video_estimator.infer(frame))  # the estimator has its stage back


def test_a_failing_sink_stops_the_run_with_its_error(sample_clip, video_estimator):
    video_estimator.reset()
    with open_source(sample_clip) as source:
        pipeline = Pipeline(source, video_estimator, sinks=[FailingSink(after=2)])
        with pytest.raises(OSError, match="disk full"):
            pipeline.run()


def test_stop_ends_the_run_early(sample_clip, video_estimator):
    video_estimator.reset()
    with open_source(sample_clip) as source:
        pipeline = Pipeline(source, video_estimator)
        seen = []

        def on_result(result):
            seen.append(result.frame.index)
            if len(seen) == 3:
                pipeline.stop()

        stats = pipeline.run(on_result)
    assert 3 <= stats.frames < 100


def test_pipeline_options_are_range_checked():
    with pytest.raises(ConfigError, match="max_frames"):
        PipelineOptions(max_frames=0)
    with pytest.raises(ConfigError, match="blas_threads"):
        PipelineOptions(blas_threads=0)


def _blas_threads():
    from threadpoolctl import threadpool_info

    return {info["filepath"]: info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


def _numpy_blas(threads_by_library):
    return next(n for path, n in threads_by_library.items() if "numpy" in path)


@pytest.mark.parametrize("blas_threads", [1, None])
def test_blas_runs_on_one_thread_while_the_pipeline_runs_and_as_before_after(sample_clip, video_estimator,
                                                                             blas_threads):
    """numpy's BLAS helper threads only take the cores the pipeline's own threads need (PipelineOptions)."""
    from threadpoolctl import threadpool_limits

    video_estimator.reset()
    with threadpool_limits(limits=2, user_api="blas"):  # as on a 2-core machine, whatever this one has
        before = _blas_threads()
        assert _numpy_blas(before) == 2
        during = []
        with open_source(sample_clip) as source:
            options = PipelineOptions(max_frames=2, blas_threads=blas_threads)
            Pipeline(source, video_estimator, options=options).run(lambda _: during.append(_blas_threads()))
        assert len(during) == 2
        assert all(_numpy_blas(d) == (1 if blas_threads == 1 else 2) for d in during)
        assert _blas_threads() == before


def test_overlapping_runs_restore_blas_whatever_order_they_end_in():
    """Two pipelines in one process: the first to end must not undo the limit the other still runs under,
    and the last to end restores what was there before either began."""
    from threadpoolctl import threadpool_limits

    from arsdk.pipeline import blas_threads_limited

    with threadpool_limits(limits=2, user_api="blas"):
        first, second = blas_threads_limited(1), blas_threads_limited(1)
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        assert _numpy_blas(_blas_threads()) == 1  # the second run still goes on
        second.__exit__(None, None, None)
        assert _numpy_blas(_blas_threads()) == 2


def test_egl_offscreen_rendering_works_here():
    works, detail = egl_status()
    assert works, detail
