"""Draw the texture atlases shipped in arsdk/data/atlases (DensePose layout, BGRA PNG, 128-pixel tiles).

* costume: a blue suit with a yellow emblem on the chest, red sleeves, boots and a belt; the head's tiles
  are transparent, so people keep their own face.
* pattern: each tile in its own colour with its part number and a 0.1 grid of U and V (for checking charts).
* stripes: horizontal stripes along every part (V bands), in two colours per side.

Usage: .venv/bin/python scripts/make_atlases.py
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from arsdk.densepose.atlas import TextureAtlas

N = 128
OUT = Path(__file__).resolve().parent.parent / "arsdk" / "data" / "atlases"
BLUE, RED, YELLOW, DARK = (170, 60, 20), (40, 40, 200), (40, 210, 240), (50, 30, 20)
ARMS = (15, 16, 17, 18, 19, 20, 21, 22)
LEGS = (7, 8, 9, 10, 11, 12, 13, 14)


def _tiles() -> np.ndarray:
    return np.zeros((24, N, N, 4), np.uint8)


def costume() -> TextureAtlas:
    tiles = _tiles()
    for p in range(1, 23):
        tiles[p - 1, ..., :3] = RED if p in ARMS else BLUE
        tiles[p - 1, ..., 3] = 255
    tiles[2, ..., :3] = tiles[3, ..., :3] = YELLOW  # gloves
    for p in (5, 6):  # boots
        tiles[p - 1, ..., :3] = RED
    for p in (11, 12, 13, 14):  # boot tops on the lower legs (V < 0.3 is the ankle end: the bottom rows)
        tiles[p - 1, int(0.7 * N) :, :, :3] = RED
    for p in (1, 2):  # belt just above the hips (V ~ 0.15)
        tiles[p - 1, int(0.78 * N) : int(0.86 * N), :, :3] = YELLOW
    chest = tiles[1]  # torso front: an emblem centred on the chest
    cv2.circle(chest, (N // 2, int(0.38 * N)), N // 5, (*YELLOW, 255), -1, cv2.LINE_AA)
    star = np.array([[np.cos(a) * r, np.sin(a) * r] for a, r in zip(np.linspace(-np.pi / 2, 1.5 * np.pi, 11)[:-1],
                     [N * 0.16, N * 0.07] * 5)]) + [N / 2, 0.38 * N]  # fmt: skip
    cv2.fillPoly(chest, [np.round(star).astype(np.int32)], (*RED, 255), cv2.LINE_AA)
    return TextureAtlas(tiles)  # head tiles 23, 24 stay transparent


def pattern() -> TextureAtlas:
    tiles = _tiles()
    for p in range(1, 25):
        hue = int((p * 7.5) % 180)
        tile = cv2.cvtColor(np.full((N, N, 3), (hue, 160, 230), np.uint8), cv2.COLOR_HSV2BGR)
        for k in range(11):
            c = round(k * (N - 1) / 10)
            tile[:, c] = tile[c, :] = (40, 40, 40)
        cv2.putText(tile, str(p), (N // 2 - 16, N // 2 + 10), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2, cv2.LINE_AA)
        tiles[p - 1, ..., :3], tiles[p - 1, ..., 3] = tile, 255
    return TextureAtlas(tiles)


def stripes() -> TextureAtlas:
    tiles = _tiles()
    band = (np.arange(N) // (N // 8)) % 2 == 0
    for p in range(1, 25):
        a, b = ((30, 30, 30), (230, 230, 230)) if p % 2 else ((40, 150, 250), (250, 250, 250))
        tiles[p - 1, ..., :3] = np.where(band[:, None, None], a, b)
        tiles[p - 1, ..., 3] = 255
    return TextureAtlas(tiles)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in (("costume", costume), ("pattern", pattern), ("stripes", stripes)):
        make().save(OUT / f"{name}.png")
        print(f"wrote {OUT / name}.png")
