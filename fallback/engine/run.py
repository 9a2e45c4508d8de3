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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fallback.checker import CheckResult, check
from fallback.engine.clients import make_client
from fallback.engine.expect import CheckOutcome, evaluate
from fallback.engine.faults import AppliedWindow, FaultTimeline
from fallback.engine.observe import Observation, ids, read_tables
from fallback.engine.workload import DEFAULT_OP_DEADLINE_S, WorkloadRunner
from fallback.history import History
from fallback.scenario import Scenario
from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

CLIENT_LOGGER = "fallback.client"


@dataclass(frozen=True)
class ClientRun:
    scenario: Scenario
    client: str
    observation: Observation
    checked: CheckResult
    outcomes: tuple[CheckOutcome, ...]
    faults: tuple[AppliedWindow, ...]
    duration_s: float
    error: str | None = None
    """Set when the run itself broke (not when an expectation failed)."""

    @property
    def passed(self) -> bool:
        return self.error is None and all(o.passed for o in self.outcomes)


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


async def run_client(
    scenario: Scenario,
    client_name: str,
    state: StackState,
    *,
    op_deadline_s: float = DEFAULT_OP_DEADLINE_S,
    seed: int = 0,
) -> ClientRun:
    started = time.monotonic()
    toxiproxy = Toxiproxy(state.toxiproxy_url)
    history = History()
    logs: list[str] = []
    timeline = FaultTimeline(toxiproxy, scenario.fault_windows())
    error: str | None = None
    try:
        await asyncio.to_thread(_fresh_stack, state, toxiproxy, scenario)
        initial = ids(await read_tables(state))
        with tempfile.TemporaryDirectory(prefix="fallback-cache-") as cache_dir, captured_client_logs() as logs:
            client = make_client(client_name, state, Path(cache_dir))
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            runner = WorkloadRunner(client, history, seed=seed, op_deadline_s=op_deadline_s,
                                    clock=lambda: loop.time() - t0)  # fmt: skip
            try:
                error = await _drive(runner, scenario, timeline, t0)
                # The faults are gone: give the client its chance to settle what it left undecided.
                await asyncio.to_thread(stack_lib.wait_until_healthy, state)
                await runner.resolve_pending()
            finally:
                await client.aclose()
        final = await read_tables(state)
    finally:
        toxiproxy.close()
    observation = Observation(history, final, tuple(logs), tuple(s.name for s in state.sources))
    checked = check(history, final, initial)
    outcomes = tuple(evaluate(scenario.expect_for(client_name), observation, checked))
    return ClientRun(
        scenario, client_name, observation, checked, outcomes, tuple(timeline.applied),
        time.monotonic() - started, error,
    )  # fmt: skip


def _fresh_stack(state: StackState, toxiproxy: Toxiproxy, scenario: Scenario) -> None:
    """No state leaks between scenarios: no toxics, every gateway ready, tables truncated and reseeded."""
    toxiproxy.reset()
    stack_lib.wait_until_healthy(state)
    seed: dict[str, dict[str, int]] = {t: {s: n for s, n in counts.items()} for t, counts in scenario.seed.items()}
    stack_lib.reseed(state, seed)


async def _drive(runner: WorkloadRunner, scenario: Scenario, timeline: FaultTimeline, t0: float) -> str | None:
    """Run the workload with the fault timeline beside it; always clear the faults."""
    loop = asyncio.get_running_loop()
    faults = asyncio.create_task(timeline.run(loop, t0))
    error = None
    try:
        work = asyncio.create_task(runner.run(scenario.workload))
        done, _ = await asyncio.wait({work, faults}, return_when=asyncio.FIRST_EXCEPTION)
        if faults in done and faults.exception() is not None:
            work.cancel()
            error = f"fault timeline failed: {faults.exception()}"
        else:
            await work
    finally:
        faults.cancel()
        await asyncio.gather(faults, return_exceptions=True)
        await asyncio.to_thread(timeline.clear_all, loop.time() - t0)
    return error
