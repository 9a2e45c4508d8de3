"""Defect 10: a process of the stack killed (`kill -9`) in the middle of a run.

The run notices within about a second, stops the workload, keeps what it observed until then and
says what happened, instead of waiting 70 s for health and reporting `StackNotRunning` with no history.
Every test kills a process of its own dedicated stack (base port FALLBACK_TEST_BASE_PORT + 500, 26000 by
default), torn down in `finally`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fallback.drill import DrillOptions, TrafficPlan, drill_markdown, run_drill
from fallback.engine.liveness import ProcessDied
from fallback.engine.run import run_client_observed
from fallback.engine.session import RunSession, SessionPlan
from fallback.scenario import Scenario
from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[2]
BASE_PORT = int(
    os.environ.get("FALLBACK_TEST_DEDICATED_PORT", int(os.environ.get("FALLBACK_TEST_BASE_PORT", "25500")) + 500)
)
"""Below 32768: ports in the kernel's ephemeral range can be held by other connections' TIME_WAIT."""
KILL_AFTER_S = 3.0
NOTICED_WITHIN_S = 3.0
"""From the kill to the end of the run: the watch polls every 0.2 s, in-flight calls get 1 s of grace."""


@pytest.fixture(scope="module")
def state_dir() -> Iterator[Path]:
    """Inside the repository, not tmp_path: PostgreSQL (run as `postgres` under root) can't enter
    /tmp/pytest-of-root (mode 0700, which pytest restores at every session start)."""
    path = ROOT / ".stack-test-dead-process"
    shutil.rmtree(path, ignore_errors=True)
    yield path
    stack_lib.down(path, purge=True)


@asynccontextmanager
async def dedicated_stack(state_dir: Path) -> AsyncIterator[StackState]:
    """A stack of our own, started fresh and stopped in `finally` (one of its processes will be killed)."""
    await asyncio.to_thread(stack_lib.down, state_dir)
    options = stack_lib.StackOptions(state_dir=state_dir, base_port=BASE_PORT)
    state, _ = await asyncio.to_thread(stack_lib.up, options)
    try:
        yield state
    finally:
        await asyncio.to_thread(stack_lib.down, state_dir)


def long_scenario(seconds: int = 20) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "long-run",
            "description": "steady reads and writes for a while",
            "seed": {"user_challenges": {"PRIMARY": 5, "BOLT": 5, "OLD": 5}},
            "workload": {
                "steps": [
                    {
                        "parallel": [
                            {"op": "load", "rate": "10/s", "duration": f"{seconds}s"},
                            {"op": "create", "rate": "5/s", "duration": f"{seconds}s"},
                        ]
                    }
                ]
            },
        }
    )


async def kill_later(state: StackState, role: str, after_s: float) -> tuple[int, float]:
    await asyncio.sleep(after_s)
    record = next(p for p in state.processes if p.role == role)
    os.kill(record.pid, signal.SIGKILL)
    return record.pid, time.monotonic()


@pytest.mark.parametrize("role", ["gateway:BOLT", "postgres:PRIMARY"])
async def test_a_killed_process_ends_the_run_with_its_history(state_dir: Path, role: str) -> None:
    async with dedicated_stack(state_dir) as state:
        started = time.monotonic()
        (pid, killed), observed = await asyncio.gather(
            kill_later(state, role, KILL_AFTER_S), run_client_observed(long_scenario(), "reference", state)
        )
        ended = time.monotonic()
        run = observed.run
        assert ended - killed < NOTICED_WITHIN_S, f"the run went on {ended - killed:.1f} s after the kill"
        assert ended - started < KILL_AFTER_S + NOTICED_WITHIN_S + 5  # no 70 s wait for health
        assert run.verdict == "error"
        assert run.error is not None and f"{role} (pid {pid}) died at" in run.error, run.error
        assert "history kept" in run.error
        assert len(run.latency) >= 15, len(run.latency)  # ~15 ops/s for the seconds before the kill
        assert {p.op for p in run.latency} == {"load", "create"}
        assert max(p.t_offset_s for p in run.latency) < KILL_AFTER_S + NOTICED_WITHIN_S
        # The next run on that stack fails at once, naming the dead process, instead of waiting for health.
        again = time.monotonic()
        retry = await run_client_observed(long_scenario(2), "reference", state)
        assert retry.run.verdict == "error" and "ProcessDied" in (retry.run.error or "") and role in retry.run.error
        assert time.monotonic() - again < 5


async def test_a_killed_gateway_ends_a_drill_with_its_figures(state_dir: Path) -> None:
    async with dedicated_stack(state_dir) as state:
        options = DrillOptions(plan=TrafficPlan(rate_per_s=20, duration_s=20))
        (pid, killed), result = await asyncio.gather(
            kill_later(state, "gateway:OLD", KILL_AFTER_S), run_drill(options, state)
        )
        assert time.monotonic() - killed < NOTICED_WITHIN_S
        figures = result.run.drill
        assert result.run.verdict == "error"
        assert result.run.error is not None and f"gateway:OLD (pid {pid}) died at" in result.run.error
        assert figures is not None and figures.duration_s < KILL_AFTER_S + 1.0
        assert figures.operations >= 20  # ~20/s for the seconds before the kill, all in the report
        assert len(result.run.latency) >= 20
        assert f"- **error**: gateway:OLD (pid {pid}) died at" in drill_markdown(result.run)


async def test_a_stack_already_broken_is_named_before_anything_runs(state_dir: Path) -> None:
    async with dedicated_stack(state_dir) as state:
        record = next(p for p in state.processes if p.role == "gateway:PRIMARY")
        os.kill(record.pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        plan = SessionPlan(client="reference", op_deadline_s=5)
        started = time.monotonic()
        with pytest.raises(ProcessDied, match=rf"gateway:PRIMARY \(pid {record.pid}\)"):
            async with RunSession(state, plan):
                pass
        assert time.monotonic() - started < 2
