"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return float(np.median(times))


def percentiles(values_ms) -> dict[str, float]:  # noqa: ANN001 - any sequence of numbers
    """p50, p90, p99 and mean of ``values_ms`` (empty: {})."""
    if len(values_ms) == 0:
        return {}
    arr = np.asarray(values_ms, np.float64)
    return {"p50": float(np.percentile(arr, 50)), "p90": float(np.percentile(arr, 90)),
            "p99": float(np.percentile(arr, 99)), "mean": float(arr.mean())}  # fmt: skip
