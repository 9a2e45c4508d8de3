"""Applying a scenario's fault timeline to the stack (Toxiproxy, its processes) while the workload runs.

Each window is applied at its offset from the workload's start and cleared at its end; what
was actually applied, and when, is recorded (the report shades these windows). Whatever
happens (the workload ends early, fails, or is cancelled by Ctrl-C), every fault is undone in
`finally` by every applier's `reset` (`fallback.faults.reset_all`): every toxic removed, every proxy
re-enabled, every paused process resumed, every killed one restarted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from fallback.faults import Controls, Fault, FaultLedger, family_of, reset_all
from fallback.scenario import FaultWindow
from fallback.toxics import Stream


@dataclass(frozen=True)
class AppliedWindow:
    window: FaultWindow
    applied_s: float
    cleared_s: float | None
    """None when the window lasted until the workload ended."""


def to_fault(window: FaultWindow) -> Fault:
    """The registry's `Fault` a scenario window applies (its toxic named uniquely within the scenario)."""
    stream: Stream = "upstream" if window.stream == "upstream" else "downstream"
    return Fault(window.target, window.toxic, dict(window.attributes), stream, window.toxicity, window.name)


async def _whole(call: Coroutine[Any, Any, None]) -> None:
    """Await an apply or clear running in a thread; cancelled meanwhile (the workload ended), wait for the thread
    all the same, then be cancelled. The run's final reset must come after it: an apply still under way (a
    `connections_exhausted` holder filling the slots takes seconds) would otherwise outlive that reset and
    leave its fault on after the run."""
    work = asyncio.ensure_future(call)
    try:
        await asyncio.shield(work)
    except asyncio.CancelledError:
        await asyncio.wait({work})
        raise


class FaultTimeline:
    """Runs as a task beside the workload: `await timeline.run(clock)`; cancel it when the workload ends."""

    def __init__(self, controls: Controls, windows: Sequence[FaultWindow], ledger: FaultLedger | None = None) -> None:
        self.controls = controls
        self.windows = tuple(windows)
        self.ledger = ledger
        """The session's (the explorer's): each window's family marked before it is applied, and `clear_all`
        undoes the marked families only. None: `clear_all` undoes every family."""
        self.applied: list[AppliedWindow] = []
        self._open: dict[int, tuple[FaultWindow, float]] = {}

    async def apply_initial(self) -> None:
        """Apply the windows that start at 0 s before the workload's clock starts.

        Applied concurrently with the first operation instead, a `down` at 0 s could close a
        request already in flight: a different fault (a lost reply) than the file describes.
        """
        for index, window in enumerate(self.windows):
            if window.start_s <= 0:
                self._mark(window)
                await asyncio.to_thread(to_fault(window).apply, self.controls)
                self._open[index] = (window, 0.0)

    async def run(self, now: asyncio.AbstractEventLoop, started_at: float) -> None:
        """Apply and clear every window on time; returns after the last timed clear."""
        events: list[tuple[float, int, bool]] = []  # (offset, window index, apply?)
        for index, window in enumerate(self.windows):
            if window.start_s > 0:
                events.append((window.start_s, index, True))
            if window.end_s is not None:
                events.append((window.end_s, index, False))
        events.sort(key=lambda e: (e[0], e[2]))  # at equal offsets clear before apply (flaps)
        for offset, index, apply in events:
            delay = started_at + offset - now.time()
            if delay > 0:
                await asyncio.sleep(delay)
            window = self.windows[index]
            at = now.time() - started_at
            if apply:
                self._mark(window)
                try:
                    await _whole(asyncio.to_thread(to_fault(window).apply, self.controls))
                except asyncio.CancelledError:
                    self._open[index] = (window, at)  # it was applied all the same: `clear_all` closes it
                    raise
                self._open[index] = (window, at)
            else:
                await _whole(asyncio.to_thread(to_fault(window).clear, self.controls))
                opened = self._open.pop(index, None)
                if opened is not None:
                    self.applied.append(AppliedWindow(window, opened[1], at))

    def _mark(self, window: FaultWindow) -> None:
        if self.ledger is not None:
            self.ledger.mark(family_of(window.toxic))

    def clear_all(self, at: float) -> None:
        """Undo every fault (every applier's `reset`, not only Toxiproxy's: with a ledger, of every family it
        marked); close the windows still open."""
        if self.ledger is not None:
            self.ledger.reset(self.controls)
        else:
            reset_all(self.controls)
        for window, applied in self._open.values():
            self.applied.append(AppliedWindow(window, applied, at))
        self._open.clear()
        self.applied.sort(key=lambda a: a.applied_s)
