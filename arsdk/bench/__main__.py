"""``python -m arsdk.bench``."""

from .run import main

raise SystemExit(main())
