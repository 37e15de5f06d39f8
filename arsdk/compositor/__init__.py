"""The compositor and its effects: texture, swap, labels, DensePose visualizations."""

from .avatar import AvatarEffect, BodyMesh, build_body_mesh, fit_orthographic
from .compositor import Compositor, Effect
from .effects import EFFECTS, DenseVisEffect, load_atlas, parse_effect, shipped_atlases
from .labels import LabelsEffect, default_label_text
from .swap import AppearanceBank, SwapEffect, atlas_of_reference, fill_atlas
from .texture import TextureEffect

__all__ = [
    "Compositor", "Effect", "EFFECTS", "parse_effect", "TextureEffect", "SwapEffect", "LabelsEffect",
    "DenseVisEffect", "AppearanceBank", "fill_atlas", "atlas_of_reference", "default_label_text",
    "load_atlas", "shipped_atlases", "AvatarEffect", "BodyMesh", "build_body_mesh", "fit_orthographic",
]  # fmt: skip
