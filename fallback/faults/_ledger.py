"""`FaultLedger`: which fault families may still have a fault on, across the runs of one session.

`reset_all` undoes every family, and that costs: the database family alone opens a connection to every
source's PostgreSQL to look for its faults (about 0.1 s), and a run undoes everything twice (before and
after). A session of many short runs on one stack (the explorer's `StackRunner`) keeps a ledger instead:

- a family is marked *before* a fault of it is applied, so an apply that fails half-way, or is
  interrupted, is undone all the same;
- `reset(controls)` undoes the marked families, in `reset_all`'s order, and unmarks each one only once
  its undo returned; a family whose undo failed stays marked (the next reset tries it again), and so do
  the ones after it (`reset_all` stops at the first failure too);
- a new ledger knows nothing, so its first reset undoes *every* family: whatever a harness killed mid-run
  left on is undone at the start of the next session, as `reset_all` did before every run. The session's
  end still undoes everything (`StackRunner.close`).

Faults applied behind the session's back (another terminal's `fallback-harness fault`) are not in the
ledger: a run no longer clears them at its end, only the session's first and last resets do.
"""

from __future__ import annotations

import threading
from collections import Counter

from fallback.faults._kinds import reset_all, reset_order
from fallback.faults._registry import Controls

__all__ = ["FaultLedger"]


class FaultLedger:
    """The families a session may have left a fault on; a new ledger: unknown, so every family."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known = False
        """False until a reset of every family returned: until then every family counts as marked."""
        self._marks: Counter[str] = Counter()
        """Per family, how often it was marked (a mark made during a reset is not lost by that reset)."""

    def mark(self, family: str) -> None:
        """A fault of `family` is about to be applied."""
        with self._lock:
            self._marks[family] += 1

    def marked(self) -> frozenset[str] | None:
        """The families the next `reset` undoes; None: every family."""
        with self._lock:
            return frozenset(self._marks) if self._known else None

    def reset(self, controls: Controls) -> None:
        """Undo the marked families (every family the first time); unmark each once its undo returned."""
        with self._lock:
            known, seen = self._known, Counter(self._marks)
        if not known:
            reset_all(controls)
            with self._lock:
                self._known = True
                self._unmark(seen, tuple(seen))
            return
        for applier in reset_order():
            if applier.family in seen:
                reset_all(controls, (applier.family,))
                with self._lock:
                    self._unmark(seen, (applier.family,))

    def _unmark(self, seen: Counter[str], families: tuple[str, ...]) -> None:
        """Forget `families`, unless one was marked again since `seen` was taken (its new fault may be on)."""
        for family in families:
            if self._marks[family] == seen[family]:
                del self._marks[family]
