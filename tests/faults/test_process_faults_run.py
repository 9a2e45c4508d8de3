"""Process faults in runs, drills and `stack down`, on a dedicated stack (FALLBACK_TEST_BASE_PORT + 300).

A planned `kill` is not a death: the run's process watch excuses it and the run is judged as usual.
Whatever ends the run (its end, a cancel as Ctrl-C does it, a failure), every process is resumed and
alive afterwards; `stack down` of a stack with paused and killed processes leaves nothing running.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fallback.drill.timeline import parse_fail
from fallback.engine.faults import FaultTimeline
from fallback.engine.run import run_client_observed
from fallback.faults import Controls, Fault
from fallback.scenario import Scenario
from fallback.scenario.faults import windows
from fallback.stack import process
from fallback.stack import stack as stack_lib
from fallback.stack.restart import record_of
from fallback.stack.state import ProcessKind, StackState
from fallback.toxics import Toxiproxy

ROOT = Path(__file__).resolve().parents[2]
BASE_PORT = int(os.environ.get("FALLBACK_TEST_BASE_PORT", "25500")) + 300


def stat(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def servers_and_children(state: StackState) -> list[int]:
    return [pid for rec in state.latest().processes for pid in process.tree(rec.pid) if stat(pid) not in (None, "Z")]


def nothing_paused_or_dead(state: StackState) -> bool:
    current = state.latest()
    alive = all(stat(rec.pid) not in (None, "Z") for rec in current.processes)
    return alive and not any(stat(pid) == "T" for pid in servers_and_children(current))


@pytest.fixture(scope="module")
def state_dir() -> Iterator[Path]:
    """Inside the repository: PostgreSQL (run as `postgres` under root) cannot enter pytest's tmp dirs."""
    path = ROOT / ".stack-test-process-faults"
    shutil.rmtree(path, ignore_errors=True)
    yield path
    stack_lib.down(path, purge=True)


@asynccontextmanager
async def dedicated_stack(state_dir: Path) -> AsyncIterator[StackState]:
    options = stack_lib.StackOptions(state_dir=state_dir, base_port=BASE_PORT)
    state, _ = await asyncio.to_thread(stack_lib.up, options)
    yield state


def scenario(fault: dict[str, object], seconds: int = 8) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "process-fault",
            "description": "reads while a process of PRIMARY is taken down",
            "seed": {"user_challenges": {"PRIMARY": 5, "BOLT": 5, "OLD": 5}},
            "faults": [fault],
            "op_deadline": "3s",
            "workload": {"steps": [{"op": "load", "rate": "4/s", "duration": f"{seconds}s"}]},
        }
    )


@pytest.mark.stack
async def test_a_planned_kill_is_not_a_death_and_the_process_is_back_after_the_run(state_dir: Path) -> None:
    async with dedicated_stack(state_dir) as state:
        before = record_of(state.latest(), ProcessKind.postgres, "PRIMARY")
        fault = {
            "at": "1s",
            "until": "6s",
            "target": "PRIMARY.postgres",
            "toxic": "kill",
            "attributes": {"restart_after": 2},
        }
        observed = await run_client_observed(scenario(fault), "reference", state)
        run = observed.run
        assert run.error is None and run.verdict != "error", run.error
        assert [(f.target, f.toxic) for f in run.faults] == [("PRIMARY.postgres", "kill")]
        assert len(run.latency) >= 20
        after = record_of(state.latest(), ProcessKind.postgres, "PRIMARY")
        assert after.pid != before.pid and nothing_paused_or_dead(state)


@pytest.mark.stack
async def test_a_cancelled_run_resumes_a_paused_process(state_dir: Path) -> None:
    """Ctrl-C cancels the run's task: its `finally` resets every applier, the process ones included."""
    async with dedicated_stack(state_dir) as state:
        fault = {"at": "1s", "until": "20s", "target": "PRIMARY.postgres", "toxic": "pause"}
        task = asyncio.create_task(run_client_observed(scenario(fault, seconds=20), "reference", state))
        await asyncio.sleep(3.0)
        assert any(stat(pid) == "T" for pid in servers_and_children(state))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert nothing_paused_or_dead(state)
        await asyncio.to_thread(stack_lib.wait_until_healthy, state)


@pytest.mark.stack
async def test_clear_all_resets_every_applier_not_only_toxiproxy(state_dir: Path) -> None:
    """What a failed run's `finally` calls: paused processes resumed, killed ones restarted, proxies up."""
    async with dedicated_stack(state_dir) as state:
        with Toxiproxy(state.toxiproxy_url) as toxiproxy:
            controls = Controls.of_stack(toxiproxy, state)
            [pause] = scenario({"target": "BOLT.gateway", "toxic": "pause"}).faults
            timeline = FaultTimeline(controls, windows(0, pause, 10.0))
            await timeline.apply_initial()
            await asyncio.to_thread(Fault("OLD.postgres", "kill", {"restart_after": 0}).apply, controls)
            await asyncio.to_thread(Fault("PRIMARY.api", "down").apply, controls)
            assert not nothing_paused_or_dead(state)
            await asyncio.to_thread(timeline.clear_all, 1.0)
            assert nothing_paused_or_dead(state)
            assert toxiproxy.proxies()["PRIMARY.api"]["enabled"]
            assert [a.window.toxic for a in timeline.applied] == ["pause"]
        await asyncio.to_thread(stack_lib.wait_until_healthy, state)


@pytest.mark.stack
async def test_stack_down_stops_paused_and_restarted_processes(state_dir: Path) -> None:
    async with dedicated_stack(state_dir) as state:
        with Toxiproxy(state.toxiproxy_url) as toxiproxy:
            controls = Controls.of_stack(toxiproxy, state)
            Fault("BOLT.gateway", "restart").apply(controls)  # a new pid, only in the state file
            Fault("PRIMARY.postgres", "pause").apply(controls)
            Fault("BOLT.gateway", "pause").apply(controls)
            Fault("OLD.gateway", "kill", {"restart_after": 0}).apply(controls)
        running = servers_and_children(state)
        assert len(running) > 7
        await asyncio.to_thread(stack_lib.down, state_dir)
        assert [pid for pid in running if stat(pid) not in (None, "Z")] == []


def test_drill_fail_shorthands_take_process_kinds() -> None:
    pause = parse_fail("PRIMARY.gateway:pause@5s-8s")
    assert (pause.target, pause.toxic, pause.at, pause.until) == ("PRIMARY.gateway", "pause", 5.0, 8.0)
    kill = parse_fail("PRIMARY.postgres:kill=2.5@1s-10s")
    assert kill.attributes == {"restart_after": 2.5}
    with pytest.raises(ValueError, match="kill acts on"):
        parse_fail("PRIMARY.api:kill@1s")
