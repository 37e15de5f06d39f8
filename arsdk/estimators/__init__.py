"""Pose estimators: the default MediaPipe-based one (CPU) and, later, DensePose R-CNN (CUDA/CPU)."""

from .mediapipe_pose import LIVE_STEADY_FRAME_TIME, MediaPipePoseEstimator, PoseEstimatorOptions, RunMode

__all__ = ["MediaPipePoseEstimator", "PoseEstimatorOptions", "RunMode", "LIVE_STEADY_FRAME_TIME"]
