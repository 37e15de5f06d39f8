"""The exceptions arsdk raises. Every message says what to do next.

``ArsdkError`` is the root. The CLI maps ``InputError`` and its subclasses to exit code 2 with a one-line
message, and anything else to exit code 1.
"""

from __future__ import annotations

__all__ = [
    "ArsdkError",
    "InputError",
    "ConfigError",
    "SourceError",
    "SourceEndedEarly",
    "ModelLoadError",
    "TransportError",
]


class ArsdkError(Exception):
    """Base class of every error arsdk raises on purpose."""


class InputError(ArsdkError):
    """Bad input from the user: a path, a URL, an option. The CLI exits with code 2."""


class ConfigError(InputError, ValueError):
    """An option or argument is out of range or of the wrong kind."""


class SourceError(InputError):
    """A video source cannot be opened or read: missing file, corrupt video, unreachable stream."""


class SourceEndedEarly(SourceError):
    """A file source stopped before its last frame (truncated or damaged file).

    The frames before the damage were delivered and processed; ``frames_read`` says how many.
    """

    def __init__(self, message: str, frames_read: int, frames_expected: int) -> None:
        super().__init__(message)
        self.frames_read = frames_read
        self.frames_expected = frames_expected


class ModelLoadError(InputError):
    """A model file is missing, of the wrong format, or does not match the model it is loaded into."""


class TransportError(ArsdkError):
    """A network endpoint cannot be bound or reached, or a message is malformed."""
