"""Drills over two real Locust workers on loopback, against the real stack (issue 18).

Each test starts a Locust master and two worker processes (the drill's own child processes), runs a short
drill through them and checks the merged history, the report and that nothing it started is left running.
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import replace
from pathlib import Path

import pytest

from fallback.drill import DrillOptions, TrafficPlan, planned_windows
from fallback.drill.live import LiveView
from fallback.drill.scale import MASTER_PORT_OFFSET, LocustCluster, ScaleOptions, run_scale_drill, workers_markdown
from fallback.drill.scale.share import worker_of
from fallback.stack.state import StackState

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scale(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ScaleOptions:
    monkeypatch.chdir(ROOT)  # the workers import `tests.drill.scale_lossy` from the working directory
    base = int(request.config.getoption("--fallback-base-port"))
    return ScaleOptions(workers=2, expect_workers=2, master_port=base + MASTER_PORT_OFFSET, log_dir=tmp_path)


def _gone(pids: list[int]) -> bool:
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    return False
        except OSError:
            continue
    return True


async def test_two_workers_one_fault_and_the_merged_history_checked(
    fallback_stack: StackState, scale: ScaleOptions
) -> None:
    """Both workers send their half; the fault is applied once and measured; the checker over the merged
    history finds the one write worker 1's client dropped (and nothing else)."""
    clusters: list[LocustCluster] = []

    def tick(view: LiveView, cluster: LocustCluster) -> None:
        clusters[:] = [cluster]

    options = DrillOptions(
        plan=TrafficPlan(rate_per_s=30, duration_s=5, drain_s=3),
        client="tests.drill.scale_lossy:factory",
        windows=planned_windows(["PRIMARY.api@1s-2.5s"], None, 5),
        op_deadline_s=2,
    )
    scaled = await run_scale_drill(options, scale, fallback_stack, on_tick=tick)
    run, history = scaled.result.run, scaled.result.history
    figures = run.drill
    operations = history.operations()
    by_worker = {w: sum(worker_of(op.op_id) == w for op in operations) for w in (0, 1)}
    # each its half: 75 slots (one more operation when an update came before its first load answered:
    # `WorkloadRunner._pick_row` loads first)
    assert all(n in (75, 76) for n in by_worker.values()), by_worker
    assert figures is not None and figures.operations == sum(by_worker.values())
    assert len({op.op_id for op in operations}) == figures.operations
    assert {w.life for w in scaled.workers} == {"settled"} and scaled.incomplete is None
    (fault,) = figures.faults
    assert (fault.target, fault.origin) == ("PRIMARY.api", "timeline")
    assert fault.time_to_detect_s is not None and fault.time_to_fail_over_s is not None
    assert run.checker is not None
    found = [(v.kind, worker_of(v.events[0].op_id)) for v in run.checker.violations]
    assert found == [("lost_write", 1)], run.checker.render()
    assert run.verdict == "fail" and figures.lost == 1
    assert "| w1 |" in workers_markdown(scaled)
    assert _gone(clusters[0].pids())


async def test_a_worker_killed_and_one_gone_silent_are_reported_and_their_operations_counted(
    fallback_stack: StackState, scale: ScaleOptions
) -> None:
    """Three workers: one is killed (-9) at 1.5 s, one stopped (SIGSTOP: alive but silent, so only Locust's
    heartbeat can tell) at 1 s; the third sends its whole share. Nothing is left running afterwards."""
    killed: list[int] = []
    stopped: list[int] = []
    clusters: list[LocustCluster] = []

    def tick(view: LiveView, cluster: LocustCluster) -> None:
        clusters[:] = [cluster]
        if view.t_s >= 1.0 and not stopped:
            stopped.append(cluster.local_pids[2])
            os.kill(stopped[0], signal.SIGSTOP)
        if view.t_s >= 1.5 and not killed:
            killed.append(cluster.local_pids[1])
            os.kill(killed[0], signal.SIGKILL)

    three = replace(scale, workers=3, expect_workers=3)
    options = DrillOptions(plan=TrafficPlan(rate_per_s=30, duration_s=4, drain_s=3), op_deadline_s=2)
    scaled = await asyncio.wait_for(run_scale_drill(options, three, fallback_stack, on_tick=tick), 90)
    run = scaled.result.run
    dead = next(w for w in scaled.workers if w.pid == killed[0])
    silent = next(w for w in scaled.workers if w.pid == stopped[0])
    alive = next(w for w in scaled.workers if w.pid not in (killed[0], stopped[0]))
    assert dead.life == "died" and dead.gone_at_s is not None and 1.5 <= dead.gone_at_s < 4
    assert silent.life == "missing" and silent.gone_at_s is not None and silent.gone_at_s >= 3  # 3 heartbeats
    # its whole third; an update due before the worker's first load answered loads first (`WorkloadRunner.
    # _pick_row`: one more operation), so a worker may send one more than its slots, never fewer
    assert alive.life == "settled" and alive.operations in (40, 41)
    for gone in (dead, silent):  # what each sent until it stopped (about 1-1.5 s at 10/s), never its whole third
        assert 0 < gone.operations < 40
        assert scaled.incomplete is not None and f"worker {gone.index} {gone.life}" in scaled.incomplete
        assert f"{40 - gone.operations} more of its share were never sent" in scaled.incomplete
        counted = [op for op in scaled.result.history.operations() if worker_of(op.op_id) == gone.index]
        assert len(counted) == gone.operations
    assert run.verdict == "error" and run.error is not None and "load incomplete" in run.error
    assert run.drill is not None
    assert run.drill.operations == alive.operations + dead.operations + silent.operations
    in_flight = sum(op.completion is None for op in scaled.result.history.operations())
    assert run.drill.errors_by_kind.get("cut_off", 0) == in_flight  # what the two had in flight: cut off,
    assert run.drill.excluded >= in_flight  # and left out of the availability (no outage of the system)
    markdown = workers_markdown(scaled)
    assert "| died |" in markdown and "| missing |" in markdown
    assert _gone(clusters[0].pids())
