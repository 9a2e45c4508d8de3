"""Adaptive deadlines for loads: stop waiting for a source that is late *for itself*.

Each source keeps a `LatencyWindow`: the latencies of its recent successful calls (reads and
writes alike: one source, one network path). A load waits for a source at most its cut:

    warm (>= min_samples in the window):  max(floor, k x p99 of the window)
    cold (fewer samples):                 max(floor, k x the larger of the window's p99 (if it has any
                                          call) and the time the first source of this load answered)

never more than the hard `Deadline` (each call keeps its own `asyncio.timeout`), and only once some
other source of this load has answered ok: with nothing to show, a load keeps waiting, as before.
A cut source's call is *not* cancelled: it runs on in the background up to the hard deadline; when
it answers, its latency joins the window (a source that became slow, not dead, gets a larger cut
within a few loads and is included again) and `on_late` gets its rows (the client refreshes its
last-known-good snapshot with them). The cut shows as an `Attempt` of kind `cut` whose message
says when and why, so the load is `degraded`.

While a cut call of a source is still running, that source takes no new create: the create's attempt
there is a `cut` that sent nothing, so the write goes on to the next source without any ambiguity, as
through an open breaker (a hung source's breaker learns only when those calls end, the hard deadline
later; without this a create right after a few cut loads would hang on it and end indeterminate).

Why a cold window still counts its own calls: a source that became slow (every answer 300 ms,
loads cut at the 100 ms floor, back to back) teaches its window only as its late calls end, one per
load, the first about 3 loads later. Were the cut to follow the load's first answer until
`min_samples` calls are known, the source would stay cut until the third late call had ended
(included again at the 6th load); counting the first known call at once includes it at the 4th.
A hung source still teaches nothing (no call of it ends ok), so it stays cut at the floor.

The p99 is computed once per recorded call, not per look: `_wait` asks every pending source for
its cut each time something happens, and `statistics.quantiles` costs about 20 us a call.

Only successful calls feed the window: a hung call that ends at the hard deadline must not teach
the window to wait that long (its failure goes to the breaker instead, which opens after a few).

Time comes from an injectable `clock` (seconds, monotonic), like the breaker's, so the rule is
tested without sleeping (`tests/client/test_adaptive.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fallback.client.results import Attempt, Op
from fallback.stats import percentile_of_sorted

__all__ = ["AdaptiveCut", "Answer", "Cut", "LatencyWindow", "gather_with_cut"]

Rows = list[dict[str, Any]]
Answer = tuple[Attempt, Rows]
Late = Callable[[Attempt, Rows], None]


@dataclass(frozen=True)
class AdaptiveCut:
    """The cut's settings; `ReferenceClient(adaptive=None)` keeps today's static deadline."""

    floor: float = 0.100
    """Seconds: never cut a source sooner than this."""
    k: float = 3.0
    """Times the source's recent p99 (or, cold, the first answer of the load)."""
    window: int = 50
    """Successful calls remembered per source."""
    min_samples: int = 3
    """Below this the window is cold: the cut follows the load's first answer instead."""
    quantile: int = 99

    def __post_init__(self) -> None:
        if self.floor <= 0 or self.k < 1 or self.window < 1 or self.min_samples < 1:
            raise ValueError("AdaptiveCut: floor > 0, k >= 1, window >= 1 and min_samples >= 1 are required")
        if not 0 < self.quantile <= 100:
            raise ValueError("AdaptiveCut: quantile within (0, 100]")


@dataclass(frozen=True)
class Cut:
    """When one source stops being waited for in one load, and why (shown in its attempt)."""

    at: float
    """Seconds after the load began."""
    reason: str


class LatencyWindow:
    """One source's recent successful call latencies (seconds); not thread-safe (one event loop)."""

    def __init__(self, settings: AdaptiveCut) -> None:
        self.settings = settings
        self._latencies: deque[float] = deque(maxlen=settings.window)
        self._p99: float | None = None
        """The window's p99 once computed, until the next call is recorded."""
        self.overdue = 0
        """Calls cut and still running: while any is, the source takes no new create (see `Source.call`)."""

    def record(self, seconds: float) -> None:
        self._latencies.append(seconds)
        self._p99 = None

    def __len__(self) -> int:
        return len(self._latencies)

    @property
    def warm(self) -> bool:
        return len(self._latencies) >= self.settings.min_samples

    def p99(self) -> float | None:
        if self._p99 is None and self._latencies:
            self._p99 = percentile_of_sorted(sorted(self._latencies), self.settings.quantile)
        return self._p99

    def snapshot(self) -> dict[str, Any]:
        """For `metrics()`: calls known and their p99 (ms)."""
        p99 = self.p99()
        return {"calls": len(self), "p99_ms": None if p99 is None else round(p99 * 1000, 1), "warm": self.warm}

    def cut(self, first_answer: float | None, hard: float) -> Cut | None:
        """The cut for a load whose first ok answer came `first_answer` s in (None: none yet)."""
        s = self.settings
        if first_answer is None:
            return None
        p99 = self.p99()
        if self.warm and p99 is not None:
            at, why = max(s.floor, s.k * p99), f"{s.k:g} x p99 {p99 * 1000:.0f} ms over {len(self)} calls"
        elif p99 is not None and p99 > first_answer:  # cold, but its own calls were slower: they count
            at = max(s.floor, s.k * p99)
            why = f"{s.k:g} x its own p99 {p99 * 1000:.0f} ms over {len(self)} call(s), window cold"
        else:
            at = max(s.floor, s.k * first_answer)
            why = f"{s.k:g} x the first answer ({first_answer * 1000:.0f} ms; {len(self)} calls known)"
        if at >= hard:
            return None
        floor = f"floor {s.floor * 1000:.0f} ms"
        return Cut(at, f"cut at {at * 1000:.0f} ms: max({floor}, {why})")


async def gather_with_cut(
    calls: Sequence[tuple[str, LatencyWindow, Awaitable[Answer]]],
    *,
    hard: float,
    on_late: Late,
    background: set[asyncio.Task[Any]],
    clock: Callable[[], float] = time.monotonic,
) -> list[Answer]:
    """Run the (read) calls at once; return one answer per call, in order, a `cut` attempt for each cut one.

    A cut call keeps running as a task in `background` (the caller awaits them on close); when it
    ends ok, `on_late(attempt, rows)` is called with its answer.
    """
    start = clock()
    tasks = [asyncio.ensure_future(awaitable) for _, _, awaitable in calls]
    answers: list[Answer | None] = [None] * len(tasks)
    pending = set(range(len(tasks)))
    try:
        await _wait(calls, tasks, answers, pending, hard, start, on_late, background, clock)
    except asyncio.CancelledError:
        for i in pending:
            tasks[i].cancel()
        raise
    return [a for a in answers if a is not None]


async def _wait(
    calls: Sequence[tuple[str, LatencyWindow, Awaitable[Answer]]],
    tasks: Sequence[asyncio.Future[Answer]],
    answers: list[Answer | None],
    pending: set[int],
    hard: float,
    start: float,
    on_late: Late,
    background: set[asyncio.Task[Any]],
    clock: Callable[[], float],
) -> None:
    op: Op = "select"
    first_ok: float | None = None
    while pending:
        cuts = {i: calls[i][1].cut(first_ok, hard) for i in pending}
        now = clock() - start
        expired = {i for i, cut in cuts.items() if cut is not None and cut.at <= now}
        for i in expired:
            cut = cuts[i]
            assert cut is not None
            answers[i] = (Attempt(calls[i][0], op, "cut", now * 1000, message=cut.reason), [])
            _run_on(tasks[i], calls[i][1], on_late, background)
        pending -= expired
        if not pending:
            break
        waits = [cut.at - now for i, cut in cuts.items() if i in pending and cut is not None]
        done, _ = await asyncio.wait(
            [tasks[i] for i in pending], timeout=min(waits) if waits else None, return_when=asyncio.FIRST_COMPLETED
        )
        for i in [i for i in pending if tasks[i] in done]:
            answers[i] = tasks[i].result()
            pending.discard(i)
            if answers[i][0].ok and first_ok is None:  # type: ignore[index]
                first_ok = clock() - start


def _run_on(
    task: asyncio.Future[Answer], window: LatencyWindow, on_late: Late, background: set[asyncio.Task[Any]]
) -> None:
    """Let a cut call finish in the background; hand its rows over if it ends ok."""
    window.overdue += 1

    async def finish() -> None:
        try:
            attempt, rows = await task
        finally:
            window.overdue -= 1
        if attempt.ok:
            on_late(attempt, rows)

    follow = asyncio.create_task(finish())
    background.add(follow)
    follow.add_done_callback(background.discard)
