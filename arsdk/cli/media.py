"""Commands that read media: ``run``, ``demo``, ``dump``, ``show``."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from ..errors import ConfigError, InputError
from .builders import execute, output_sinks, say
from .parser import (
    add_effect_option,
    add_estimator_options,
    add_output,
    add_publish_options,
    add_reading_options,
    add_source,
    resolve_source,
)

__all__ = ["register", "sample_clip"]


def sample_clip() -> Path:
    """The sample clip shipped inside the package (100 frames of OpenCV's vtest.avi)."""
    return Path(str(resources.files("arsdk") / "data" / "vtest_sample.avi"))


def register(sub: argparse._SubParsersAction, example) -> None:  # noqa: ANN001, SLF001
    run = sub.add_parser("run", help="run the pipeline on a camera, stream, video, image or folder",
                         epilog=example("arsdk run street.mp4 --effect swap -o swapped.mp4"))  # fmt: skip
    add_source(run)
    add_output(run, "where the result goes; follows the input: an image gives an image (.png, .jpg, ...), a video, "
                    "folder, camera or stream a video (.mp4, .avi, ...); a path without extension is a folder of "
                    "images; '-' writes MJPEG to stdout")  # fmt: skip
    run.add_argument("--show", action="store_true", help="show the result in a window (needs a display)")
    add_effect_option(run, "AR effect, repeatable, applied in order: texture, swap, labels, avatar, segm, u, v, "
                           "contour (e.g. texture:atlas=stripes,shading=0.5); default: mark people")  # fmt: skip
    add_reading_options(run)
    add_estimator_options(run)
    add_publish_options(run)
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="run the pipeline on the sample clip shipped with arsdk",
                          epilog=example("arsdk demo -o out/demo.mp4"))  # fmt: skip
    add_output(demo, "default out/demo.mp4", default=Path("out/demo.mp4"))
    demo.add_argument("--max-frames", type=int, default=None, help="stop after N frames")
    add_effect_option(demo, "effects instead of the demo's swap + costume + labels")
    add_publish_options(demo)
    add_estimator_options(demo)
    demo.set_defaults(func=cmd_demo)

    dump = sub.add_parser("dump", help="write the people of every frame as JSON (schema in docs/dump-schema.md)",
                          epilog=example("arsdk dump frames/ -o people/ --track --mot people.txt"))  # fmt: skip
    add_source(dump)
    add_output(dump, "folder for <frame index>.json files", required=True)
    dump.add_argument("--track", action="store_true", help="track people: write track_id and live statistics")
    dump.add_argument("--mot", type=Path, metavar="FILE",
                      help="also write MOTChallenge rows (frame, id, box, score) of the tracked people to FILE "
                           "(implies --track)")
    dump.add_argument("--meshes", action="store_true",
                      help="also write each fitted body as <frame>_<person>.obj (camera frame, metres)")
    add_reading_options(dump)
    add_estimator_options(dump)
    dump.set_defaults(func=cmd_dump)

    show = sub.add_parser("show", help="DensePose visualizations of an image or video (like apply_net show)",
                          epilog=example("arsdk show photo.jpg segm,contour -o photo_segm.png"))  # fmt: skip
    add_source(show)
    show.add_argument("vis", nargs="?", default=None, metavar="VIS",
                      help="comma-separated: segm, u, v, contour, texture, bbox (default segm; --vis also works)")
    show.add_argument("--vis", dest="vis_option", default=None, help=argparse.SUPPRESS)
    show.add_argument("--atlas", type=Path, help="texture atlas image for --vis texture (DensePose layout, 6N x 4N)")
    add_output(show, "output: an image for an image, a video or folder otherwise", required=True)
    add_reading_options(show)
    add_estimator_options(show)
    show.set_defaults(func=cmd_show)


def cmd_run(args: argparse.Namespace) -> int:
    """``arsdk run``."""
    source = resolve_source(args)
    if args.out is None and not args.show and not args.publish:
        raise ConfigError("nothing to do with the results: add -o PATH, --show and/or --publish ENDPOINT")
    code = execute(source, args, lambda src: output_sinks(args.out, src, args.show), "arsdk run")
    if args.out is not None and str(args.out) != "-":
        say(f"result written to {args.out.resolve()}")
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    """``arsdk demo``."""
    clip = sample_clip()
    if not clip.is_file():
        raise InputError(f"the sample clip {clip} is missing from the installation; reinstall arsdk")
    args.loop = False
    if not args.effect:
        args.effect = ["swap", "texture:atlas=costume,ids=odd", "labels"]
    code = execute(str(clip), args, lambda src: output_sinks(args.out, src), "arsdk demo")
    say(f"demo video written to {args.out.resolve()}")
    return code


def cmd_dump(args: argparse.Namespace) -> int:
    """``arsdk dump``."""
    from ..dump import DumpSink, MotSink

    source = resolve_source(args)
    if args.mot is not None:
        args.track = True

    def sinks(src):  # noqa: ANN001, ANN202
        out = [DumpSink(args.out, meshes=args.meshes)]
        if args.mot is not None:
            out.append(MotSink(args.mot))
        return out

    code = execute(source, args, sinks, "arsdk dump")
    say(f"JSON written to {args.out.resolve()}")
    if args.mot is not None:
        say(f"MOTChallenge rows written to {args.mot.resolve()}")
    return code


def cmd_show(args: argparse.Namespace) -> int:
    """``arsdk show``."""
    from ..densepose.atlas import TextureAtlas
    from ..densepose.visualize import VisualizerCompositor, make_visualizers

    source = resolve_source(args)
    if args.vis is not None and args.vis_option is not None and args.vis != args.vis_option:
        raise ConfigError(f"two visualizations given ({args.vis!r} and --vis {args.vis_option!r}); name one")
    vis = args.vis or args.vis_option or "segm"
    names = [n.strip() for n in vis.split(",") if n.strip()]
    atlas = TextureAtlas.load(args.atlas) if args.atlas is not None else None
    compositor = VisualizerCompositor(make_visualizers(names, atlas))
    code = execute(source, args, lambda src: output_sinks(args.out, src), "arsdk show", compositor)
    say(f"visualization written to {args.out.resolve()}")
    return code
