"""One drill: steady traffic through one client while faults hit the stack, then the figures.

    result = await run_drill(DrillOptions(client="reference", plan=TrafficPlan(50, 30), windows=...), state)

The steps are the engine's `RunSession` (a fresh stack, the client, the fault timeline, every toxic
removed in `finally` also after a Ctrl-C (`stop` set) or a crash, pending writes settled, the tables
read): here only the traffic, a Toxiproxy watcher for faults typed by hand, the dashboard and the figures.
A process of the stack that dies ends the drill within about a second, as an `error` with its figures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from fallback.drill.figures import drill_figures
from fallback.drill.live import LiveView, live_view
from fallback.drill.merge import merge_windows
from fallback.drill.traffic import SteadyTraffic, TrafficPlan
from fallback.drill.watch import ObservedWindow, ProxyWatcher
from fallback.engine.session import WRITE_OPS, RunSession, SessionPlan
from fallback.history import History
from fallback.report.model import (
    ClientRun,
    FaultSpan,
    FaultTiming,
    RunRecord,
    ScenarioRun,
    Verdict,
    git_commit,
    machine_info,
    new_run_id,
)
from fallback.scenario import FaultWindow
from fallback.stack import stack as stack_lib
from fallback.stack.seed import SPEC_SEED
from fallback.stack.state import StackState


@dataclass(frozen=True)
class DrillOptions:
    plan: TrafficPlan
    client: str = "reference"
    windows: tuple[FaultWindow, ...] = ()
    op_deadline_s: float = 10.0
    seed_rows: stack_lib.Seed | None = field(default_factory=lambda: SPEC_SEED)
    """Truncate and reseed every source first; None keeps the data as it is (external projects)."""
    refresh_s: float = 0.25
    check: bool = True
    """Read the databases and run the history checker at the end (needs each source's `db_dsn`)."""


@dataclass(frozen=True)
class DrillResult:
    record: RunRecord
    run: ClientRun
    history: History


Tick = Callable[[LiveView], None]


async def run_drill(
    options: DrillOptions, state: StackState, *, on_tick: Tick | None = None, stop: asyncio.Event | None = None
) -> DrillResult:
    started_at = datetime.now(UTC)
    stop = stop or asyncio.Event()
    async with RunSession(state, session_plan(options)) as session:
        traffic = SteadyTraffic(session.runner, options.plan, session.clock)
        watcher = ProxyWatcher(session.toxiproxy, session.clock) if session.toxiproxy else None

        def tick() -> None:
            if on_tick is None:
                return
            view = live_view(
                session.history.completions(),
                now=session.clock(),
                duration_s=options.plan.duration_s,
                issued=traffic.issued,
                sources=session.sources,
                metrics=session.client.metrics(),
                faults=watcher.log.active() if watcher else {},
                pace=traffic.pace,
                rate_per_s=options.plan.rate_per_s,
            )
            on_tick(view)

        duration, windows = await drive_watched(session, traffic, watcher, stop, tick, options.refresh_s)
    tick()
    checked = session.checked()
    figures = drill_figures(
        session.history,
        windows,
        checked,
        rate_per_s=options.plan.rate_per_s,
        duration_s=duration,
        interrupted=stop.is_set(),
        pace=traffic.pace,
    )
    verdict: Verdict = "error" if session.error else ("pass" if checked is None or checked.valid else "fail")
    spans = [FaultSpan(start_s=w.start_s, end_s=w.end_s, target=w.target, toxic=w.toxic) for w in figures.faults]
    run = session.client_run(spans, verdict=verdict, checker=checked, drill=figures)
    return DrillResult(drill_record(options, started_at, run, "drill"), run, session.history)


def session_plan(options: DrillOptions) -> SessionPlan:
    """The run session of a drill, one process or Locust workers: the drill's client, faults, seed and mix."""
    return SessionPlan(
        client=options.client,
        op_deadline_s=options.op_deadline_s,
        windows=options.windows,
        seed_rows=options.seed_rows,
        writes=tuple(op for op in WRITE_OPS if options.plan.mix.get(op, 0) > 0),
        label="the drill's mix",
        workload_seed=options.plan.seed,
        read_tables=options.check,
        cache_prefix="fallback-drill-",
    )


class Traffic(Protocol):
    """What `drive_watched` runs: the one-process `SteadyTraffic` or the Locust workers' `ScaleTraffic`."""

    def run(self) -> Coroutine[Any, Any, None]: ...

    def stop(self) -> None: ...


async def drive_watched(
    session: RunSession,
    traffic: Traffic,
    watcher: ProxyWatcher | None,
    stop: asyncio.Event,
    tick: Callable[[], None],
    refresh_s: float,
) -> tuple[float, tuple[FaultTiming, ...]]:
    """The traffic under the session's fault timeline, Toxiproxy watched for faults typed by hand meanwhile;
    (how long it ran, the planned windows as applied merged with the observed ones)."""
    observed: list[ObservedWindow] = []
    try:
        duration = await session.drive(
            traffic.run(),
            wind_down=traffic.stop,
            stop=stop,
            tick=tick,
            refresh_s=refresh_s,
            on_start=watcher.start if watcher else None,
        )
    finally:
        observed = await watcher.stop() if watcher else []
    return duration, merge_windows(session.timeline.applied if session.timeline else [], observed)


def drill_record(options: DrillOptions, started_at: datetime, run: ClientRun, what: str) -> RunRecord:
    """The drill's one-scenario run record; `what` opens its description ("drill", "drill over 2 Locust workers")."""
    description = (
        "; ".join(
            f"{w.target} {w.toxic} {w.start_s:g}s-{w.end_s if w.end_s is not None else 'end'}" for w in options.windows
        )
        or "no planned faults (live faults only)"
    )
    return RunRecord(
        run_id=new_run_id(started_at),
        started_at=started_at,
        finished_at=datetime.now(UTC),
        git_commit=git_commit(),
        machine=machine_info(),
        scenarios=(ScenarioRun(name=f"drill-{options.client}", description=f"{what}: {description}", clients=(run,)),),
    )
