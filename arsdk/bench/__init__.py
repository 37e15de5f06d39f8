"""Benchmarks of arsdk against the alternatives, measured side by side in one run (``arsdk bench``).

* :mod:`.live`: the live pipeline end to end, the estimator alone, and ``mp.solutions.pose``;
* :mod:`.dense_iuv`, :mod:`.tracker`, :mod:`.effects`, :mod:`.transport`, :mod:`.densepose_rcnn`: one stage
  each, beside its baseline (landmark pass, supervision's ByteTrack, dense IUV, imagezmq);
* :mod:`.report`: the targets, the Markdown report and the plots; :mod:`.run`: the command.
"""

from .run import main, run_all

__all__ = ["main", "run_all"]
