"""arsdk: real-time, multi-person, full-body augmented reality.

The table of contents. A frame flows through these stages::

    open_source(spec) -> MediaPipePoseEstimator.infer(frame) -> PersonTracker -> compositor -> sinks
         Frame              tuple[Person] (landmarks, mask, body, IUV)              FrameResult

Each person's 3D body (``person.body``: the shipped body model fitted to the person, see :mod:`arsdk.body`)
gives the IUV; ``person.body.mesh()`` is the posed mesh in the camera frame.

Quick start::

    from arsdk import MediaPipePoseEstimator, PoseEstimatorOptions, RunMode, open_source, draw_persons

    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO)
    with open_source("clip.mp4") as source, MediaPipePoseEstimator(options) as estimator:
        for frame in source:
            persons = estimator.infer(frame)
            marked = draw_persons(frame.image_bgr, persons)

Or the whole pipeline with threads, sinks and timings: :class:`Pipeline`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .draw import MarkPersons, color_for, draw_persons
from .dump import DumpSink, frame_to_dict
from .errors import (
    ArsdkError,
    ConfigError,
    InputError,
    ModelLoadError,
    SourceEndedEarly,
    SourceError,
    TransportError,
)
from .estimators import MediaPipePoseEstimator, PoseEstimatorOptions, RunMode
from .pipeline import Pipeline, PipelineOptions, PipelineStats
from .protocols import Compositor, FrameSource, PoseEstimator, Sink, Tracker
from .sinks import ImageFolderSink, VideoFileSink, WindowSink
from .sources import SourceOptions, open_source
from .tracking import PersonTracker, TrackerOptions, to_supervision
from .types import (
    LANDMARK_NAMES,
    NUM_LANDMARKS,
    SKELETON_EDGES,
    Body,
    BoxRaster,
    CameraIntrinsics,
    Frame,
    FrameResult,
    Landmarks,
    Person,
    PersonIUV,
    WorldLandmarks,
)

__all__ = [
    "__version__",
    # data types
    "Frame", "Person", "Landmarks", "WorldLandmarks", "BoxRaster", "PersonIUV", "Body", "CameraIntrinsics",
    "FrameResult",
    "NUM_LANDMARKS", "LANDMARK_NAMES", "SKELETON_EDGES",
    # stage protocols
    "FrameSource", "PoseEstimator", "Tracker", "Compositor", "Sink",
    # sources
    "open_source", "SourceOptions",
    # estimators
    "MediaPipePoseEstimator", "PoseEstimatorOptions", "RunMode",
    # tracking
    "PersonTracker", "TrackerOptions", "to_supervision",
    # pipeline
    "Pipeline", "PipelineOptions", "PipelineStats",
    # output
    "MarkPersons", "draw_persons", "color_for", "VideoFileSink", "ImageFolderSink", "WindowSink",
    "DumpSink", "frame_to_dict",
    # errors
    "ArsdkError", "InputError", "ConfigError", "SourceError", "SourceEndedEarly", "ModelLoadError",
    "TransportError",
]  # fmt: skip
