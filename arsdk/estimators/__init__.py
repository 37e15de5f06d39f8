"""Pose estimators: the default MediaPipe-based one (CPU) and, later, DensePose R-CNN (CUDA/CPU)."""

from .mediapipe_pose import MediaPipePoseEstimator, PoseEstimatorOptions, RunMode

__all__ = ["MediaPipePoseEstimator", "PoseEstimatorOptions", "RunMode"]
