"""The ``arsdk`` command line: run, demo, dump, show, keys, view, stats, info.

Exit codes: 0 ok; 2 bad input or usage (one line on stderr saying what to do); 1 internal error
(with the traceback, for a bug report); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from . import __version__
from .errors import ArsdkError, ConfigError, InputError

__all__ = ["main", "build_parser", "sample_clip"]

log = logging.getLogger("arsdk")

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors map to exit code 2 in one place."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"{message} (see '{self.prog} --help')")


def sample_clip() -> Path:
    """The sample clip shipped inside the package (100 frames of OpenCV's vtest.avi)."""
    return Path(str(resources.files("arsdk") / "data" / "vtest_sample.avi"))


def _add_estimator_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("estimator")
    g.add_argument("--estimator", choices=["mediapipe", "densepose"], default="mediapipe",
                   help="mediapipe: the CPU default; densepose: DensePose R-CNN (needs --weights; best on a GPU)")
    g.add_argument("--weights", type=Path, help="DensePose R-CNN checkpoint (arsdk weights list)")
    g.add_argument("--device", default="auto", help="densepose: auto, cpu, cuda or cuda:N (default auto)")
    g.add_argument("--short-side", type=int, default=800,
                   help="densepose: resize input so its short side has this many pixels (default 800, as trained)")
    g.add_argument("--max-persons", type=int, default=10, help="at most this many people per frame (default 10)")
    g.add_argument("--min-score", type=float, default=0.5, help="pose-presence score a person needs (default 0.5)")
    g.add_argument("--no-detector", action="store_true", help="skip the SSDLite person detector (people without a "
                   "visible face are then found by HOG, or not at all with --no-hog)")
    g.add_argument("--hog", action="store_true", help="also run OpenCV's HOG people detector (~200 ms a frame)")
    g.add_argument("--no-hog", action="store_true", help="never run HOG, even without the person detector")
    g.add_argument("--no-blazepose", action="store_true", help="skip the BlazePose full-frame detector")
    g.add_argument("--segmentation", action="store_true",
                   help="also look for people where MediaPipe's selfie segmentation sees them (people seen from "
                        "behind, sitting, cut off by the frame)")
    g.add_argument("--flip-test", action="store_true", help="average each landmark pass with its mirror image (2x cost)")
    g.add_argument("--no-iuv", action="store_true", help="skip the dense IUV (landmarks and masks only)")
    g.add_argument("--dense", choices=["body", "capsules"], default="body",
                   help="dense IUV from a fitted 3D body (default) or from capsule charts along the bones")
    g.add_argument("--fov", type=float, default=60.0, help="horizontal field of view of the camera in degrees for the "
                   "body fit (default 60)")
    g.add_argument("--focal-px", type=float, default=None, help="the camera's focal length in pixels (overrides --fov)")
    g.add_argument("--no-track", action="store_true", help="skip the tracker (no stable IDs)")
    g.add_argument(
        "--proposal-interval",
        type=int,
        default=5,
        help="on videos, look for new people every N frames and follow known ones in between (default 5)",
    )
    g.add_argument("--max-proposal-interval", type=int, default=30,
                   help="while nobody new appears, the proposal interval doubles up to N frames (default 30)")
    g.add_argument("--background-proposals", action="store_true",
                   help="search for new people on a worker thread so that no frame waits for the search (on by "
                        "default for cameras and network streams; results then depend on timing)")
    g.add_argument("--no-background-proposals", action="store_true",
                   help="search for new people on the frame loop even for live sources (reproducible)")


def _add_publish_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("publishing to AR front-ends (ZeroMQ)")
    g.add_argument("--publish", metavar="ENDPOINT", help="publish results, e.g. tcp://127.0.0.1:5555 or ipc:///tmp/arsdk")
    g.add_argument("--publish-format", choices=["arsdk", "imagezmq"], default="arsdk",
                   help="arsdk's versioned format (default) or imagezmq's, for existing ImageHub receivers")  # fmt: skip
    g.add_argument("--encoding", choices=["jpeg", "png", "raw"], default="jpeg", help="image encoding (default jpeg)")
    g.add_argument("--jpeg-quality", type=int, default=85)
    g.add_argument("--encode-threads", type=int, default=1, help="encode published frames on N threads (default 1)")
    g.add_argument("--publish-iuv", action="store_true", help="also send the IUV and instance images")
    g.add_argument("--stream", default="arsdk", help="stream name (the ZeroMQ topic)")
    g.add_argument("--curve-keys", type=Path, help="CURVE keys folder (arsdk keys generate DIR)")
    g.add_argument("--publish-all-interfaces", action="store_true",
                   help="allow binding a non-loopback address (reachable from other machines)")  # fmt: skip


def _publisher(args: argparse.Namespace):  # noqa: ANN202
    if not getattr(args, "publish", None):
        return None
    from .transport import Publisher, WireFormat

    return Publisher(args.publish, args.stream, encoding=args.encoding, jpeg_quality=args.jpeg_quality,
                     include_iuv=args.publish_iuv, wire_format=WireFormat(args.publish_format),
                     curve_keys=args.curve_keys, allow_all_interfaces=args.publish_all_interfaces,
                     encode_threads=args.encode_threads)  # fmt: skip


def _add_subscriber_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("endpoint", help="the publisher, e.g. tcp://127.0.0.1:5555")
    p.add_argument("--curve-keys", type=Path, help="CURVE keys folder (arsdk keys generate DIR)")
    p.add_argument("--client-name", default="client", help="which client key pair of --curve-keys to use")


def _add_source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-frames", type=int, default=None, help="stop after N frames")
    p.add_argument("--loop", action="store_true", help="start files again at the end")
    p.add_argument("--timeout-ms", type=int, default=5000, help="open/read timeout of streams (default 5000)")
    p.add_argument("--sequence", action="store_true",
                   help="a folder of images is the consecutive frames of one video (people followed and tracked "
                        "from frame to frame; dump --track implies it)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``arsdk`` command."""
    parser = _Parser(prog="arsdk", description="Real-time multi-person full-body AR: dense pose, tracking, streaming.")
    parser.add_argument("--version", action="version", version=f"arsdk {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run the pipeline on a camera, stream, video, image or folder")
    run.add_argument("--source", required=True, help="camera index (0), rtsp:// or http(s):// URL, file or folder")
    run.add_argument("--output", type=Path, help="write the result video (.mp4, .avi, ...) or, for a folder, images")
    run.add_argument("--show", action="store_true", help="show the result in a window (needs a display)")
    run.add_argument("--effect", action="append", metavar="NAME[:k=v,...]",
                     help="AR effect, repeatable, applied in order: texture, swap, labels, segm, u, v, contour "
                          "(e.g. texture:atlas=stripes,shading=0.5); default: mark people")  # fmt: skip
    _add_source_options(run)
    _add_estimator_options(run)
    _add_publish_options(run)

    demo = sub.add_parser("demo", help="run the pipeline on the sample clip shipped with arsdk")
    demo.add_argument("--output", type=Path, default=Path("out/demo.mp4"), help="default out/demo.mp4")
    demo.add_argument("--max-frames", type=int, default=None, help="stop after N frames")
    demo.add_argument("--effect", action="append", metavar="NAME[:k=v,...]",
                      help="effects instead of the demo's swap + costume + labels")  # fmt: skip
    _add_publish_options(demo)
    _add_estimator_options(demo)

    dump = sub.add_parser("dump", help="write the people of every frame as JSON (schema in docs/dump-schema.md)")
    dump.add_argument("source", help="camera index, URL, file or folder")
    dump.add_argument("--out", type=Path, required=True, help="folder for <frame index>.json files")
    dump.add_argument("--track", action="store_true", help="track people: write track_id and live statistics")
    dump.add_argument("--mot", type=Path, metavar="FILE",
                      help="also write MOTChallenge rows (frame, id, box, score) of the tracked people to FILE "
                           "(implies --track)")
    dump.add_argument("--meshes", action="store_true",
                      help="also write each fitted body as <frame>_<person>.obj (camera frame, metres)")
    _add_source_options(dump)
    _add_estimator_options(dump)

    show = sub.add_parser("show", help="DensePose visualizations of an image or video (like apply_net show)")
    show.add_argument("source", help="image, video, folder, camera index or URL")
    show.add_argument("--vis", default="segm", help="comma-separated: segm, u, v, contour, texture, bbox (default segm)")
    show.add_argument("--atlas", type=Path, help="texture atlas image for --vis texture (DensePose layout, 6N x 4N)")
    show.add_argument("--out", type=Path, required=True, help="output image (for one image) or video file")
    _add_source_options(show)
    _add_estimator_options(show)

    keys = sub.add_parser("keys", help="CURVE keys for encrypted, authenticated streams")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", parser_class=_Parser)
    generate = keys_sub.add_parser("generate", help="server and client key pairs plus the allow-list")
    generate.add_argument("folder", type=Path)
    generate.add_argument("--client", action="append", default=None, help="client names (default: client)")

    view = sub.add_parser("view", help="show or record a published stream")
    _add_subscriber_options(view)
    view.add_argument("--out", type=Path, help="record to this video instead of showing a window")
    view.add_argument("--max-frames", type=int, default=None)
    view.add_argument("--timeout-ms", type=int, default=5000, help="give up after this long without a frame")

    stats = sub.add_parser("stats", help="fps, latency percentiles and drops of a published stream")
    _add_subscriber_options(stats)
    stats.add_argument("--seconds", type=float, default=5.0)
    stats.add_argument("--json", action="store_true")

    web = sub.add_parser("web", help="serve a browser AR front-end for a published stream")
    _add_subscriber_options(web)
    web.add_argument("--port", type=int, default=8080)
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--all-interfaces", action="store_true", help="allow serving on a non-loopback address")

    weights = sub.add_parser("weights", help="the official DensePose R-CNN checkpoints: list them, check a file")
    weights_sub = weights.add_subparsers(dest="weights_command", metavar="ACTION", parser_class=_Parser)
    weights_sub.add_parser("list", help="official model names, ids, file names and where to download them")
    check = weights_sub.add_parser("check", help="which model a file is and whether it loads")
    check.add_argument("file", type=Path)

    cluster = sub.add_parser("cluster", help="many cameras on a Ray cluster (estimator as Ray Serve replicas)")
    cluster.add_argument("--sources", type=Path, required=True, help="cameras.toml (see docs/cluster.md)")
    cluster.add_argument("--ray-address", default=None, help="join this Ray cluster (default: start a local one)")
    cluster.add_argument("--stats-every", type=float, default=5.0, help="print stream counters every N seconds")
    bench = sub.add_parser("bench", help="benchmarks beside MediaPipe, ByteTrack and imagezmq; writes a report")
    bench.add_argument("--quick", action="store_true", help="a few frames of one clip (checks the harness only)")
    bench.add_argument("--data", type=Path, default=None, help="folder with messi5.jpg, basketball1.png, vtest.avi")
    bench.add_argument("--out", type=Path, default=Path("bench") / "results", help="report folder (default bench/results)")
    info = sub.add_parser("info", help="versions, device, EGL rendering, models")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.add_argument("--no-egl", action="store_true", help="skip the EGL rendering check")
    return parser


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="arsdk: %(levelname)s: %(message)s")
    if verbosity == 0:
        # The native libraries print their own warnings (FFmpeg decode errors, MediaPipe graph set-up);
        # arsdk reports what matters in one line. -v brings them back.
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        os.environ.setdefault("OPENCV_LOG_LEVEL", "FATAL")
        os.environ.setdefault("GLOG_minloglevel", "2")
        try:
            import cv2

            cv2.setLogLevel(1)  # fatal only: failures surface as exceptions anyway
        except (ImportError, AttributeError):  # pragma: no cover
            pass


def _estimator(args: argparse.Namespace, video: bool, live: bool = False):
    from .estimators import MediaPipePoseEstimator, PoseEstimatorOptions, RunMode

    if getattr(args, "estimator", "mediapipe") == "densepose":
        from .densepose_rcnn.model import DensePoseEstimator, DensePoseOptions

        if args.weights is None:
            raise ConfigError("--estimator densepose needs --weights FILE; 'arsdk weights list' says where to get them")
        min_score = args.min_score if args.min_score != 0.5 else 0.8
        return DensePoseEstimator(DensePoseOptions(args.weights, device=args.device, min_score=min_score,
                                                   short_side=args.short_side, max_detections=min(args.max_persons, 100)))

    options = PoseEstimatorOptions(
        running_mode=RunMode.VIDEO if video else RunMode.IMAGE,
        max_persons=args.max_persons,
        min_person_score=args.min_score,
        use_detector=False if args.no_detector else None,
        use_hog=True if args.hog else False if args.no_hog else None,
        use_blazepose=not args.no_blazepose,
        use_segmentation=getattr(args, "segmentation", False),
        proposal_interval=args.proposal_interval,
        max_proposal_interval=max(args.max_proposal_interval, args.proposal_interval),
        background_proposals=video and not getattr(args, "no_background_proposals", False)
        and (live or getattr(args, "background_proposals", False)),
        flip_test=args.flip_test,
        dense_iuv=not getattr(args, "no_iuv", False),
        dense_options=_dense_options(args),
    )
    return MediaPipePoseEstimator(options)


def _dense_options(args: argparse.Namespace):  # noqa: ANN202
    from .body import BodyFitOptions, BodyIUVOptions
    from .densepose import DenseOptions

    fit = BodyFitOptions(fov_deg=getattr(args, "fov", 60.0), focal_px=getattr(args, "focal_px", None))
    return DenseOptions(method=getattr(args, "dense", "body"), body=BodyIUVOptions(fit=fit))


def _tracker(args: argparse.Namespace, source):  # noqa: ANN001, ANN202
    """The tracker for ordered sources (videos, streams): on for run, demo and show, on request for dump."""
    from .tracking import PersonTracker

    wanted = getattr(args, "track", True) and not getattr(args, "no_track", False)
    return PersonTracker() if wanted and _is_video(source, args) else None


def _is_live(source) -> bool:  # noqa: ANN001
    """Cameras and network streams: frames arrive on their own clock, so no frame may wait for a search."""
    from .sources import LiveSource

    return isinstance(source, LiveSource)


def _is_video(source, args: argparse.Namespace | None = None) -> bool:  # noqa: ANN001
    """Frames in order: videos, streams, and folders given as a sequence (``--sequence``, or ``dump --track``)."""
    from .sources import FolderSource, LiveSource, VideoFileSource

    if isinstance(source, (VideoFileSource, LiveSource)):
        return True
    sequence = args is not None and (getattr(args, "sequence", False) or getattr(args, "track", None) is True)
    return isinstance(source, FolderSource) and sequence


def _execute(source_spec: str, args: argparse.Namespace, sinks_for, progress_label: str, compositor=None) -> int:  # noqa: ANN001
    """Open the source and estimator, run the pipeline with a progress bar, report a truncated input."""
    from tqdm import tqdm

    from .draw import MarkPersons
    from .pipeline import Pipeline, PipelineOptions
    from .sources import SourceOptions, open_source

    timeout = getattr(args, "timeout_ms", 5000)
    if timeout <= 0:
        raise ConfigError(f"--timeout-ms must be > 0, got {timeout}")
    source_options = SourceOptions(loop=getattr(args, "loop", False), open_timeout_ms=timeout, read_timeout_ms=timeout)
    with open_source(source_spec, source_options) as source:
        sinks = sinks_for(source)
        publisher = _publisher(args)
        if publisher is not None:
            sinks.append(publisher)
            print(f"publishing on {publisher.endpoint} (stream {publisher.stream!r})", file=sys.stderr)
        total = getattr(source, "frame_count", None) or len(getattr(source, "paths", [])) or None
        if args.max_frames is not None and total is not None:
            total = min(total, args.max_frames)
        try:
            with _estimator(args, _is_video(source, args), _is_live(source)) as estimator:
                if compositor is None and getattr(args, "effect", None):
                    from .compositor import Compositor, parse_effect

                    compositor = Compositor([parse_effect(spec, {"estimator": estimator}) for spec in args.effect])
                pipeline = Pipeline(
                    source,
                    estimator,
                    tracker=_tracker(args, source),
                    compositor=compositor or MarkPersons(),
                    sinks=sinks,
                    options=PipelineOptions(max_frames=args.max_frames),
                )
                bar = tqdm(total=total, unit="frame", desc=progress_label, disable=None, dynamic_ncols=True)

                def on_result(result) -> None:  # noqa: ANN001
                    bar.update(1)
                    bar.set_postfix(people=len(result.persons), refresh=False)
                    if getattr(sinks[-1] if sinks else None, "quit_requested", False):
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
    print(f"{stats.frames} frames, {stats.persons} person detections, {stats.fps:.1f} fps", file=sys.stderr)
    if stats.ended_early is not None:
        raise stats.ended_early
    return EXIT_OK


def _output_sinks(output: Path | None, show: bool, fps: float):
    from .sinks import ImageFolderSink, VideoFileSink, WindowSink

    sinks = []
    if output is not None:
        if output.suffix == "":
            sinks.append(ImageFolderSink(output))
        else:
            sinks.append(VideoFileSink(output, fps=fps))
    if show:
        sinks.append(WindowSink())
    return sinks


def _source_fps(source) -> float:  # noqa: ANN001
    return float(getattr(source, "fps", None) or getattr(getattr(source, "options", None), "image_fps", 10.0) or 10.0)


def cmd_run(args: argparse.Namespace) -> int:
    """``arsdk run``."""
    if args.output is None and not args.show and not args.publish:
        raise ConfigError("nothing to do with the results: add --output FILE, --show and/or --publish ENDPOINT")
    return _execute(args.source, args, lambda src: _output_sinks(args.output, args.show, _source_fps(src)), "arsdk run")


def cmd_demo(args: argparse.Namespace) -> int:
    """``arsdk demo``."""
    clip = sample_clip()
    if not clip.is_file():
        raise InputError(f"the sample clip {clip} is missing from the installation; reinstall arsdk")
    args.loop = False
    if not args.effect:
        args.effect = ["swap", "texture:atlas=costume,ids=odd", "labels"]
    code = _execute(str(clip), args, lambda src: _output_sinks(args.output, False, _source_fps(src)), "arsdk demo")
    print(f"demo video written to {args.output.resolve()}")
    return code


def cmd_dump(args: argparse.Namespace) -> int:
    """``arsdk dump``."""
    from .dump import DumpSink, MotSink

    if args.mot is not None:
        args.track = True

    def sinks(src):  # noqa: ANN001, ANN202
        out = [DumpSink(args.out, meshes=args.meshes)]
        if args.mot is not None:
            out.append(MotSink(args.mot))
        return out

    code = _execute(args.source, args, sinks, "arsdk dump")
    print(f"JSON written to {args.out.resolve()}")
    if args.mot is not None:
        print(f"MOTChallenge rows written to {args.mot.resolve()}")
    return code


def cmd_show(args: argparse.Namespace) -> int:
    """``arsdk show``."""
    from .densepose.atlas import TextureAtlas
    from .densepose.visualize import VisualizerCompositor, make_visualizers
    from .sinks import ImageFolderSink, VideoFileSink
    from .sources import IMAGE_EXTENSIONS

    names = [n.strip() for n in args.vis.split(",") if n.strip()]
    atlas = TextureAtlas.load(args.atlas) if args.atlas is not None else None
    compositor = VisualizerCompositor(make_visualizers(names, atlas))
    single_image = Path(args.source).suffix.lower() in IMAGE_EXTENSIONS
    if single_image and args.out.suffix.lower() not in IMAGE_EXTENSIONS:
        raise ConfigError(f"--out {args.out}: for an image input write an image ({', '.join(sorted(IMAGE_EXTENSIONS))})")

    def sinks_for(src):  # noqa: ANN001, ANN202
        if single_image:
            return [_SingleImageSink(args.out)]
        if args.out.suffix == "":
            return [ImageFolderSink(args.out)]
        return [VideoFileSink(args.out, fps=_source_fps(src))]

    code = _execute(args.source, args, sinks_for, "arsdk show", compositor)
    print(f"visualization written to {args.out.resolve()}")
    return code


class _SingleImageSink:
    """Writes the one output image of an image input to the path the user named."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, result) -> None:  # noqa: ANN001
        import cv2

        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(self.path), result.output_bgr):
            raise InputError(f"{self.path}: cannot write the image; check the folder is writable")

    def close(self) -> None:
        pass


def cmd_keys(args: argparse.Namespace) -> int:
    """``arsdk keys generate``."""
    from .transport import generate_keys

    if args.keys_command != "generate":
        raise ConfigError("use 'arsdk keys generate DIR'")
    folder = generate_keys(args.folder, tuple(args.client or ["client"]))
    print(f"keys written to {folder.resolve()}: give subscribers the folder's <client>.key_secret and server.key")
    return EXIT_OK


def _subscriber(args: argparse.Namespace, mode=None):  # noqa: ANN001, ANN202
    from .transport import ReceiveMode, Subscriber

    return Subscriber(args.endpoint, mode=mode or ReceiveMode.LATEST, curve_keys=args.curve_keys,
                      client_name=args.client_name)  # fmt: skip


def cmd_view(args: argparse.Namespace) -> int:
    """``arsdk view``."""
    import cv2

    from .sinks import display_available

    if args.out is None and not display_available():
        raise ConfigError("no display to show a window on; record with --out FILE instead")
    writer, shown = None, 0
    with _subscriber(args) as sub:
        while args.max_frames is None or shown < args.max_frames:
            packet = sub.receive(timeout_ms=args.timeout_ms)
            if packet is None:
                if shown == 0:
                    raise InputError(f"nothing received from {args.endpoint} in {args.timeout_ms} ms; is the publisher running?")
                break
            if args.out is not None:
                if writer is None:
                    from .sinks import VideoFileSink

                    writer = VideoFileSink(args.out, fps=10.0)
                from .types import Frame, FrameResult

                writer.write(FrameResult(Frame(packet.image_bgr.copy(), shown, 0.0), ()))
            else:
                cv2.imshow(f"arsdk view {args.endpoint}", packet.image_bgr)
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    break
            shown += 1
    if writer is not None:
        writer.close()
        print(f"{shown} frames recorded to {args.out.resolve()}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    """``arsdk stats``."""
    import time

    import numpy as np

    from .transport import ReceiveMode

    latencies, sequences = [], []
    with _subscriber(args, ReceiveMode.ALL) as sub:
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            packet = sub.receive(timeout_ms=100)
            if packet is not None:
                latencies.append(packet.latency_ms)
                sequences.append(packet.header["seq"])
        stats = sub.stats
    if not latencies:
        raise InputError(f"nothing received from {args.endpoint} in {args.seconds:.0f} s; is the publisher running?")
    missed = (max(sequences) - min(sequences) + 1) - len(set(sequences))
    report = {
        "frames": len(latencies),
        "fps": len(latencies) / args.seconds,
        "latency_ms": {f"p{p}": float(np.percentile(latencies, p)) for p in (50, 90, 99)},
        "missed_by_sequence": int(missed),
        "dropped_malformed": stats.dropped_malformed,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        lat = report["latency_ms"]
        print(f"{report['frames']} frames, {report['fps']:.1f} fps; latency p50 {lat['p50']:.1f} ms, "
              f"p90 {lat['p90']:.1f} ms, p99 {lat['p99']:.1f} ms; missed {missed}; malformed {stats.dropped_malformed}")  # fmt: skip
    return EXIT_OK


def cmd_web(args: argparse.Namespace) -> int:
    """``arsdk web``."""
    from .transport.web import WebBridge

    bridge = WebBridge(args.endpoint, args.host, args.port, curve_keys=args.curve_keys, client_name=args.client_name,
                       allow_all_interfaces=args.all_interfaces)  # fmt: skip
    print(f"serving http://{args.host}:{args.port}/ for {args.endpoint} (Ctrl-C stops)", file=sys.stderr)
    bridge.serve_forever()
    return EXIT_OK


def cmd_weights(args: argparse.Namespace) -> int:
    """``arsdk weights list|check``."""
    from .densepose_rcnn import MODEL_ZOO, check_checkpoint

    if args.weights_command == "list":
        print(f"{'model':38s} {'id':>10s}  {'file':24s} box/GPS/GPSm AP  download")
        for m in MODEL_ZOO:
            print(f"{m.config:38s} {m.model_id:>10d}  {m.file:24s} {m.box_ap:.1f}/{m.gps_ap:.1f}/{m.gpsm_ap:.1f}  {m.url}")
        print("arsdk downloads nothing: fetch a file yourself, then --estimator densepose --weights FILE")
        return EXIT_OK
    if args.weights_command == "check":
        report, _ = check_checkpoint(args.file)
        ignored = f"; ignored {', '.join(report.ignored_keys)}" if report.ignored_keys else ""
        print(f"{args.file}: {report.variant.name}, {report.parameters:,} parameters, loads{ignored}")
        return EXIT_OK
    raise ConfigError("use 'arsdk weights list' or 'arsdk weights check FILE'")


def cmd_info(args: argparse.Namespace) -> int:
    """``arsdk info``."""
    from .info import collect_info

    info = collect_info(check_egl=not args.no_egl)
    if args.json:
        print(json.dumps(info, indent=2))
        return EXIT_OK
    print(f"arsdk {info['versions'].get('arsdk')}  python {info['python']}  {info['platform']}")
    for name, version in info["versions"].items():
        print(f"  {name:24s} {version or 'not installed'}")
    device = info["device"]
    cuda = ", ".join(device.get("cuda_devices", [])) or "none"
    print(f"device: {device['selected']} (CUDA devices: {cuda})")
    if "egl" in info:
        print(f"EGL rendering: {'yes' if info['egl']['works'] else 'no'} - {info['egl']['detail']}")
    models = info["models"]
    if "error" in models:
        print(f"models: MISSING - {models['error']}")
    else:
        for name, path in models.items():
            if isinstance(path, dict):  # the body model: what it is rather than where
                path = ", ".join(f"{k} {v}" for k, v in path.items())
            print(f"model {name}: {path}")
    return EXIT_OK


def cmd_cluster(args: argparse.Namespace) -> int:
    from .cluster import Cluster, load_config, ray_available

    if not ray_available():
        raise ConfigError("arsdk cluster needs Ray Serve: pip install 'arsdk[cluster]'")
    config = load_config(args.sources)
    with Cluster(config, ray_address=args.ray_address) as cluster:
        print(f"arsdk cluster: {len(config.cameras)} streams, {config.estimator.replicas} {config.estimator.kind} "
              f"replicas; topics {', '.join(c.name + '@' + c.publish for c in config.cameras)}", file=sys.stderr)  # fmt: skip
        while True:
            stats = cluster.stats()
            print("  " + "; ".join(f"{n}: {s['published']} published, {s['dropped']} dropped, {s['gaps']} gaps"
                                   for n, s in stats.items()), file=sys.stderr)  # fmt: skip
            if not any(s["running"] for s in stats.values()):
                break
            time.sleep(args.stats_every)
        final = cluster.wait()
    errors = {n: s["error"] for n, s in final.items() if s["error"]}
    for name, error in errors.items():
        print(f"arsdk: stream {name} failed: {error}", file=sys.stderr)
    return EXIT_INPUT if errors else EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    import importlib.util

    missing = [m for m in ("matplotlib", "supervision", "imagezmq") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"arsdk bench needs {', '.join(missing)}: pip install 'arsdk[bench]'")
    from .bench.run import main as bench_main

    argv = (["--quick"] if args.quick else []) + ["--out", str(args.out)]
    if args.data is not None:
        if not args.data.is_dir():
            raise ConfigError(f"--data {args.data} is not a folder")
        argv += ["--data", str(args.data)]
    return bench_main(argv)


_COMMANDS = {"run": cmd_run, "bench": cmd_bench, "cluster": cmd_cluster, "demo": cmd_demo, "dump": cmd_dump, "show": cmd_show, "info": cmd_info,
             "keys": cmd_keys, "view": cmd_view, "stats": cmd_stats, "web": cmd_web,
             "weights": cmd_weights}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``arsdk`` command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _setup_logging(args.verbose)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_INPUT
        for name in ("max_frames", "max_persons", "proposal_interval", "max_proposal_interval"):
            value = getattr(args, name, None)
            if value is not None and value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
        return _COMMANDS[args.command](args)
    except InputError as exc:
        print(f"arsdk: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("arsdk: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ArsdkError as exc:
        log.exception("internal error")
        print(f"arsdk: internal error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception:  # noqa: BLE001 - the one place that turns bugs into exit code 1 with a traceback
        log.exception("internal error; please report it with the traceback above")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
