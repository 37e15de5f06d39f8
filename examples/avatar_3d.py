"""3D avatars: a textured 3D body for each person, over the video and from a free viewpoint.

    python examples/avatar_3d.py -o avatars.mp4 --view-output orbit.mp4 --view orbit
    python examples/avatar_3d.py 0 --show --atlas pattern

Renders through EGL (set PYOPENGL_PLATFORM=egl; on Debian: libegl1 libegl-mesa0 libgl1-mesa-dri).
"""

import os
import sys

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

from _common import arguments, run  # noqa: E402
from arsdk.compositor import AvatarEffect, Compositor, LabelsEffect, load_atlas  # noqa: E402


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--view", default="orbit", choices=["orbit", "side", "top", "front"])
    parser.add_argument("--view-output", help="write the free-viewpoint render to this video")
    parser.add_argument("--atlas", help="dress the avatars in a shipped atlas or file (default: their own look)")
    args = parser.parse_args()
    avatar = AvatarEffect(load_atlas(args.atlas) if args.atlas else None, view=args.view, view_output=args.view_output)
    try:
        return run(args, lambda estimator: Compositor([avatar, LabelsEffect(tracked_only=True)]))
    finally:
        avatar.close()


if __name__ == "__main__":
    sys.exit(main())
