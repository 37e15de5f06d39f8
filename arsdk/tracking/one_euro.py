"""The One Euro filter (Casiez, Roussel, Vogel, CHI 2012): little smoothing when things move fast, much when
they are still, so jitter goes away without lag on quick moves. Vectorised over any array shape."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError

__all__ = ["OneEuroFilter"]


class OneEuroFilter:
    """Smooths a stream of arrays of one shape.

    Args:
        min_cutoff_hz: cut-off frequency when still (lower = smoother, more lag when slow).
        beta: how fast the cut-off rises with speed (higher = less lag on fast moves).
        derivative_cutoff_hz: cut-off of the speed estimate.
    """

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 0.05, derivative_cutoff_hz: float = 1.0) -> None:
        if min_cutoff_hz <= 0 or derivative_cutoff_hz <= 0 or beta < 0:
            raise ConfigError("One Euro filter: cut-offs must be > 0 and beta >= 0")
        self.min_cutoff_hz, self.beta, self.derivative_cutoff_hz = min_cutoff_hz, beta, derivative_cutoff_hz
        self._value: np.ndarray | None = None
        self._derivative: np.ndarray | None = None
        self._time_s: float | None = None

    @staticmethod
    def _alpha(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * cutoff_hz)
        return 1.0 / (1.0 + tau / dt)

    def reorder(self, order: np.ndarray) -> None:
        """Reorder the first axis of the history (``history[order]``), for example when the elements'
        labels change (a left/right relabelling of landmarks), so that filtering goes on without a jump."""
        if self._value is not None and self._derivative is not None:
            index = np.asarray(order, np.intp)
            self._value, self._derivative = self._value[index], self._derivative[index]

    def __call__(self, value: np.ndarray, time_s: float) -> np.ndarray:
        """The smoothed value at ``time_s`` (seconds, increasing)."""
        value = np.asarray(value, np.float64)
        if self._value is None or self._time_s is None or time_s <= self._time_s:
            self._value, self._derivative, self._time_s = value.copy(), np.zeros_like(value), time_s
            return value.copy()
        dt = time_s - self._time_s
        derivative = (value - self._value) / dt
        self._derivative = self._derivative + self._alpha(self.derivative_cutoff_hz, dt) * (derivative - self._derivative)
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self._derivative)
        self._value = self._value + self._alpha(cutoff, dt) * (value - self._value)
        self._time_s = time_s
        return self._value.copy()
