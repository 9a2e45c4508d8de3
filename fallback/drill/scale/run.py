"""A drill spread over Locust workers: the same session, faults, checker and report as `drill.run`, with
the traffic sent by the workers and their events merged into the session's one history.

    result = await run_scale_drill(DrillOptions(plan=..., windows=...), ScaleOptions(workers=2, ...), state)

The steps: `RunSession` (fresh stack, fault timeline applied once, here in the drill process); the master
and workers started (`LocustCluster`); each worker gets the plan and builds its own client; `go` with the
wall-clock time of the drill clock's zero; the session drives `ScaleTraffic.run` (until every worker is done
or gone) beside the timeline and the dashboard; the faults cleared, the workers settle their undecided
writes; the tables read; the one history checker over the merged history; the figures (`drill_figures`).
A worker that died or went missing makes the run an `error`: "load incomplete", with what it sent counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fallback.drill.figures import drill_figures
from fallback.drill.live import LiveView, live_view
from fallback.drill.run import DrillOptions, DrillResult, drill_record, drive_watched, session_plan
from fallback.drill.scale.cluster import LocustCluster
from fallback.drill.scale.options import ScaleOptions
from fallback.drill.scale.seen import WorkerSeenByDrill
from fallback.drill.scale.share import share, share_spec, worker_of
from fallback.drill.scale.wire import WorkerPlan
from fallback.drill.watch import ProxyWatcher
from fallback.engine.fresh import until_healthy
from fallback.engine.liveness import ProcessDied
from fallback.engine.session import RunSession
from fallback.report.model import (
    ClientRun,
    FaultSpan,
    Verdict,
)
from fallback.stack.errors import StackNotRunning
from fallback.stack.state import StackState

SETTLE_TIMEOUT_S = 30.0
CUT_WAIT_S = 3.0


@dataclass(frozen=True)
class WorkerSummary:
    """One worker at the end of the drill, for the report."""

    index: int
    life: str
    host: str
    pid: int
    operations: int
    """Operations it sent whose invoke reached the drill."""
    completed: int
    gone_at_s: float | None
    why: str


@dataclass(frozen=True)
class ScaleResult:
    result: DrillResult
    workers: tuple[WorkerSummary, ...]
    incomplete: str | None
    """Why the load was incomplete (a worker died, went missing, failed), or None."""


ScaleTick = Callable[[LiveView, LocustCluster], None]


class ScaleTraffic:
    """What `RunSession.drive` runs: `go` to every worker, then wait until each is done or gone.

    `cut` set (a second Ctrl-C): the workers cut their calls in flight off at once, and this returns when they
    say they are done (`CUT_WAIT_S` at most), so the drill goes on to its report: the drill process is never
    cancelled for it (a cancellation landing in the session's cleanup would lose the report)."""

    def __init__(self, cluster: LocustCluster, clock: Callable[[], float], cut: asyncio.Event) -> None:
        self.cluster, self.clock, self.cut = cluster, clock, cut
        self.stopped = False

    async def run(self) -> None:
        self.cluster.go(time.time() - self.clock())
        try:
            while not self.cluster.all_past({"done", "settled"}) and not self.cut.is_set():
                await self.cluster.wait_for(
                    lambda: self.cluster.all_past({"done", "settled"}) or self.cut.is_set(), 0.5
                )
            if self.cut.is_set():
                self.cluster.command("cancel")
                await self.cluster.wait_for(lambda: self.cluster.all_past({"done", "settled"}), CUT_WAIT_S)
        except asyncio.CancelledError:  # the session's grace after a stop ran out: cut off what is in flight
            self.cluster.command("cancel")
            raise

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.cluster.command("stop")


async def run_scale_drill(
    options: DrillOptions,
    scale: ScaleOptions,
    state: StackState,
    *,
    on_tick: ScaleTick | None = None,
    stop: asyncio.Event | None = None,
    cut: asyncio.Event | None = None,
) -> ScaleResult:
    """`stop` set: the traffic stops (calls in flight get the session's grace); `cut` set as well: they are cut
    off at once, and the undecided writes are not settled (the user wants out)."""
    started_at = datetime.now(UTC)
    stop = stop or asyncio.Event()
    cut = cut or asyncio.Event()
    plan = session_plan(options)
    session = RunSession(state, plan)
    cluster = LocustCluster(scale, session.history)
    # the master and the workers start (a few seconds of imports) while the session reseeds the stack
    async with cluster, session:
        cluster.clock = session.clock
        first = session.initial.get(session.sources[0], {}) if session.initial and session.sources else {}
        await cluster.prepare(
            WorkerPlan(
                index=0,
                count=scale.expect_workers,
                client=options.client,
                op_deadline_s=options.op_deadline_s,
                auth=plan.auth,
                traffic=share_spec(options.plan),
                state=state,
                project_schema=session.schema,
                first_source_rows={table: list(rows) for table, rows in first.items()},
            ),
            stop,
        )
        traffic = ScaleTraffic(cluster, session.clock, cut)
        watcher = ProxyWatcher(session.toxiproxy, session.clock) if session.toxiproxy else None

        def tick() -> None:
            if on_tick is not None:
                view = live_view(
                    session.history.completions(),
                    now=session.clock(),
                    duration_s=options.plan.duration_s,
                    issued=cluster.issued,
                    sources=session.sources,
                    metrics={},
                    faults=watcher.log.active() if watcher else {},
                    pace=cluster.pace(),
                    rate_per_s=options.plan.rate_per_s,
                )
                on_tick(view, cluster)

        duration, windows = await drive_watched(session, traffic, watcher, stop, tick, options.refresh_s)
        if not cut.is_set():
            await _settle(cluster, state)
        tick()
    checked = session.checked()
    pace = cluster.pace()
    gone_workers = {w.index for w in cluster.workers.values() if w.gone}
    lost = {op.op_id for op in session.history.operations() if worker_of(op.op_id) in gone_workers}
    figures = drill_figures(
        session.history,
        windows,
        checked,
        rate_per_s=options.plan.rate_per_s,
        duration_s=duration,
        interrupted=stop.is_set(),
        pace=pace,
        generator_lost=lost,
    )
    workers = tuple(_summary(w) for w in sorted(cluster.workers.values(), key=lambda w: w.index))
    gone = [w for w in workers if w.life in ("missing", "died", "failed")]
    incomplete = (
        "load incomplete: "
        + "; ".join(
            f"worker {w.index} {w.life} at {w.gone_at_s if w.gone_at_s is not None else '?'} s ({w.why}); "
            f"its {w.operations} operations sent before are counted, "
            f"{_never_sent(options, scale, w)} more of its share were never sent"
            for w in gone
        )
        if gone
        else None
    )
    error = session.error or incomplete
    verdict: Verdict = "error" if error else ("pass" if checked is None or checked.valid else "fail")
    spans = [FaultSpan(start_s=w.start_s, end_s=w.end_s, target=w.target, toxic=w.toxic) for w in figures.faults]
    run: ClientRun = session.client_run(spans, verdict=verdict, checker=checked, drill=figures, error=error)
    record = drill_record(options, started_at, run, f"drill over {scale.expect_workers} Locust workers")
    return ScaleResult(DrillResult(record, run, session.history), workers, incomplete)


async def _settle(cluster: LocustCluster, state: StackState) -> None:
    """The faults are cleared: once the stack is healthy, every live worker settles its undecided writes."""
    if state.kind != "external":
        with contextlib.suppress(StackNotRunning, ProcessDied):  # the workers settle what they can in any case
            await until_healthy(state, SETTLE_TIMEOUT_S)
    cluster.command("settle")
    await cluster.wait_for(lambda: cluster.all_past({"settled"}), SETTLE_TIMEOUT_S)


def _never_sent(options: DrillOptions, scale: ScaleOptions, worker: WorkerSummary) -> int:
    if not 0 <= worker.index < scale.expect_workers:
        return 0
    return max(0, share(options.plan, worker.index, scale.expect_workers).operations - worker.operations)


def _summary(w: WorkerSeenByDrill) -> WorkerSummary:
    return WorkerSummary(
        index=w.index,
        life=w.life,
        host=w.host,
        pid=w.pid,
        operations=w.invoked,
        completed=w.ops_done,
        gone_at_s=w.gone_at_s,
        why=w.error,
    )
