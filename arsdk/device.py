"""Choosing the compute device once, at run time: no ``.cuda()`` calls scattered through the code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:  # torch is imported lazily: it costs a second or two and most CPU paths never need it
    import torch

__all__ = ["select_device", "DEVICE_CHOICES"]

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def select_device(preference: str = "auto") -> torch.device:
    """The torch device to run on.

    Args:
        preference: ``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda`` or ``cuda:N``.

    Raises:
        ConfigError: an unknown preference, or CUDA asked for where there is none.
    """
    import torch

    choice = preference.strip().lower()
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cpu":
        return torch.device("cpu")
    if choice == "cuda" or choice.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"--device {preference}: this torch build ({torch.__version__}) sees no CUDA device; "
                "use --device cpu, or install a CUDA build of torch on a machine with an NVIDIA GPU"
            )
        return torch.device(choice)
    raise ConfigError(f"unknown device {preference!r}; choose one of {', '.join(DEVICE_CHOICES)} or cuda:N")
