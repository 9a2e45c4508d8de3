"""One run on the stack: the sequence a scenario run (`engine.run`), a drill (`drill.run`) and an
exploration (through `engine.run`) share, every step and every cleanup in one place.

    plan = SessionPlan(client="reference", op_deadline_s=5, windows=scenario.fault_windows(), seed_rows=...)
    async with RunSession(state, plan) as session:
        await session.drive(session.runner.run(scenario.workload))
    run = session.client_run(session.applied_faults(), verdict=..., checker=session.checked())

Entering: writes refused on read-only external projects; a dead process of an embedded stack named at
once (no wait for a stack that cannot become healthy); a fresh stack (Toxiproxy reset, every gateway
ready, tables truncated and reseeded: `fallback.engine.fresh`); the initial tables; a temp cache dir, the
client's console lines captured, the client, the clock, the workload runner.
`drive`: the first faults, then the fault timeline and a watch on the stack's processes beside the
work, until it ends, is stopped, the timeline fails or a process dies (then the run is an `error`
naming it, and what was observed until then is kept); the timeline cancelled and every fault undone
(`faults.reset_all`: Toxiproxy's `/reset` and the database kinds' undo) in `finally`.
Leaving: the stack healthy again and the client's undecided writes settled (`resolve_pending`; skipped
when a process died: that stack will not recover), the client closed, the final tables read.
Each step is undone in `finally`, also on an error or a Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from fallback.adapters import CallFailed, ClientRefused, SubprocessClient
from fallback.checker import CheckResult, check
from fallback.engine.clients import make_client, signed_in_user
from fallback.engine.faults import FaultTimeline
from fallback.engine.fresh import Fresh, Reuse, until_healthy
from fallback.engine.liveness import DeadProcess, ProcessDied, ProcessWatch, ensure_alive
from fallback.engine.observe import Clock, Observation, Rows, captured_client_logs, client_run, ids, read_tables
from fallback.engine.rows import table_keys
from fallback.engine.steps import Step, StepTimes
from fallback.engine.workload import WorkloadRunner
from fallback.faults import Controls, reset_all
from fallback.history import History
from fallback.report import ClientRun, FaultSpan
from fallback.scenario import FaultWindow
from fallback.stack import stack as stack_lib
from fallback.stack.external import WritesNotAllowed, writes_allowed
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

STOP_GRACE_S = 3.0
"""After a stop (Ctrl-C in a drill), in-flight operations get this long to finish before they are cut off."""
DEAD_GRACE_S = 1.0
"""After a process died, in-flight operations get this long (a dead gateway refuses at once)."""
SCRATCH = Path("/dev/shm")
WRITE_OPS = ("create", "update", "delete", "call", "assign_mt5")
"""The operations that write: refused on external projects whose config does not allow writes."""


@dataclass(frozen=True)
class SessionPlan:
    client: str
    op_deadline_s: float
    windows: tuple[FaultWindow, ...] = ()
    seed_rows: stack_lib.Seed | None = None
    """Truncate and reseed every source first (never on external projects); None keeps the data."""
    writes: tuple[str, ...] = ()
    """The writing operations the run will do: refused on external projects that do not allow writes."""
    label: str = "this run"
    """What the run is, for a refusal: `scenario primary-down`, `the drill's mix`."""
    auth: str = "service_role"
    workload_seed: int = 0
    read_tables: bool = True
    """Read every table before and after, for the history checker (needs each source's `db_dsn`)."""
    cache_prefix: str = "fallback-cache-"


def refuse_writes(state: StackState, writes: Iterable[str], label: str) -> None:
    """Refuse writing operations on external projects whose config does not say `allow_writes: true`."""
    ops = sorted(set(writes))
    if ops and not writes_allowed(state):
        raise WritesNotAllowed(
            f"{label} has {', '.join(ops)} steps, and the external projects' config does not say "
            "`allow_writes: true`: run read-only or allow writes in the config"
        )


class RunSession:
    """`async with RunSession(state, plan) as session: await session.drive(work)`; see the module docstring."""

    def __init__(self, state: StackState, plan: SessionPlan, *, reuse: Reuse | None = None) -> None:
        """`reuse`: what the runs of one session share (`fallback.engine.fresh.Reuse`): its ledger of fault
        families (before and after this run only those the session applied are undone) and the sources'
        introspected schemas. None: every family undone before and after, the schemas read at the reseed."""
        if not state.toxiproxy_url and plan.windows:
            raise ValueError("this stack has no Toxiproxy: a run against it cannot apply faults")
        self.state = state
        self.plan = plan
        self.started = time.monotonic()
        self.history = History()
        self.sources = tuple(s.name for s in state.sources)
        self.toxiproxy = Toxiproxy(state.toxiproxy_url) if state.toxiproxy_url else None
        self.controls = Controls.of_stack(self.toxiproxy, state) if self.toxiproxy else None
        self.reuse = reuse
        ledger = reuse.ledger if reuse is not None else None
        self.timeline = FaultTimeline(self.controls, plan.windows, ledger) if self.controls else None
        self.initial: Rows | None = None
        self.final: Rows | None = None
        self.logs: tuple[str, ...] = ()
        self.error: str | None = None
        """Why the run broke (a timeline or workload failure, a dead process), with its history kept."""
        self.dead: DeadProcess | None = None
        self._lines: list[str] = []
        self._cleanup = AsyncExitStack()
        self._faults_may_be_on = False
        self.times = StepTimes()
        """Seconds per step of this run (`fallback.engine.steps`)."""

    async def __aenter__(self) -> RunSession:
        plan = self.plan
        try:
            refuse_writes(self.state, plan.writes, plan.label)
            ensure_alive(self.state)
            times = self.times
            fresh = Fresh(self.state, self.toxiproxy, self.controls, self.reuse, times)
            self.schema, self.initial = await fresh.start(plan.seed_rows, read=plan.read_tables)
            self.keys = table_keys(self.schema)
            with times.timed(Step.client):
                scratch = tempfile.TemporaryDirectory(prefix=plan.cache_prefix, dir=_scratch_dir())
                cache = self._cleanup.enter_context(scratch)
                self._lines = self._cleanup.enter_context(captured_client_logs())
                self.client = make_client(
                    plan.client, self.state, Path(cache), plan.op_deadline_s, plan.auth, tables=self.keys
                )
                self._cleanup.push_async_callback(self.client.aclose)
                if isinstance(self.client, SubprocessClient):
                    # A client that refuses this stack (e.g. the spec's JavaScript, made for three sources named
                    # PRIMARY, BOLT, OLD) makes the run an error now, in its own words; any other start failure
                    # is retried by the first call, as a crash mid-run is.
                    try:
                        await self.client.start()
                    except ClientRefused:
                        raise
                    except CallFailed:
                        pass
            self.clock = Clock()
            first = self.initial.get(self.sources[0], {}) if self.initial and self.sources else {}
            self.runner = WorkloadRunner(
                self.client,
                self.history,
                seed=plan.workload_seed,
                op_deadline_s=plan.op_deadline_s,
                clock=self.clock,
                schema=self.schema,
                user_id=signed_in_user(plan.auth),
                first_source_rows=first,
            )
            outages = self.controls.outages if self.controls is not None else None
            self.watch = ProcessWatch(self.state, self.clock, outages=outages)
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if kind is None and self.dead is None:
                await self._settle()
        finally:
            with self.times.timed(Step.close):
                await self._close()
        if kind is None and self.plan.read_tables:
            with self.times.timed(Step.read_final):
                self.final = await self._read_final()

    async def drive(
        self,
        work: Coroutine[Any, Any, None],
        *,
        wind_down: Callable[[], None] | None = None,
        stop: asyncio.Event | None = None,
        tick: Callable[[], None] | None = None,
        refresh_s: float = 0.25,
        on_start: Callable[[], None] | None = None,
    ) -> float:
        """Run `work` with the fault timeline and the process watch beside it; every fault cleared at the end.

        The work ends by itself, or early: `stop` set (it gets `wind_down()` and `STOP_GRACE_S`), the
        timeline failed or a process died (`wind_down()` and `DEAD_GRACE_S`; cancelled at once when there
        is no `wind_down`). `tick` runs every `refresh_s` (a dashboard). Returns how long the work ran (s)."""
        faults: asyncio.Task[None] | None = None
        task: asyncio.Task[None] | None = None
        waits: list[asyncio.Task[Any]] = []
        try:
            self._faults_may_be_on = True
            if self.timeline is not None:
                with self.times.timed(Step.first_faults):
                    await self.timeline.apply_initial()
            work_started = time.perf_counter()
            self.clock.start()
            self.watch.start()
            if on_start is not None:
                on_start()
            if self.timeline is not None:
                faults = asyncio.create_task(self.timeline.run(self.clock.loop, self.clock.t0))
            task = asyncio.create_task(work)
            waits = [asyncio.create_task(e.wait()) for e in (self.watch.died, stop) if e is not None]
            while not task.done() and not any(w.done() for w in waits) and not _failed(faults):
                if tick is not None:
                    tick()
                running = {task, *waits, *([faults] if faults is not None and not faults.done() else [])}
                await asyncio.wait(running, timeout=refresh_s if tick else None, return_when=asyncio.FIRST_COMPLETED)
            duration = self.clock()
            self.times.add(Step.workload, time.perf_counter() - work_started)
            self.dead = self.watch.dead
            if faults is not None and _failed(faults):
                self.error = f"fault timeline failed: {faults.exception()}"
            elif self.dead is not None:
                self.error = self.dead.message()
            elif task.done() and not task.cancelled() and task.exception() is not None:
                self.error = f"workload failed: {task.exception()!r}"
            return duration
        finally:
            for wait in waits:
                wait.cancel()
            if task is not None and not task.done() and wind_down is not None:
                wind_down()  # no new operations; those in flight get a grace below
            elif task is not None and not task.done():
                task.cancel()
            with self.times.timed(Step.clear_faults):
                await self.watch.stop()
                if faults is not None:
                    faults.cancel()
                    await asyncio.gather(faults, return_exceptions=True)
                await self._clear_faults()
            if task is not None:
                with self.times.timed(Step.wind_down):
                    await _end(task, DEAD_GRACE_S if self.watch.dead else STOP_GRACE_S)

    def applied_faults(self) -> list[FaultSpan]:
        """The planned windows as applied (`drive` closes the ones still open)."""
        applied = self.timeline.applied if self.timeline is not None else []
        return [
            FaultSpan(start_s=a.applied_s, end_s=a.cleared_s, target=a.window.target, toxic=a.window.toxic)
            for a in applied
        ]

    def observation(self) -> Observation:
        return Observation(self.history, self.final or {}, self.logs, self.sources)

    def checked(self) -> CheckResult | None:
        """The history checker's findings; None when the tables were not (or could not be) read."""
        if self.final is None or self.initial is None:
            return None
        columns = {table: key.columns for table, key in self.keys.items()}
        with self.times.timed(Step.check):
            return check(self.history, self.final, ids(self.initial, columns), columns)

    def client_run(self, faults: Iterable[FaultSpan], **judged: Any) -> ClientRun:
        """The report record of this run: `client_run` with the session's observation, error and duration."""
        judged.setdefault("error", self.error)
        judged.setdefault("duration_s", time.monotonic() - self.started)
        return client_run(self.plan.client, self.observation(), faults, **judged)

    # --- the steps after the work -------------------------------------------------------------------
    async def _settle(self) -> None:
        """The faults are gone: give the client its chance to settle what it left undecided."""
        if self.state.kind != "external":  # hosted projects are not ours to wait on
            try:
                with self.times.timed(Step.settle):
                    await until_healthy(self.state, nudge=not self._faults_may_be_on)
            except ProcessDied as exc:
                self.error = self.error or str(exc)
                return
        with self.times.timed(Step.resolve):
            await self.runner.resolve_pending()

    async def _clear_faults(self) -> None:
        if self.timeline is not None:
            await asyncio.to_thread(self.timeline.clear_all, self.clock())
        elif self.controls is not None:
            await asyncio.to_thread(reset_all, self.controls)  # faults typed by hand during a drill
        self._faults_may_be_on = False

    async def _close(self) -> None:
        """Close the client, stop capturing its lines, remove the cache; make sure no fault stays on."""
        try:
            await self._cleanup.aclose()
        finally:
            self.logs = tuple(self._lines)
            if self.toxiproxy is not None:
                if self._faults_may_be_on and self.controls is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.to_thread(reset_all, self.controls)
                self.toxiproxy.close()

    async def _read_final(self) -> Rows | None:
        if self.dead is None:
            return await read_tables(self.state, self.schema.tables)
        try:  # a dead postmaster's tables cannot be read: keep the history, skip the checker
            return await read_tables(self.state, self.schema.tables)
        except Exception:
            return None


def _scratch_dir() -> str | None:
    """Where a run's client cache (a new SQLite file per run) goes: in memory (`/dev/shm`) where there is one,
    so that creating it costs no disk sync (30 ms and more while other processes write); else the default."""
    return str(SCRATCH) if SCRATCH.is_dir() and os.access(SCRATCH, os.W_OK) else None


async def _end(task: asyncio.Task[None], grace_s: float) -> None:
    """Let a wound-down task finish its in-flight operations for up to `grace_s`, then cut it off."""
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(task), grace_s)
    if not task.done():
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _failed(task: asyncio.Task[None] | None) -> bool:
    return task is not None and task.done() and not task.cancelled() and task.exception() is not None
