"""Where a run's wall-clock time goes, step by step (`fallback-harness explore --profile-steps`).

    times = StepTimes()
    with times.timed(Step.reseed):
        ...
    profile([times, ...])          # per step: median, p90 and total over the runs, in run order

Always on: two `time.perf_counter` calls per step, nothing stored beyond one float per step and run.
The steps are a run's (`RunSession`: stack reset, fresh stack, client, fault timeline, workload, settle,
final reads, checker) plus the explorer's own (`judge`; `search`: Hypothesis drawing the next schedule,
the time between two runs). `workload` is the schedule's own time (its faults play during it); every
other step is overhead the explorer pays per schedule.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Step", "StepSummary", "StepTimes", "profile"]


class Step(StrEnum):
    """The steps of one run, in the order they happen."""

    search = "search"
    """The explorer: Hypothesis drawing the schedule (the time since the previous run ended)."""
    reset = "reset"
    """Every fault family undone before the run (what a harness killed mid-run left on)."""
    healthy = "healthy"
    """Toxiproxy reset and the stack healthy (every gateway ready) before the reseed."""
    reseed = "reseed"
    """The tables emptied and seeded."""
    schema = "schema"
    read_initial = "read_initial"
    client = "client"
    """The client built (and the cache dir, the log capture)."""
    first_faults = "first_faults"
    """The windows starting at 0 s applied before the workload's clock starts."""
    workload = "workload"
    """The schedule's own time: the operations, its faults applied and cleared on time."""
    clear_faults = "clear_faults"
    """Every fault undone after the workload (each applied family's reset)."""
    wind_down = "wind_down"
    """Operations still in flight when the work was stopped, given their grace."""
    settle = "settle"
    """The stack healthy again after the faults (a killed or paused process back, gateways reconnected)."""
    resolve = "resolve"
    """The client's undecided writes settled (`resolve_pending`)."""
    close = "close"
    """The client closed, its cache removed."""
    read_final = "read_final"
    check = "check"
    """The history checker."""
    judge = "judge"
    """The explorer's invariants."""
    other = "other"
    """The rest of the run's wall-clock time (the explorer's runner: event loop, records)."""


@dataclass
class StepTimes:
    """One run's seconds per step (a step entered twice adds up)."""

    seconds: dict[Step, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, step: Step) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(step, time.perf_counter() - start)

    def add(self, step: Step, seconds: float) -> None:
        self.seconds[step] = self.seconds.get(step, 0.0) + seconds

    @property
    def total_s(self) -> float:
        return sum(self.seconds.values())


@dataclass(frozen=True)
class StepSummary:
    step: Step
    median_s: float
    p90_s: float
    total_s: float
    share: float
    """Of the time of every step of every run."""


def profile(runs: Sequence[StepTimes]) -> tuple[StepSummary, ...]:
    """Per step, over `runs` (a step a run skipped counts as 0 s there): median, p90, total and share."""
    if not runs:
        return ()
    grand = sum(run.total_s for run in runs) or 1.0
    found: list[StepSummary] = []
    for step in Step:
        values = sorted(run.seconds.get(step, 0.0) for run in runs)
        if not any(values):
            continue
        p90 = statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]
        found.append(StepSummary(step, statistics.median(values), p90, sum(values), sum(values) / grand))
    return tuple(found)
