"""One list of fault windows from two accounts: what the drill applied, and what Toxiproxy showed.

A window the drill applied itself has exact times (taken when Toxiproxy acknowledged it); the
watcher sees the same fault up to one poll later. Every observed window that matches an
applied one (same link, same kind, edges within `MATCH_S`) is dropped in favour of the exact
one; what remains was done by someone else (typed live from another terminal) and is kept with
its observed times.
"""

from __future__ import annotations

from collections.abc import Sequence

from fallback.drill.watch import ObservedWindow
from fallback.engine.faults import AppliedWindow
from fallback.report.model import FaultTiming

MATCH_S = 0.5


def _matches(observed: ObservedWindow, applied: AppliedWindow) -> bool:
    window = applied.window
    if (observed.target, observed.kind) != (window.target, window.toxic):
        return False
    if abs(observed.start_s - applied.applied_s) > MATCH_S:
        return False
    if observed.end_s is None or applied.cleared_s is None:
        return observed.end_s is None and applied.cleared_s is None
    return abs(observed.end_s - applied.cleared_s) <= MATCH_S


def merge_windows(applied: Sequence[AppliedWindow], observed: Sequence[ObservedWindow]) -> tuple[FaultTiming, ...]:
    timings = [
        FaultTiming(
            target=a.window.target,
            toxic=a.window.toxic,
            start_s=round(a.applied_s, 3),
            end_s=None if a.cleared_s is None else round(a.cleared_s, 3),
            origin="timeline",
        )
        for a in applied
    ]
    for seen in observed:
        if any(_matches(seen, a) for a in applied):
            continue
        timings.append(
            FaultTiming(
                target=seen.target,
                toxic=seen.kind,
                start_s=round(seen.start_s, 3),
                end_s=None if seen.end_s is None else round(seen.end_s, 3),
                origin="observed",
            )
        )
    return tuple(sorted(timings, key=lambda t: (t.start_s, t.target)))
