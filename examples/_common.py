"""What the examples share: arguments, and the loop that runs a compositor over a source."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from arsdk import (
    InputError,
    MediaPipePoseEstimator,
    Pipeline,
    PipelineOptions,
    PersonTracker,
    PoseEstimatorOptions,
    RunMode,
    VideoFileSink,
    WindowSink,
    open_source,
)
from arsdk.cli import is_live, sample_clip
from arsdk.cli.parser import add_source, resolve_source
from arsdk.estimators import LIVE_STEADY_FRAME_TIME
from arsdk.sources import LiveSource, VideoFileSource


def arguments(description: str, default_source: str | None = None) -> argparse.ArgumentParser:
    """The examples' arguments: the source first (or ``--source``), as in the ``arsdk`` command."""
    parser = argparse.ArgumentParser(description=description)
    add_source(parser, "camera index, video, image folder or stream URL (default: the shipped clip)",
               default=default_source or str(sample_clip()))  # fmt: skip
    parser.add_argument("-o", "--out", "--output", dest="output", help="write the result to this video file")
    parser.add_argument("--show", action="store_true", help="show the result in a window")
    parser.add_argument("--max-frames", type=int, default=None)
    return parser


def run(args: argparse.Namespace, make_compositor: Callable[[MediaPipePoseEstimator], object]) -> int:
    """Run source -> estimator -> tracker -> compositor -> file and/or window; exit code for sys.exit."""
    if not args.output and not args.show:
        print("nothing to do: add -o FILE and/or --show", file=sys.stderr)
        return 2
    try:
        with open_source(resolve_source(args)) as source:
            video, live = isinstance(source, (VideoFileSource, LiveSource)), is_live(source)
            # a camera or stream: look for new people beside the frame loop and keep frame times steady
            options = PoseEstimatorOptions(running_mode=RunMode.VIDEO if video else RunMode.IMAGE, proposal_interval=5,
                                           background_proposals=live,
                                           steady_frame_time=LIVE_STEADY_FRAME_TIME if live else None)  # fmt: skip
            sinks = []
            if args.output:
                sinks.append(VideoFileSink(args.output, fps=getattr(source, "fps", 10.0)))
            if args.show:
                sinks.append(WindowSink())
            with MediaPipePoseEstimator(options) as estimator:
                pipeline = Pipeline(source, estimator, tracker=PersonTracker() if video else None,
                                    compositor=make_compositor(estimator), sinks=sinks,
                                    options=PipelineOptions(max_frames=args.max_frames, yield_to_estimator=live))  # fmt: skip
                window = sinks[-1] if args.show else None
                stats = pipeline.run(lambda r: window.quit_requested and pipeline.stop() if window else None)
            for sink in sinks:
                sink.close()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{stats.frames} frames at {stats.fps:.1f} fps" + (f"; written to {args.output}" if args.output else ""))
    return 0
