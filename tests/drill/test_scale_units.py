"""The Locust drill's pure parts (no servers, no Locust): the rate split, ids unique across workers, the
workers' pace merged, the wire messages, a dead generator's unfinished operations left out of availability."""

from __future__ import annotations

from pathlib import Path

import pytest

from fallback.drill.figures import drill_figures
from fallback.drill.pace import PaceLog
from fallback.drill.scale.cluster import LocustCluster
from fallback.drill.scale.options import ScaleOptions
from fallback.drill.scale.share import (
    OP_ID_STRIDE,
    PROCESS_STRIDE,
    PaceTracker,
    WorkerHistory,
    WorkerPace,
    merged_event,
    merged_pace,
    share,
    worker_of,
)
from fallback.drill.scale.wire import (
    Command,
    EventBatch,
    Listening,
    Roster,
    WorkerNote,
    WorkerSeen,
    parse_master_line,
)
from fallback.drill.traffic import TrafficPlan
from fallback.history import History, marker_op_id, op_marker

from .histories import op


@pytest.mark.parametrize(("rate", "duration", "count"), [(40, 8, 2), (30, 5, 3), (7, 1, 4), (100, 2.5, 1), (3, 1, 5)])
def test_shares_add_up_to_the_whole_schedule_and_interleave(rate: float, duration: float, count: int) -> None:
    whole = TrafficPlan(rate_per_s=rate, duration_s=duration)
    parts = [share(whole, i, count) for i in range(count)]
    assert sum(p.operations for p in parts) == whole.slots
    assert all(p.plan.rate_per_s == pytest.approx(rate / count) for p in parts)
    # worker i's k-th slot is slot k*count + i of the whole: together, every slot once, evenly spaced
    slots = sorted(p.offset_s + k / p.plan.rate_per_s for p in parts for k in range(p.operations))
    assert slots == pytest.approx([k / rate for k in range(whole.slots)])
    assert all(p.operations <= p.plan.op_budget for p in parts)
    assert len({p.plan.seed for p in parts}) == count  # each worker draws its own sequence of operations


def test_max_ops_is_split_and_a_worker_may_get_none() -> None:
    whole = TrafficPlan(rate_per_s=50, duration_s=10, max_ops=7)
    assert [share(whole, i, 3).operations for i in range(3)] == [3, 2, 2]
    assert [share(TrafficPlan(rate_per_s=50, duration_s=10, max_ops=1), i, 2).operations for i in range(2)] == [1, 0]


def test_share_refuses_an_index_out_of_range() -> None:
    with pytest.raises(ValueError, match="worker 2 of 2"):
        share(TrafficPlan(), 2, 2)


def test_op_ids_are_unique_across_workers_and_name_their_worker() -> None:
    histories = [WorkerHistory(i) for i in range(3)]
    ids = [h.new_op_id() for h in histories for _ in range(1000)]
    assert len(set(ids)) == len(ids)
    assert [worker_of(h.new_op_id()) for h in histories] == [0, 1, 2]
    assert worker_of(5) is None  # the drill process's own ids
    one = histories[1].new_op_id()
    assert one > 2 * OP_ID_STRIDE and marker_op_id(op_marker(one)) == one  # the checker maps rows back by it


def test_merged_events_keep_their_ids_and_get_a_process_of_their_worker() -> None:
    merged = History()
    for index in (0, 1):
        history = WorkerHistory(index)
        invoke = history.invoke(process=3, client="reference", op="load", table="t", time_s=0.1 * index)
        history.complete(invoke, "ok", time_s=0.5)
        for event in history.events:
            merged.append(merged_event(event, index))
    operations = merged.operations()
    assert [(worker_of(o.op_id), o.invoke.process, o.outcome) for o in operations] == [
        (0, 3, "ok"),
        (1, PROCESS_STRIDE + 3, "ok"),
    ]


def _log(lags: list[tuple[float, float]], shed: list[float], stall: tuple[float, float] | None = None) -> PaceLog:
    log = PaceLog()
    for slot, at in lags:
        log.sent(slot, at)
    for slot in shed:
        log.shed(slot)
    if stall is not None:
        log.probe(*stall)
    return log


def test_pace_deltas_rebuild_each_worker_and_merge_into_one_log() -> None:
    a = _log([(0.0, 0.01), (0.5, 0.52)], shed=[1.2], stall=(1.0, 1.4))
    b = _log([(0.1, 0.13)], shed=[])
    tracker_a, tracker_b = PaceTracker(a), PaceTracker(b)
    seen_a, seen_b = WorkerPace(), WorkerPace()
    seen_a.apply(tracker_a.delta())
    a.sent(1.5, 1.6)  # more comes after the first batch: only the new lag is sent again
    second = tracker_a.delta()
    assert second.lags == [(1, pytest.approx(0.1))] and second.stalls == []
    seen_a.apply(second)
    seen_b.apply(tracker_b.delta())
    merged = merged_pace([seen_a, seen_b])
    assert sorted(merged.lags[0]) == pytest.approx([0.01, 0.02, 0.03])
    assert merged.lags[1] == pytest.approx([0.1])
    assert merged.due_at[0] == 3 and merged.due_at[1] == 2 and merged.total_shed == 1
    assert merged.saturated_seconds() == {1}  # worker a's shed slot and its loop stall, both in second 1
    assert merged.stall_index().overlaps(1.1, 1.2)


def test_master_lines_and_commands_round_trip() -> None:
    lines = [
        Listening(port=27090, web_url=""),
        WorkerNote(worker=1, life="ready", pid=42, host="h"),
        Roster(workers=[], master_cpu_pct=3.0),
        EventBatch(worker=0, issued=2),
    ]
    assert [parse_master_line(line.model_dump_json()) for line in lines] == lines
    assert Command.model_validate_json(Command(cmd="go", t0_wall=1.5).model_dump_json()).t0_wall == 1.5


def test_a_dead_generators_unfinished_operations_are_left_out_of_availability() -> None:
    history = History()
    op(history, "load", 0.1, 0.2, "ok")
    op(history, "load", 0.3, None, None)  # in flight when its worker was killed
    op(history, "load", 0.4, 0.5, "fail")
    cut = history.operations()[1].op_id
    without = drill_figures(history, (), None, rate_per_s=3, duration_s=1, interrupted=False)
    with_lost = drill_figures(history, (), None, rate_per_s=3, duration_s=1, interrupted=False, generator_lost={cut})
    assert without.availability == pytest.approx(1 / 3) and without.excluded == 0
    assert with_lost.availability == pytest.approx(1 / 2) and with_lost.excluded == 1
    assert with_lost.errors_by_kind["cut_off"] == 1  # still counted as what it was


def test_a_worker_locust_reports_missing_is_gone_and_its_late_lines_do_not_revive_it() -> None:
    history = History()
    cluster = LocustCluster(ScaleOptions(workers=0, expect_workers=2, master_port=1, log_dir=Path(".")), history)
    cluster.clock = lambda: 2.5
    for worker in (0, 1):
        cluster._take(WorkerNote(worker=worker, life="ready", pid=10 + worker, host="h"))
    for worker in cluster.workers.values():
        worker.life = "running"  # as `go` marks them
    seen = [
        WorkerSeen(worker=0, client_id="a", locust_state="running", cpu_pct=20, heartbeat=3),
        WorkerSeen(worker=1, client_id="b", locust_state="missing", cpu_pct=0, heartbeat=-1),
    ]
    cluster._take(Roster(workers=seen))
    cluster._take(WorkerNote(worker=1, life="done"))  # a late note of a worker declared missing
    assert [(w.life, w.gone_at_s) for w in cluster.workers.values()] == [("running", None), ("missing", 2.5)]
    assert not cluster.all_past({"done"})
    cluster._take(WorkerNote(worker=0, life="done"))
    assert cluster.all_past({"done"})  # the drill does not wait for a worker that is gone
