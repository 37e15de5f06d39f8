"""Soaks of the live pipeline: 45 seconds in the default run, 2 minutes with ``--runslow`` (the report's run is
20 minutes: `arsdk bench --soak 20`)."""

import pytest

from arsdk.bench.soak import markdown, run


def _check(result: dict, min_frames: int) -> None:
    v = result["verdict"]
    assert v["frames"] > min_frames, "frames reached the subscriber"
    assert v["rss_growth_after_first_window"] < 0.10
    assert v["fds"][1] - v["fds"][0] <= 2
    assert v["threads"][1] - v["threads"][0] <= 2
    assert v["latency_p99_ratio"] is not None and v["latency_p99_ratio"] <= 2.0
    assert v["max_queue_depth"] <= 1, "a live source never queues frames behind the estimator"


def test_forty_five_seconds_of_live_pipeline_keep_memory_descriptors_threads_and_latency_flat():
    result = run(0.75, sample_every_s=2.5, window_s=15.0)
    _check(result, min_frames=60)
    report = markdown(result)
    assert "RSS growth after the first 15 s" in report and "latency p99, first / last 15 s" in report


@pytest.mark.slow
def test_two_minutes_of_live_pipeline_keep_memory_descriptors_threads_and_latency_flat():
    result = run(2.0, sample_every_s=5.0)
    _check(result, min_frames=200)
    assert "Soak: 2 minutes" in markdown(result)
    assert "RSS growth after the first minute" in markdown(result)
