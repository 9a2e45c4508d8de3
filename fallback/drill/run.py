"""One drill: steady traffic through one client while faults hit the stack, then the figures.

    result = await run_drill(DrillOptions(client="reference", plan=TrafficPlan(50, 30), windows=...), state)

Phases: a fresh stack (no toxics, every gateway ready, tables reseeded unless told not to);
traffic, the planned fault timeline and a Toxiproxy watcher side by side; then, in `finally`,
every toxic removed (Toxiproxy `/reset`), also after a Ctrl-C (`stop` set) or a crash; then the
client settles its pending writes, the databases are read and the history is checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fallback.checker import CheckResult, check
from fallback.drill.figures import drill_figures
from fallback.drill.live import LiveView, live_view
from fallback.drill.merge import merge_windows
from fallback.drill.traffic import SteadyTraffic, TrafficPlan
from fallback.drill.watch import ObservedWindow, ProxyWatcher
from fallback.engine.clients import make_client
from fallback.engine.faults import FaultTimeline
from fallback.engine.observe import Observation, Rows, ids, read_tables
from fallback.engine.run import Clock, captured_client_logs, client_run
from fallback.engine.workload import WorkloadRunner
from fallback.history import History
from fallback.report.model import (
    ClientRun,
    DrillFigures,
    FaultSpan,
    RunRecord,
    ScenarioRun,
    git_commit,
    machine_info,
    new_run_id,
)
from fallback.scenario import FaultWindow
from fallback.stack import stack as stack_lib
from fallback.stack.seed import SPEC_SEED
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

STOP_GRACE_S = 3.0
"""After Ctrl-C, in-flight operations get this long to finish before they are cut off."""


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
    started_at, started = datetime.now(UTC), time.monotonic()
    stop = stop or asyncio.Event()
    toxiproxy = Toxiproxy(state.toxiproxy_url) if state.toxiproxy_url else None
    if toxiproxy is None and options.windows:
        raise ValueError("this stack has no Toxiproxy: a drill against it cannot apply faults")
    history = History()
    sources = tuple(s.name for s in state.sources)
    initial: Rows | None = None
    try:
        await asyncio.to_thread(stack_lib.make_fresh, state, toxiproxy, options.seed_rows)
        if options.check:
            initial = await read_tables(state)
        with tempfile.TemporaryDirectory(prefix="fallback-drill-") as cache, captured_client_logs() as logs:
            client = make_client(options.client, state, Path(cache), options.op_deadline_s)
            clock = Clock()
            runner = WorkloadRunner(client, history, seed=options.plan.seed, op_deadline_s=options.op_deadline_s,
                                    clock=clock)  # fmt: skip
            traffic = SteadyTraffic(runner, options.plan, clock)
            timeline = FaultTimeline(toxiproxy, options.windows) if toxiproxy else None
            watcher = ProxyWatcher(toxiproxy, clock) if toxiproxy else None

            def tick() -> None:
                if on_tick is not None:
                    on_tick(live_view(history.completions(), now=clock(), duration_s=options.plan.duration_s,
                                      issued=traffic.issued, sources=sources, metrics=client.metrics(),
                                      pace=traffic.pace, rate_per_s=options.plan.rate_per_s,
                                      faults=watcher.log.active() if watcher else {}))  # fmt: skip

            observed: list[ObservedWindow] = []
            try:
                try:
                    duration = await _drive(traffic, timeline, watcher, clock, stop, tick, options.refresh_s)
                finally:
                    observed = await watcher.stop() if watcher else []
                if state.kind != "external":
                    await asyncio.to_thread(stack_lib.wait_until_healthy, state)
                await runner.resolve_pending()
                tick()
            finally:
                await client.aclose()
            log_lines = tuple(logs)
        final = await read_tables(state) if options.check else None
    finally:
        if toxiproxy is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(toxiproxy.reset)
            toxiproxy.close()
    checked = check(history, final, ids(initial)) if final is not None and initial is not None else None
    windows = merge_windows(timeline.applied if timeline else [], observed)
    figures = drill_figures(history, windows, checked, rate_per_s=options.plan.rate_per_s, duration_s=duration,
                            interrupted=stop.is_set(), pace=traffic.pace)  # fmt: skip
    run = _client_run(options.client, history, final or {}, log_lines, sources, checked, figures, started)
    description = "; ".join(f"{w.target} {w.toxic} {w.start_s:g}s-{w.end_s if w.end_s is not None else 'end'}"
                            for w in options.windows) or "no planned faults (live faults only)"  # fmt: skip
    record = RunRecord(
        run_id=new_run_id(started_at), started_at=started_at, finished_at=datetime.now(UTC),
        git_commit=git_commit(), machine=machine_info(),
        scenarios=(ScenarioRun(name=f"drill-{options.client}", description=f"drill: {description}", clients=(run,)),),
    )  # fmt: skip
    return DrillResult(record, run, history)


async def _drive(
    traffic: SteadyTraffic,
    timeline: FaultTimeline | None,
    watcher: ProxyWatcher | None,
    clock: Clock,
    stop: asyncio.Event,
    tick: Callable[[], None],
    refresh_s: float,
) -> float:
    """Traffic beside the timeline, the watcher and the dashboard; every fault cleared at the end.

    Returns how long traffic ran (s)."""
    faults: asyncio.Task[None] | None = None
    work: asyncio.Task[None] | None = None
    try:
        if timeline is not None:
            await timeline.apply_initial()
        clock.start()
        if watcher is not None:
            watcher.start()
        if timeline is not None:
            faults = asyncio.create_task(timeline.run(clock.loop, clock.t0))
        work = asyncio.create_task(traffic.run())
        stopped = asyncio.create_task(stop.wait())
        while not work.done() and not stopped.done():
            tick()
            await asyncio.wait({work, stopped}, timeout=refresh_s)
        stopped.cancel()
        if faults is not None and faults.done() and faults.exception() is not None:
            raise RuntimeError(f"fault timeline failed: {faults.exception()}")
        if not work.done():
            traffic.stop()
        return clock()
    finally:
        if faults is not None:
            faults.cancel()
            await asyncio.gather(faults, return_exceptions=True)
        if timeline is not None:
            await asyncio.to_thread(timeline.clear_all, clock())
        if work is not None and not work.done():
            traffic.stop()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(work), STOP_GRACE_S if stop.is_set() else None)
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)


def _client_run(
    client: str,
    history: History,
    final: Rows,
    logs: tuple[str, ...],
    sources: tuple[str, ...],
    checked: CheckResult | None,
    figures: DrillFigures,
    started: float,
) -> ClientRun:
    return client_run(
        client,
        Observation(history, final, logs, sources),
        [FaultSpan(start_s=w.start_s, end_s=w.end_s, target=w.target, toxic=w.toxic) for w in figures.faults],
        verdict="pass" if checked is None or checked.valid else "fail",
        duration_s=time.monotonic() - started,
        checker=checked,
        drill=figures,
    )
