"""Thread helpers shared by the pipeline and the estimators."""

from __future__ import annotations

import logging
import os
import threading

__all__ = ["lower_thread_priority"]

log = logging.getLogger(__name__)


def lower_thread_priority(niceness: int = 10) -> None:
    """Lower the calling thread's scheduling priority (Linux threads have their own nice value); where that
    is not possible (not Linux, not permitted) the thread keeps its priority."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError) as exc:
        log.debug("could not lower the thread priority: %s", exc)
