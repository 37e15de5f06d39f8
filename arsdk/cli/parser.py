"""The command line's shared grammar: one parser class, and every flag group defined once.

Commands that read media take the source as their first positional argument (``--source`` is accepted as
an alias) and their output as ``-o/--out`` (``--output`` accepted). A mistyped flag or command gets the
nearest correct one suggested.
"""

from __future__ import annotations

import argparse
import difflib
import re
from pathlib import Path

from ..errors import ConfigError

__all__ = [
    "Parser",
    "add_source",
    "add_output",
    "add_reading_options",
    "add_estimator_options",
    "add_effect_option",
    "add_publish_options",
    "add_subscriber_options",
    "resolve_source",
]


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting (usage errors map to exit code 2 in one place) and suggests
    the nearest flag or command for a mistyped one."""

    def error(self, message: str) -> None:  # type: ignore[override]
        hint = self._suggestion(message)
        raise ConfigError(f"{message}{hint} (see '{self.prog} --help')")

    def _suggestion(self, message: str) -> str:
        unknown = re.findall(r"(--?[A-Za-z][\w-]*)", message.split(":", 1)[1]) if "unrecognized" in message else []
        choice = re.search(r"invalid choice: '([^']*)'", message)
        known: list[str] = []
        if choice:
            unknown, known = [choice.group(1)], [c for a in self._actions for c in (getattr(a, "choices", None) or [])]
        else:
            known = _option_strings(self)
        for word in unknown:
            close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
            if close:
                return f"; did you mean {close[0]}?"
        return ""


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every flag of ``parser`` and of its sub-commands (an unknown flag is reported by the top parser)."""
    out: list[str] = []
    for action in parser._actions:  # noqa: SLF001 - argparse has no public walk
        out += action.option_strings
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub in action.choices.values():
                out += _option_strings(sub)
    return sorted(set(out))


def add_source(p: argparse.ArgumentParser, what: str = "camera index (0), rtsp:// or http(s):// URL, video, image or folder",
               default: str | None = None) -> None:  # fmt: skip
    """SOURCE as the first positional argument, ``--source`` as an alias (see :func:`resolve_source`)."""
    p.add_argument("source", nargs="?", default=None, metavar="SOURCE", help=what)
    p.add_argument("--source", dest="source_option", metavar="SOURCE", help=argparse.SUPPRESS)
    p.set_defaults(source_default=default)


def resolve_source(args: argparse.Namespace) -> str:
    """The one source the user named (positionally or with ``--source``)."""
    given = [s for s in (args.source, getattr(args, "source_option", None)) if s is not None]
    if len(given) == 2 and given[0] != given[1]:
        raise ConfigError(f"two sources given ({given[0]!r} and --source {given[1]!r}); name one")
    if not given:
        if getattr(args, "source_default", None) is not None:
            return str(args.source_default)
        raise ConfigError(f"name a source: arsdk {args.command} SOURCE ... (a camera index, URL, video, image or folder)")
    return str(given[0])


def add_output(p: argparse.ArgumentParser, what: str, required: bool = False, default: Path | None = None) -> None:
    """``-o/--out`` (``--output`` accepted)."""
    p.add_argument("-o", "--out", "--output", dest="out", type=Path, metavar="PATH", required=required,
                   default=default, help=what)  # fmt: skip


def add_reading_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading the source")
    g.add_argument("--max-frames", type=int, default=None, help="stop after N frames")
    g.add_argument("--loop", action="store_true", help="start files again at the end")
    g.add_argument("--timeout-ms", type=int, default=5000, help="open/read timeout of streams (default 5000): a "
                   "stream silent for this long counts as lost and is reconnected")
    g.add_argument("--give-up-after", type=float, default=None, metavar="SECONDS",
                   help="cameras and streams: stop (exit code 2) after this long without a frame (default: keep "
                        "reconnecting)")
    g.add_argument("--sequence", action="store_true",
                   help="a folder of images is the consecutive frames of one video (people followed and tracked "
                        "from frame to frame; dump --track implies it)")


def add_estimator_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("finding people and their dense pose")
    g.add_argument("--estimator", choices=["mediapipe", "densepose"], default="mediapipe",
                   help="mediapipe: the CPU default; densepose: DensePose R-CNN (needs --weights; best on a GPU)")
    g.add_argument("--weights", type=Path, help="DensePose R-CNN checkpoint (arsdk weights list)")
    g.add_argument("--device", default="auto", help="densepose: auto, cpu, cuda or cuda:N (default auto)")
    g.add_argument("--short-side", type=int, default=800,
                   help="densepose: resize input so its short side has this many pixels (default 800, as trained)")
    g.add_argument("--max-persons", type=int, default=None,
                   help="at most this many people per frame (default 10 for video, 30 for still images)")
    g.add_argument("--min-score", type=float, default=0.5, help="pose-presence score a person needs (default 0.5)")
    g.add_argument("--no-detector", action="store_true", help="skip the SSDLite person detector (people without a "
                   "visible face are then found by HOG, or not at all with --no-hog)")
    g.add_argument("--hog", action="store_true", help="also run OpenCV's HOG people detector (~200 ms a frame)")
    g.add_argument("--no-hog", action="store_true", help="never run HOG, even without the person detector")
    g.add_argument("--no-blazepose", action="store_true", help="skip the BlazePose full-frame detector")
    g.add_argument("--segmentation", action="store_true",
                   help="also look for people where MediaPipe's selfie segmentation sees them (the default on "
                        "still images; with video, also on searches between frames)")
    g.add_argument("--no-segmentation", action="store_true",
                   help="never use selfie segmentation to look for people")
    g.add_argument("--flip-test", action="store_true", help="average each landmark pass with its mirror image (2x cost)")
    g.add_argument("--no-iuv", action="store_true", help="skip the dense IUV (landmarks and masks only)")
    g.add_argument("--dense", choices=["body", "capsules"], default="body",
                   help="dense IUV from a fitted 3D body (default) or from capsule charts along the bones")
    g.add_argument("--fov", type=float, default=60.0, help="horizontal field of view of the camera in degrees for the "
                   "body fit (default 60)")
    g.add_argument("--focal-px", type=float, default=None, help="the camera's focal length in pixels (overrides --fov)")
    g.add_argument("--no-track", action="store_true", help="skip the tracker (no stable IDs)")
    g.add_argument("--proposal-interval", type=int, default=5,
                   help="on videos, look for new people every N frames and follow known ones in between (default 5)")
    g.add_argument("--max-proposal-interval", type=int, default=30,
                   help="while nobody new appears, the proposal interval doubles up to N frames (default 30)")
    g.add_argument("--quick-first-search", action="store_true",
                   help="on video files, make the first search for people as quick as the later ones (by default it "
                        "looks as closely as on a still image: 0.2-0.5 s more on the first frame)")
    g.add_argument("--background-proposals", action="store_true",
                   help="search for new people on a worker thread so that no frame waits for the search (on by "
                        "default for cameras and network streams; results then depend on timing)")
    g.add_argument("--no-background-proposals", action="store_true",
                   help="search for new people on the frame loop even for live sources (reproducible)")


def add_effect_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--effect", action="append", metavar="NAME[:k=v,...]", help=what)


def add_publish_options(p: argparse.ArgumentParser) -> None:
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
    g.add_argument("--label", action="append", metavar="TRACK_ID=TEXT", default=[],
                   help="publish this label for a tracked person (repeatable; otherwise the labels effect's text)")


def add_subscriber_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("endpoint", help="the publisher, e.g. tcp://127.0.0.1:5555")
    p.add_argument("--curve-keys", type=Path, help="CURVE keys folder (arsdk keys generate DIR)")
    p.add_argument("--client-name", default="client", help="which client key pair of --curve-keys to use")
