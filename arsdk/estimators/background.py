"""Person proposals on a worker thread, so that looking for new people never stalls the frames.

The worker runs at a lower OS priority (nice 10, on Linux), so on a machine with few cores the frame loop
gets the CPU first.

In VIDEO mode the estimator follows known people frame to frame with the landmark model (~10 ms per
person); finding new people (the person detector and the BlazePose detector) costs ~100 ms. With
``PoseEstimatorOptions(background_proposals=True)`` that search runs here, on a frame handed over when the
worker is idle, and its boxes are checked against a later frame when they are ready.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..threads import lower_thread_priority
from ..types import Person
from collections.abc import Sequence

from .person_detector import SsdPersonProposer
from .proposals import BlazePoseProposer, BoxProposal, HogProposer, SegmentationProposer

BoxProposer = HogProposer | SegmentationProposer | SsdPersonProposer
"""A proposer of person boxes (``name`` and ``propose(image_bgr) -> list[BoxProposal]``)."""

__all__ = ["ProposalRound", "BackgroundProposer", "propose"]


@dataclass(frozen=True, slots=True)
class ProposalRound:
    """What one proposal round found on frame ``frame_index``.

    Attributes:
        frame_index: the frame the proposals were computed on.
        persons: BlazePose detector + MediaPipe landmarks (frame pixels of that frame).
        boxes: boxes of the box proposers (HOG, segmentation), each with its ``source``.
        timings_ms: milliseconds per proposal stage (``proposals_blazepose``, ``proposals_hog``,
            ``proposals_segmentation``).
    """

    frame_index: int
    persons: tuple[Person, ...] = ()
    boxes: tuple[BoxProposal, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)


def propose(index: int, image_bgr: np.ndarray, blazepose: BlazePoseProposer | None,
            box_proposers: Sequence[BoxProposer] = ()) -> ProposalRound:  # fmt: skip
    """Run the enabled proposal stages on one frame."""
    timings: dict[str, float] = {}
    persons: list[Person] = []
    boxes: list[BoxProposal] = []
    if blazepose is not None:
        start = time.perf_counter()
        persons = blazepose.propose(image_bgr)
        timings["proposals_blazepose"] = (time.perf_counter() - start) * 1000.0
    for proposer in box_proposers:
        start = time.perf_counter()
        boxes += proposer.propose(image_bgr)
        timings[f"proposals_{proposer.name}"] = (time.perf_counter() - start) * 1000.0
    return ProposalRound(index, tuple(persons), tuple(boxes), timings)


class BackgroundProposer:
    """One worker thread running :func:`propose` on the frames it is given, one at a time.

    The proposers are used only by the worker once it exists (they are not thread-safe). Errors raised on
    the worker are raised again by the next :meth:`take`. A context manager.
    """

    def __init__(self, blazepose: BlazePoseProposer | None, box_proposers: Sequence[BoxProposer] = ()) -> None:
        self._blazepose, self._box_proposers = blazepose, tuple(box_proposers)
        self._cond = threading.Condition()
        self._job: tuple[int, np.ndarray] | None = None
        self._result: ProposalRound | None = None
        self._error: BaseException | None = None
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="arsdk-proposals", daemon=True)
        self._thread.start()

    def submit(self, index: int, image_bgr: np.ndarray) -> bool:
        """Hand a frame to the worker; False (and nothing done) when it is still busy with another."""
        with self._cond:
            if self._busy or self._closed:
                return False
            self._job, self._busy = (index, image_bgr), True
            self._cond.notify_all()
            return True

    def take(self) -> ProposalRound | None:
        """The finished round, if any (None while the worker is still busy or was given nothing)."""
        with self._cond:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            result, self._result = self._result, None
            return result

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until the worker has finished the frame it was given (at most ``timeout_s`` seconds); whether
        it has. Its round is then ready for :meth:`take`."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy or self._closed, timeout_s)

    def _run(self) -> None:
        lower_thread_priority()  # the search yields to the frame loop: with few cores it must not stall frames
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._job is not None or self._closed)
                if self._closed:
                    return
                index, image = self._job  # type: ignore[misc]
                self._job = None
            try:
                result, error = propose(index, image, self._blazepose, self._box_proposers), None
            except BaseException as exc:  # noqa: BLE001 - handed to the estimator's thread
                result, error = None, exc
            with self._cond:
                self._result, self._error, self._busy = result, error, False
                self._cond.notify_all()

    def close(self) -> None:
        """Stop the worker after its current frame; safe to call twice."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def __enter__(self) -> BackgroundProposer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
