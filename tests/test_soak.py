"""A 2-minute soak of the live pipeline (the report's run is 20 minutes: `arsdk bench --soak 20`)."""

from arsdk.bench.soak import markdown, run


def test_two_minutes_of_live_pipeline_keep_memory_descriptors_threads_and_latency_flat():
    result = run(2.0, sample_every_s=5.0)
    v = result["verdict"]
    assert v["frames"] > 200, "frames reached the subscriber"
    assert v["rss_growth_after_first_minute"] < 0.10
    assert v["fds"][1] - v["fds"][0] <= 2
    assert v["threads"][1] - v["threads"][0] <= 2
    assert v["latency_p99_ratio"] is not None and v["latency_p99_ratio"] <= 2.0
    assert v["max_queue_depth"] <= 1, "a live source never queues frames behind the estimator"
    assert "Soak: 2 minutes" in markdown(result)
