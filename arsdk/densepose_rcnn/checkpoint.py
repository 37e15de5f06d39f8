"""Loading DensePose R-CNN checkpoints safely.

* detectron2 model-zoo ``.pkl``: a pickle of ``{"model": {name: numpy array}, "__author__": ...}``, read with a
  restricted unpickler that admits only what such files contain (numpy arrays and dtypes, dicts); anything
  else, such as a pickle that would run code, is refused before it can run.
* ``.pth`` / ``.pt``: ``torch.load(weights_only=True)``, a state dict (optionally under ``"model"``).

Then the variant is detected from the keys and every key and shape is checked against the architecture;
a mismatch names the keys and the likely fix.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from .keys import IGNORABLE_KEYS, Variant, detect_variant, expected_shapes

__all__ = ["CheckpointReport", "load_state_dict", "check_checkpoint"]

_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("collections", "OrderedDict"),
    ("_codecs", "encode"),  # Python 2 pickles of numpy arrays spell their bytes through it
}  # fmt: skip


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: ANN201
        if (module, name) not in _ALLOWED_GLOBALS:
            raise ModelLoadError(
                f"refusing to load: the file asks to import {module}.{name}, which a detectron2 checkpoint never "
                "contains (a pickle that could run code). Get the weights from 'arsdk weights list'"
            )
        return super().find_class(module, name)


def _load_pkl(path: Path) -> dict:
    data = path.read_bytes()
    try:
        obj = _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except ModelLoadError:
        raise
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, IndexError, KeyError) as exc:
        raise ModelLoadError(
            f"{path}: not a complete pickle ({type(exc).__name__}: {exc}); the file is truncated or damaged: "
            "download it again and compare its size"
        ) from exc
    if not isinstance(obj, dict):
        raise ModelLoadError(f"{path}: a pickle of {type(obj).__name__}, not a detectron2 checkpoint dict")
    return obj


def _load_torch(path: Path) -> dict:
    import torch

    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds; all mean "not a plain state dict"
        raise ModelLoadError(
            f"{path}: not a plain PyTorch state dict ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
            "arsdk loads weights only (never code): save with torch.save(model.state_dict(), path)"
        ) from exc
    if not isinstance(obj, dict):
        raise ModelLoadError(f"{path}: holds a {type(obj).__name__}, not a state dict")
    return obj


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The checkpoint's parameters as float32 numpy arrays, by detectron2 key name.

    Raises:
        ModelLoadError: missing, truncated, hostile, or not a checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such file; 'arsdk weights list' says where to get the official weights")
    suffix = path.suffix.lower()
    if suffix == ".pkl":
        obj = _load_pkl(path)
    elif suffix in (".pth", ".pt"):
        obj = _load_torch(path)
    else:
        raise ModelLoadError(f"{path}: unknown checkpoint type {suffix!r}; use a detectron2 .pkl or a .pth state dict")
    weights = obj.get("model", obj)
    if not isinstance(weights, dict) or not weights:
        raise ModelLoadError(f"{path}: no 'model' dict of weights inside")
    out = {}
    for name, value in weights.items():
        if not isinstance(name, str):
            raise ModelLoadError(f"{path}: a key that is not a name ({name!r})")
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
            raise ModelLoadError(f"{path}: {name} is {type(value).__name__}, not a numeric array")
        out[name] = value.astype(np.float32, copy=False)
    return out


@dataclass(frozen=True, slots=True)
class CheckpointReport:
    """What ``check_checkpoint`` found."""

    variant: Variant
    parameters: int
    ignored_keys: tuple[str, ...] = field(default=())


def check_checkpoint(path: str | Path, expected: str | None = None) -> tuple[CheckpointReport, dict[str, np.ndarray]]:
    """Load, detect the variant, and check every key and shape.

    Args:
        path: the checkpoint.
        expected: a variant name the caller needs (e.g. ``R_50_FPN_s1x``); a different one is an error.

    Raises:
        ModelLoadError: load failures, a different variant than expected, missing, unexpected or misshapen keys.
    """
    weights = load_state_dict(path)
    ignored = tuple(sorted(k for k in weights if k.startswith(IGNORABLE_KEYS)))
    shapes = {k: tuple(v.shape) for k, v in weights.items() if k not in ignored}
    variant = detect_variant(shapes)
    if expected is not None and variant.name != expected:
        raise ModelLoadError(
            f"{path} is a {variant.name} checkpoint, not {expected}: pick the matching model "
            f"(--model {variant.name}) or the matching file ('arsdk weights list')"
        )
    wanted = expected_shapes(variant)
    missing = sorted(set(wanted) - set(shapes))
    extra = sorted(set(shapes) - set(wanted))
    wrong = sorted(k for k in wanted if k in shapes and shapes[k] != wanted[k])
    if missing or extra or wrong:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} keys (e.g. {', '.join(missing[:3])})")
        if extra:
            parts.append(f"{len(extra)} unexpected keys (e.g. {', '.join(extra[:3])})")
        if wrong:
            parts.append("wrong shapes: " + ", ".join(f"{k} {shapes[k]} instead of {wanted[k]}" for k in wrong[:3]))
        raise ModelLoadError(f"{path} does not match {variant.name}: " + "; ".join(parts) +
                             ". A confidence (WC*) model or a modified config? arsdk loads the models of 'arsdk weights list'")  # fmt: skip
    report = CheckpointReport(variant, int(sum(int(np.prod(s)) for s in shapes.values())), ignored)
    return report, {k: weights[k] for k in wanted}
