"""Regenerate the compositor's golden images (run after an intended change of an effect's output).

Usage: .venv/bin/python -m tests.golden.make_goldens
"""

from __future__ import annotations

from pathlib import Path

import cv2

from tests.golden_cases import CASES, render_case

if __name__ == "__main__":
    folder = Path(__file__).resolve().parent
    for image_name, effect in CASES:
        path = folder / f"{Path(image_name).stem}_{effect.split(':')[0]}.png"
        cv2.imwrite(str(path), render_case(image_name, effect))
        print("wrote", path)
