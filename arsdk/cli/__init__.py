"""The ``arsdk`` command line.

One module per family of commands, each with a ``register(subparsers, example)`` that adds its commands:

* :mod:`.media` - ``run``, ``demo``, ``dump``, ``show`` (commands that read a camera, stream, video, image or
  folder: the source is the first positional argument, the output ``-o/--out``);
* :mod:`.streams` - ``keys``, ``view``, ``stats``, ``web`` (around a published stream);
* :mod:`.tools` - ``info``, ``weights``, ``bench``, ``cluster``.

Flags shared by several commands are defined once in :mod:`.parser`; :mod:`.builders` turns them into
pipeline parts; :mod:`.quiet` keeps the native libraries' log lines off the terminal. Adding a command is
one module here and one entry in ``_FAMILIES``.

Exit codes: 0 ok; 2 bad input or usage (one line on stderr saying what to do); 1 internal error (with the
traceback, for a bug report); 130 interrupted.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import ArsdkError, ConfigError, InputError
from . import media, streams, tools
from .builders import is_live, is_video, make_estimator
from .media import sample_clip
from .parser import Parser
from .quiet import NativeLogSilenced, setup_logging

__all__ = ["main", "build_parser", "sample_clip", "make_estimator", "is_video", "is_live"]

log = logging.getLogger("arsdk")

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

_FAMILIES = (media, streams, tools)


def _example(line: str) -> str:
    return f"example: {line}"


def build_parser() -> Parser:
    """The argument parser of the ``arsdk`` command."""
    parser = Parser(prog="arsdk", description="Real-time multi-person full-body AR: dense pose, tracking, streaming.",
                    epilog=_example("arsdk run photo.jpg --effect swap -o swapped.jpg"))  # fmt: skip
    parser.add_argument("--version", action="version", version=f"arsdk {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-v: arsdk's info lines; -vv: debug and the native libraries' logs)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for family in _FAMILIES:
        family.register(sub, _example)
    return parser


def _commands(parser: Parser) -> set[str]:
    return {name for action in parser._actions for name in (getattr(action, "choices", None) or {})}  # noqa: SLF001


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``arsdk`` command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except ConfigError as exc:
        words = list(sys.argv[1:] if argv is None else argv)
        command = next((w for w in words if w in _commands(parser)), None)
        message = str(exc).replace("(see 'arsdk --help')", f"(see 'arsdk {command} --help')") if command else str(exc)
        print(f"arsdk: error: {message}", file=sys.stderr)
        return EXIT_INPUT
    with NativeLogSilenced(enabled=args.verbose < 2):
        return _run(parser, args)


def _run(parser: Parser, args) -> int:  # noqa: ANN001
    try:
        setup_logging(args.verbose)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_INPUT
        for name in ("max_frames", "max_persons", "proposal_interval", "max_proposal_interval"):
            value = getattr(args, name, None)
            if value is not None and value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
        return args.func(args)
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
