"""Live webcam demo: the costume on everyone, labels with statistics, in a window (q quits).

    python examples/live_webcam_demo.py                     # webcam 0, window
    python examples/live_webcam_demo.py clip.mp4 -o demo.mp4   # no display needed
"""

import sys

from _common import arguments, run
from arsdk.compositor import Compositor, LabelsEffect, TextureEffect, load_atlas


def main() -> int:
    parser = arguments(__doc__.splitlines()[0], default_source="0")
    parser.add_argument("--atlas", default="costume", help="shipped atlas name (costume, pattern, stripes) or a file")
    args = parser.parse_args()
    if not args.output:
        args.show = True
    return run(args, lambda estimator: Compositor([TextureEffect(load_atlas(args.atlas)), LabelsEffect()]))


if __name__ == "__main__":
    sys.exit(main())
