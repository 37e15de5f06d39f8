"""Label overlay: each tracked person gets a label with live statistics, pinned above the head.

    python examples/label_overlay.py -o labels.mp4
    python examples/label_overlay.py rtsp://127.0.0.1:8554/cam --show
"""

import sys

from _common import arguments, run
from arsdk.compositor import Compositor, LabelsEffect


def label(person) -> list[str]:
    """Your own text per person: here the id, clothing colour, speed and what the person does."""
    stats = person.attributes
    if person.track_id is None:
        return []
    lines = [f"#{person.track_id} in {stats.get('clothing_colour', '?')}"]
    speed = stats.get("speed_m_s")
    lines.append(f"{speed:.1f} m/s {stats.get('direction', '')}" if speed is not None else stats.get("direction", ""))
    if stats.get("pose"):
        lines.append(", ".join(stats["pose"]))
    return lines


def main() -> int:
    args = arguments(__doc__.splitlines()[0]).parse_args()
    return run(args, lambda estimator: Compositor([LabelsEffect(text=label)]))


if __name__ == "__main__":
    sys.exit(main())
