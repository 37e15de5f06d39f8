"""Peak resident memory of this process while a block runs (Linux: sampled from /proc/self/statm)."""

from __future__ import annotations

import os
import resource
import threading

__all__ = ["PeakMemory", "process_peak_mb"]

_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 4096 / 2**20


def rss_mb() -> float:
    """The process's resident memory now, in MiB."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE_MB
    except OSError:
        return process_peak_mb()


def process_peak_mb() -> float:
    """The process's peak resident set since it started (``ru_maxrss``), in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class PeakMemory:
    """Samples the resident set every ``interval_s`` while the block runs.

    Example:
        >>> with PeakMemory() as memory:  # doctest: +SKIP
        ...     run_pipeline()
        >>> memory.peak_mb, memory.start_mb
    """

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.start_mb = self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak_mb = max(self.peak_mb, rss_mb())

    def __enter__(self) -> PeakMemory:
        self.start_mb = self.peak_mb = rss_mb()
        self._thread = threading.Thread(target=self._sample, name="arsdk-bench-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb())
