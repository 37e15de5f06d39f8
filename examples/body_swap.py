"""Body swap: tracked people exchange their whole-body appearance (or all wear a reference person).

    python examples/body_swap.py -o swap.mp4                       # the shipped clip
    python examples/body_swap.py 0 --show                       # webcam, live
    python examples/body_swap.py --reference photo.jpg -o ref.mp4  # everyone looks like the photo
"""

import sys

import cv2

from _common import arguments, run
from arsdk.compositor import Compositor, LabelsEffect, SwapEffect, atlas_of_reference


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--reference", help="image of one person to put on everyone")
    args = parser.parse_args()

    def compositor(estimator):
        reference = None
        if args.reference:
            image = cv2.imread(args.reference)
            if image is None:
                raise SystemExit(f"error: cannot read {args.reference}")
            reference = atlas_of_reference(image, estimator)
        return Compositor([SwapEffect(reference), LabelsEffect(text=lambda p: [f"#{p.track_id}"] if p.track_id else [])])

    return run(args, compositor)


if __name__ == "__main__":
    sys.exit(main())
