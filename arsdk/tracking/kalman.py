"""A constant-velocity Kalman filter on a person box, in ByteTrack's parametrisation.

State: centre x, centre y, aspect ratio (w / h), height, and their velocities per frame. Noise scales with
the box height, so the filter behaves the same for near and far people.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BoxKalman", "xyxy_to_xyah", "xyah_to_xyxy"]

_STD_POSITION = 1.0 / 20.0
_STD_VELOCITY = 1.0 / 160.0


def xyxy_to_xyah(box: np.ndarray) -> np.ndarray:
    """(x0, y0, x1, y1) -> (centre x, centre y, w / h, h)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    h = max(y1 - y0, 1e-3)
    return np.array([(x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / h, h])


def xyah_to_xyxy(state: np.ndarray) -> np.ndarray:
    """(centre x, centre y, w / h, h, ...) -> (x0, y0, x1, y1) float32."""
    cx, cy, a, h = state[:4]
    w = a * h
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)


class BoxKalman:
    """One track's Kalman filter. ``dt`` is in frames (1 = one nominal frame interval)."""

    def __init__(self, box_xyxy: np.ndarray) -> None:
        measurement = xyxy_to_xyah(box_xyxy)
        self.mean = np.concatenate([measurement, np.zeros(4)])
        h = measurement[3]
        std = [2 * _STD_POSITION * h, 2 * _STD_POSITION * h, 1e-2, 2 * _STD_POSITION * h,
               10 * _STD_VELOCITY * h, 10 * _STD_VELOCITY * h, 1e-5, 10 * _STD_VELOCITY * h]  # fmt: skip
        self.covariance = np.diag(np.square(std))

    def predict(self, dt: float = 1.0) -> None:
        """Advance the state by ``dt`` frames."""
        motion = np.eye(8)
        motion[:4, 4:] = np.eye(4) * dt
        h = self.mean[3]
        std = [_STD_POSITION * h, _STD_POSITION * h, 1e-2, _STD_POSITION * h,
               _STD_VELOCITY * h, _STD_VELOCITY * h, 1e-5, _STD_VELOCITY * h]  # fmt: skip
        noise = np.diag(np.square(std)) * max(dt, 1e-3)
        self.mean = motion @ self.mean
        self.covariance = motion @ self.covariance @ motion.T + noise

    def update(self, box_xyxy: np.ndarray) -> None:
        """Correct the state with a measured box."""
        measurement = xyxy_to_xyah(box_xyxy)
        h = self.mean[3]
        noise = np.diag(np.square([_STD_POSITION * h, _STD_POSITION * h, 1e-1, _STD_POSITION * h]))
        projected_cov = self.covariance[:4, :4] + noise
        gain = np.linalg.solve(projected_cov, self.covariance[:4, :]).T
        self.mean = self.mean + gain @ (measurement - self.mean[:4])
        self.covariance = self.covariance - gain @ projected_cov @ gain.T

    @property
    def box_xyxy(self) -> np.ndarray:
        """The filtered box."""
        return xyah_to_xyxy(self.mean)

    @property
    def velocity_px_per_frame(self) -> np.ndarray:
        """(vx, vy) of the box centre in pixels per frame."""
        return self.mean[4:6].copy()
