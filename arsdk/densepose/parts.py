"""DensePose's 24 body parts: indices, names, the left/right flip map, display colours.

Left and right are the person's own. Of each paired torso/limb index the first is the back and the
second the front (1 = torso back, 2 = torso front, 7/9 = right upper leg back/front, ...). The head's two
parts swap under DensePose's flip map, so they are the head's two sides: arsdk uses 23 = right side,
24 = left side (front of the face at U = 0, back of the head at U = 1).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NUM_PARTS",
    "PART_NAMES",
    "FLIP_MAP",
    "COARSE_OF_FINE",
    "PLAUSIBLE_PARTS",
    "part_tile_origin",
]

NUM_PARTS = 24

PART_NAMES: dict[int, str] = {
    0: "background",
    1: "torso back", 2: "torso front",
    3: "right hand", 4: "left hand",
    5: "left foot", 6: "right foot",
    7: "right upper leg back", 8: "left upper leg back",
    9: "right upper leg front", 10: "left upper leg front",
    11: "right lower leg back", 12: "left lower leg back",
    13: "right lower leg front", 14: "left lower leg front",
    15: "left upper arm back", 16: "right upper arm back",
    17: "left upper arm front", 18: "right upper arm front",
    19: "left lower arm back", 20: "right lower arm back",
    21: "left lower arm front", 22: "right lower arm front",
    23: "head right side", 24: "head left side",
}  # fmt: skip

FLIP_MAP = np.array(
    [0, 1, 2, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22, 21, 24, 23], np.uint8
)
"""``FLIP_MAP[i]`` is the part that ``i`` becomes when the image is mirrored left-right (DensePose's map)."""

COARSE_OF_FINE = np.array([0, 1, 1, 2, 3, 4, 5, 6, 7, 6, 7, 8, 9, 8, 9, 10, 11, 10, 11, 12, 13, 12, 13, 14, 14], np.uint8)
"""The 14 coarse parts of DensePose (1 torso, 2 right hand, ..., 14 head) by fine part index."""

# Which parts a BlazePose landmark may plausibly lie on (joints lie on either neighbouring segment).
_HEAD = (23, 24)
_TORSO = (1, 2)
_L_UPPER_ARM, _R_UPPER_ARM = (15, 17), (16, 18)
_L_LOWER_ARM, _R_LOWER_ARM = (19, 21), (20, 22)
_L_UPPER_LEG, _R_UPPER_LEG = (8, 10), (7, 9)
_L_LOWER_LEG, _R_LOWER_LEG = (12, 14), (11, 13)
_L_HAND, _R_HAND, _L_FOOT, _R_FOOT = (4,), (3,), (5,), (6,)

PLAUSIBLE_PARTS: dict[int, frozenset[int]] = {
    **{i: frozenset(_HEAD) for i in range(0, 11)},
    11: frozenset(_TORSO + _L_UPPER_ARM + _HEAD), 12: frozenset(_TORSO + _R_UPPER_ARM + _HEAD),
    13: frozenset(_L_UPPER_ARM + _L_LOWER_ARM), 14: frozenset(_R_UPPER_ARM + _R_LOWER_ARM),
    15: frozenset(_L_LOWER_ARM + _L_HAND), 16: frozenset(_R_LOWER_ARM + _R_HAND),
    **{i: frozenset(_L_HAND + _L_LOWER_ARM) for i in (17, 19, 21)},
    **{i: frozenset(_R_HAND + _R_LOWER_ARM) for i in (18, 20, 22)},
    23: frozenset(_TORSO + _L_UPPER_LEG), 24: frozenset(_TORSO + _R_UPPER_LEG),
    25: frozenset(_L_UPPER_LEG + _L_LOWER_LEG), 26: frozenset(_R_UPPER_LEG + _R_LOWER_LEG),
    27: frozenset(_L_LOWER_LEG + _L_FOOT), 28: frozenset(_R_LOWER_LEG + _R_FOOT),
    29: frozenset(_L_FOOT + _L_LOWER_LEG), 30: frozenset(_R_FOOT + _R_LOWER_LEG),
    31: frozenset(_L_FOOT), 32: frozenset(_R_FOOT),
}  # fmt: skip
"""For each of the 33 BlazePose landmarks, the DensePose parts it may lie on."""


def part_tile_origin(part: int, tile_size: int) -> tuple[int, int]:
    """(row, column) pixel origin of ``part``'s tile in a DensePose atlas (6 rows x 4 columns, column-major)."""
    if not 1 <= part <= NUM_PARTS:
        raise ValueError(f"part must be in 1..{NUM_PARTS}, got {part}")
    return ((part - 1) % 6) * tile_size, ((part - 1) // 6) * tile_size
