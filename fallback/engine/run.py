"""Running one scenario for one client: reset, seed, fault timeline beside the workload, then
read the databases, check the history and evaluate the expectations.

Every phase's cleanup runs in `finally`: the toxics are removed (Toxiproxy `/reset`) and the
client closed, also when the workload fails or the run is interrupted.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fallback.checker import check
from fallback.engine.clients import make_client
from fallback.engine.expect import evaluate
from fallback.engine.faults import FaultTimeline
from fallback.engine.observe import Observation, ids, read_tables
from fallback.engine.workload import WorkloadRunner
from fallback.history import History
from fallback.report import ClientRun, Expectation, FaultSpan, LatencyPoint, Verdict
from fallback.scenario import Scenario
from fallback.stack import stack as stack_lib
from fallback.stack.external import WritesNotAllowed, writes_allowed
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

CLIENT_LOGGER = "fallback.client"


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def captured_client_logs() -> Iterator[list[str]]:
    """The client's console lines (logger `fallback.client` and its children) during the block."""
    logger = logging.getLogger(CLIENT_LOGGER)
    capture = _LogCapture()
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(capture)
    try:
        yield capture.lines
    finally:
        logger.removeHandler(capture)
        logger.setLevel(previous)


@dataclass(frozen=True)
class ObservedRun:
    """A client run with what it was judged on: the observation (history, final rows, logs) is None
    when the run broke before the databases could be read (then `run.verdict` is `error`)."""

    run: ClientRun
    observation: Observation | None


async def run_client(
    scenario: Scenario,
    client_name: str,
    state: StackState,
    *,
    op_deadline_s: float | None = None,
    seed: int = 0,
) -> ClientRun:
    """Run `scenario` for one client; a run that breaks is an `error` verdict, never an exception."""
    return (await run_client_observed(scenario, client_name, state, op_deadline_s=op_deadline_s, seed=seed)).run


async def run_client_observed(
    scenario: Scenario,
    client_name: str,
    state: StackState,
    *,
    op_deadline_s: float | None = None,
    seed: int = 0,
) -> ObservedRun:
    """`run_client`, also returning the `Observation` (for judges beyond the scenario's `expect`)."""
    started = time.monotonic()
    try:
        return await _run_client(scenario, client_name, state, op_deadline_s, seed, started)
    except Exception as exc:
        run = ClientRun(client=client_name, verdict="error", error=f"{type(exc).__name__}: {exc}",
                        duration_s=time.monotonic() - started)  # fmt: skip
        return ObservedRun(run, None)


async def _run_client(
    scenario: Scenario,
    client_name: str,
    state: StackState,
    op_deadline_s: float | None,
    seed: int,
    started: float,
) -> ObservedRun:
    op_deadline_s = op_deadline_s or scenario.op_deadline
    toxiproxy = Toxiproxy(state.toxiproxy_url)
    history = History()
    logs: list[str] = []
    timeline = FaultTimeline(toxiproxy, scenario.fault_windows())
    error: str | None = None
    try:
        await asyncio.to_thread(_fresh_stack, state, toxiproxy, scenario)
        initial = ids(await read_tables(state))
        with tempfile.TemporaryDirectory(prefix="fallback-cache-") as cache_dir, captured_client_logs() as logs:
            client = make_client(client_name, state, Path(cache_dir), op_deadline_s, scenario.auth)
            clock = Clock()
            runner = WorkloadRunner(client, history, seed=seed, op_deadline_s=op_deadline_s, clock=clock)
            try:
                error = await _drive(runner, scenario, timeline, clock)
                # The faults are gone: give the client its chance to settle what it left undecided.
                await asyncio.to_thread(stack_lib.wait_until_healthy, state)
                await runner.resolve_pending()
            finally:
                await client.aclose()
        final = await read_tables(state)
    finally:
        toxiproxy.close()
    seen = Observation(history, final, tuple(logs), tuple(s.name for s in state.sources))
    checked = check(history, final, initial)
    judged_by = scenario.expect_for(client_name)
    outcomes = evaluate(judged_by, seen, checked)
    claims = evaluate(scenario.expect, seen, checked) if judged_by is not scenario.expect else []
    verdict: Verdict = "error" if error else ("pass" if all(o.passed for o in outcomes) else "fail")
    run = client_run(
        client_name,
        seen,
        [FaultSpan(start_s=a.applied_s, end_s=a.cleared_s, target=a.window.target, toxic=a.window.toxic)
         for a in timeline.applied],
        verdict=verdict,
        error=error,
        duration_s=time.monotonic() - started,
        expectations=tuple(Expectation(**vars(o)) for o in outcomes),
        claims=tuple(Expectation(**vars(o)) for o in claims),
        checker=checked,
    )  # fmt: skip
    return ObservedRun(run, seen)


def client_run(client: str, seen: Observation, faults: Iterable[FaultSpan], **judged: Any) -> ClientRun:
    """The report record of one client's run: what was observed (latency, success rate per source,
    fallback frequency, data distribution, console), the fault windows, and `judged` (verdict,
    expectations, checker, ... as `ClientRun` names them). Scenario runs and drills both build it here."""
    return ClientRun(
        client=client,
        latency=tuple(LatencyPoint(t_offset_s=p.t_s, op=p.op, latency_ms=p.latency_ms, outcome=p.outcome)
                      for p in seen.samples()),
        faults=tuple(faults),
        success_rate=seen.source_success_rate(),
        fallback_frequency=seen.fallback_frequency(),
        distribution=seen.distribution(),
        logs=seen.logs,
        **judged,
    )  # fmt: skip


WRITE_OPS = ("create", "update", "assign_mt5")


def check_scenario(scenario: Scenario, state: StackState) -> None:
    """Refuse a scenario that writes on read-only external projects (the stack knows the policy, not the ops)."""
    if writes_allowed(state):
        return
    steps = [s.op for s in scenario.workload.all_steps() if s.op in WRITE_OPS]
    if steps:
        raise WritesNotAllowed(
            f"scenario {scenario.name} has {', '.join(sorted(set(steps)))} steps, and the external projects' "
            "config does not say `allow_writes: true`"
        )


def _fresh_stack(state: StackState, toxiproxy: Toxiproxy, scenario: Scenario) -> None:
    """A fresh stack seeded as the scenario says; on external projects a writing scenario is refused
    unless their config allows writes (and nothing is seeded there)."""
    check_scenario(scenario, state)
    seed: dict[str, dict[str, int]] = {t: {s: n for s, n in counts.items()} for t, counts in scenario.seed.items()}
    stack_lib.make_fresh(state, toxiproxy, seed)


class Clock:
    """Seconds since the workload started (the time base of the history and the fault timeline)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()

    def start(self) -> float:
        self.t0 = self.loop.time()
        return self.t0

    def __call__(self) -> float:
        return self.loop.time() - self.t0


async def _drive(runner: WorkloadRunner, scenario: Scenario, timeline: FaultTimeline, clock: Clock) -> str | None:
    """Run the workload with the fault timeline beside it; always clear the faults."""
    faults: asyncio.Task[None] | None = None
    error = None
    try:
        await timeline.apply_initial()
        faults = asyncio.create_task(timeline.run(clock.loop, clock.start()))
        work = asyncio.create_task(runner.run(scenario.workload))
        done, _ = await asyncio.wait({work, faults}, return_when=asyncio.FIRST_EXCEPTION)
        if faults in done and faults.exception() is not None:
            work.cancel()
            error = f"fault timeline failed: {faults.exception()}"
        else:
            try:
                await work
            except Exception as exc:  # a broken client or engine bug: the run is an error, not a crash
                error = f"workload failed: {exc!r}"
    finally:
        if faults is not None:
            faults.cancel()
            await asyncio.gather(faults, return_exceptions=True)
        await asyncio.to_thread(timeline.clear_all, clock())
    return error
