"""From parsed flags to pipeline parts: estimator, tracker, publisher, sinks; and the run loop with progress."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError

__all__ = ["make_estimator", "dense_options", "make_tracker", "make_publisher", "is_live", "is_video",
           "output_sinks", "source_fps", "execute", "say"]  # fmt: skip


def say(message: str) -> None:
    """One line for the user on stderr, marked as arsdk's."""
    print(f"arsdk: {message}", file=sys.stderr, flush=True)


def make_estimator(args: argparse.Namespace, video: bool, live: bool = False):  # noqa: ANN201
    """The estimator the flags describe (MediaPipe's CPU default, or DensePose R-CNN)."""
    from ..estimators import LIVE_STEADY_FRAME_TIME, MediaPipePoseEstimator, PoseEstimatorOptions, RunMode
    from ..estimators.mediapipe_pose import default_max_persons

    mode = RunMode.VIDEO if video else RunMode.IMAGE

    if getattr(args, "estimator", "mediapipe") == "densepose":
        from ..densepose_rcnn.model import DensePoseEstimator, DensePoseOptions

        if args.weights is None:
            raise ConfigError("--estimator densepose needs --weights FILE; 'arsdk weights list' says where to get them")
        min_score = args.min_score if args.min_score != 0.5 else 0.8
        cap = args.max_persons if args.max_persons is not None else default_max_persons(mode)
        return DensePoseEstimator(DensePoseOptions(args.weights, device=args.device, min_score=min_score,
                                                   short_side=args.short_side, max_detections=min(cap, 100)))

    options = PoseEstimatorOptions(
        running_mode=mode,
        max_persons=args.max_persons,
        min_person_score=args.min_score,
        use_detector=False if args.no_detector else None,
        use_hog=True if args.hog else False if args.no_hog else None,
        use_blazepose=not args.no_blazepose,
        use_segmentation=(True if getattr(args, "segmentation", False)
                          else False if getattr(args, "no_segmentation", False) else None),  # fmt: skip
        proposal_interval=args.proposal_interval,
        max_proposal_interval=max(args.max_proposal_interval, args.proposal_interval),
        background_proposals=video and not getattr(args, "no_background_proposals", False)
        and (live or getattr(args, "background_proposals", False)),
        thorough_first_search=not getattr(args, "quick_first_search", False),
        steady_frame_time=LIVE_STEADY_FRAME_TIME if video and live else None,
        flip_test=args.flip_test,
        dense_iuv=not getattr(args, "no_iuv", False),
        dense_options=dense_options(args),
    )
    return MediaPipePoseEstimator(options)


def dense_options(args: argparse.Namespace):  # noqa: ANN201
    from ..body import BodyFitOptions, BodyIUVOptions
    from ..densepose import DenseOptions

    fit = BodyFitOptions(fov_deg=getattr(args, "fov", 60.0), focal_px=getattr(args, "focal_px", None))
    return DenseOptions(method=getattr(args, "dense", "body"), body=BodyIUVOptions(fit=fit))


def make_tracker(args: argparse.Namespace, source):  # noqa: ANN001, ANN201
    """The tracker for ordered sources (videos, streams): on for run, demo and show, on request for dump."""
    from ..tracking import PersonTracker

    wanted = getattr(args, "track", True) and not getattr(args, "no_track", False)
    return PersonTracker() if wanted and is_video(source, args) else None


def make_publisher(args: argparse.Namespace):  # noqa: ANN201
    if not getattr(args, "publish", None):
        return None
    from ..transport import Publisher, WireFormat

    labels = {}
    for spec in getattr(args, "label", None) or []:
        track, sep, text = spec.partition("=")
        if not sep or not track.strip().isdigit() or not text:
            raise ConfigError(f"--label {spec!r}: write TRACK_ID=TEXT, e.g. --label 3=goalkeeper")
        labels[int(track)] = text
    publisher = Publisher(args.publish, args.stream, encoding=args.encoding, jpeg_quality=args.jpeg_quality,
                          include_iuv=args.publish_iuv, wire_format=WireFormat(args.publish_format),
                          curve_keys=args.curve_keys, allow_all_interfaces=args.publish_all_interfaces,
                          encode_threads=args.encode_threads)  # fmt: skip
    publisher.labels.update(labels)
    return publisher


def is_live(source) -> bool:  # noqa: ANN001
    """Cameras and network streams: frames arrive on their own clock, so no frame may wait for a search."""
    from ..sources import LiveSource

    return isinstance(source, LiveSource)


def is_video(source, args: argparse.Namespace | None = None) -> bool:  # noqa: ANN001
    """Frames in order: videos, streams, and folders given as a sequence (``--sequence``, or ``dump --track``)."""
    from ..sources import FolderSource, LiveSource, VideoFileSource

    if isinstance(source, (VideoFileSource, LiveSource)):
        return True
    sequence = args is not None and (getattr(args, "sequence", False) or getattr(args, "track", None) is True)
    return isinstance(source, FolderSource) and sequence


def source_fps(source) -> float:  # noqa: ANN001
    return float(getattr(source, "fps", None) or getattr(getattr(source, "options", None), "image_fps", 10.0) or 10.0)


def output_sinks(out: Path | None, source, show: bool = False) -> list:  # noqa: ANN001
    """Where the output images go; the output follows the input.

    One image in gives one image out (any extension OpenCV writes) or a folder; a folder, video, camera or
    stream gives a video (``.mp4``, ``.avi``, ...) or a folder of images (a path without extension); ``-``
    writes the frames to stdout as MJPEG (for a pipe into ffmpeg or a player).
    """
    from ..sinks import VIDEO_EXTENSIONS, ImageFileSink, ImageFolderSink, MjpegSink, VideoFileSink, WindowSink
    from ..sources import IMAGE_EXTENSIONS, ImageSource

    sinks: list = []
    single = isinstance(source, ImageSource) and len(source.paths) == 1
    if out is not None:
        suffix = out.suffix.lower()
        kinds = "an image (" + ", ".join(sorted(IMAGE_EXTENSIONS)) + ")"
        videos = ", ".join(sorted(VIDEO_EXTENSIONS))
        if str(out) == "-":
            sinks.append(MjpegSink())
        elif suffix == "":
            sinks.append(ImageFolderSink(out))
        elif single and suffix in IMAGE_EXTENSIONS:
            sinks.append(ImageFileSink(out))
        elif single:
            raise ConfigError(f"-o {out}: one image in gives {kinds} or a folder out")
        elif suffix in IMAGE_EXTENSIONS:
            raise ConfigError(f"-o {out}: this source has many frames: write a video ({videos}) or a folder (a path "
                              "without extension)")  # fmt: skip
        else:
            sinks.append(VideoFileSink(out, fps=source_fps(source)))
    if show:
        sinks.append(WindowSink())
    return sinks


def execute(source_spec: str, args: argparse.Namespace, sinks_for, progress_label: str, compositor=None) -> int:  # noqa: ANN001
    """Open the source and estimator, run the pipeline with a progress bar, report a truncated input."""
    from tqdm import tqdm

    from ..draw import MarkPersons
    from ..pipeline import Pipeline, PipelineOptions
    from ..sources import SourceOptions, open_source

    timeout = getattr(args, "timeout_ms", 5000)
    if timeout <= 0:
        raise ConfigError(f"--timeout-ms must be > 0, got {timeout}")
    source_options = SourceOptions(loop=getattr(args, "loop", False), open_timeout_ms=timeout, read_timeout_ms=timeout,
                                   reconnect_give_up_s=getattr(args, "give_up_after", None))  # fmt: skip
    with open_source(source_spec, source_options) as source:
        sinks = sinks_for(source)
        publisher = make_publisher(args)
        if publisher is not None:
            sinks.append(publisher)
            say(f"publishing on {publisher.endpoint} (stream {publisher.stream!r})")
        total = getattr(source, "frame_count", None) or len(getattr(source, "paths", [])) or None
        if args.max_frames is not None and total is not None:
            total = min(total, args.max_frames)
        try:
            with make_estimator(args, is_video(source, args), is_live(source)) as estimator:
                if compositor is None and getattr(args, "effect", None):
                    from ..compositor import Compositor, parse_effect

                    compositor = Compositor([parse_effect(spec, {"estimator": estimator}) for spec in args.effect])
                pipeline = Pipeline(
                    source,
                    estimator,
                    tracker=make_tracker(args, source),
                    compositor=compositor or MarkPersons(),
                    sinks=sinks,
                    # live: the estimator's frame time is what the viewer waits for, so the rest yields to it
                    options=PipelineOptions(max_frames=args.max_frames, yield_to_estimator=is_live(source)),
                )
                bar = tqdm(total=total, unit="frame", desc=progress_label, disable=None, dynamic_ncols=True,
                           file=sys.stderr)  # fmt: skip

                def on_result(result) -> None:  # noqa: ANN001
                    bar.update(1)
                    bar.set_postfix(people=len(result.persons), refresh=False)
                    if any(getattr(sink, "quit_requested", False) for sink in sinks):
                        pipeline.stop()

                try:
                    stats = pipeline.run(on_result)
                finally:
                    bar.close()
                    close = getattr(pipeline.compositor, "close", None)
                    if callable(close):
                        close()
        finally:
            for sink in sinks:
                sink.close()
    say(f"{stats.frames} frames, {stats.persons} person detections, {stats.fps:.1f} fps")
    if stats.ended_early is not None:
        raise stats.ended_early
    return 0
