"""Defect 7's pure parts, with no server: the generator's lag and shed slots, loop stalls, the rate control,
and what the figures do with operations the harness could not measure fairly."""

from __future__ import annotations

import asyncio
import time

import pytest
from rich.console import Console

from fallback.drill.figures import drill_figures
from fallback.drill.live import generator_view, live_view, render
from fallback.drill.pace import MAX_LAG_S, PaceLog, RateControl, Stall, StallIndex
from fallback.drill.summary import drill_markdown
from fallback.drill.traffic import SteadyTraffic, TrafficPlan
from fallback.history import History, SourceCall
from fallback.report.html import render_html
from fallback.report.markdown import render_markdown
from fallback.report.model import ClientRun, RunRecord, ScenarioRun, machine_info
from fallback.scenario import Step

from .histories import op

OK = [SourceCall(source=s, kind="ok") for s in ("PRIMARY", "BOLT", "OLD")]


def test_shed_slots_are_counted_in_the_second_they_were_due() -> None:
    pace = PaceLog()
    pace.shed_range(5, 25, rate_per_s=10)  # slots at 0.5 s .. 2.4 s
    pace.sent(2.5, 2.52)
    assert dict(pace.shed_at) == {0: 5, 1: 10, 2: 5}
    assert pace.total_shed == 20
    seconds = pace.seconds()
    assert [(s.t_s, s.due, s.sent, s.shed) for s in seconds] == [(0, 5, 0, 5), (1, 10, 0, 10), (2, 6, 1, 5)]
    assert seconds[2].lag_p99_ms == pytest.approx(20.0)
    assert all(s.saturated for s in seconds)


def test_a_late_probe_is_a_stall_only_past_the_bound() -> None:
    pace = PaceLog()
    pace.probe(1.0, 1.0 + MAX_LAG_S / 2)  # late, but within the bound
    pace.probe(3.0, 4.5)  # the loop did nothing from 3.0 to 4.5
    assert pace.stalls == [Stall(3.0, 4.5)]
    assert pace.saturated_seconds() == {3, 4}
    assert pace.take_worst_late() == pytest.approx(1.5) and pace.take_worst_late() == 0.0
    pace.probe(5.0, 5.2)
    assert pace.take_busy() and not pace.take_busy()
    pace.cpu_second(5, 0.3, pressure=0.95)  # the machine, not this process, was starved
    assert pace.take_busy() and not pace.take_busy()
    by_second = {s.t_s: s for s in pace.seconds()}
    assert by_second[1].stall_max_ms == pytest.approx(1000 * MAX_LAG_S / 2) and not by_second[1].saturated
    assert by_second[4].stall_max_ms == pytest.approx(1500.0) and by_second[4].saturated


def test_stall_index_overlaps() -> None:
    index = StallIndex([Stall(5.0, 6.0), Stall(1.0, 2.0), Stall(1.5, 2.5)])
    assert index.overlaps(0.0, 1.2) and index.overlaps(2.4, 3.0) and index.overlaps(5.5, None)
    assert not index.overlaps(2.6, 4.9) and not index.overlaps(6.1, 7.0) and not index.overlaps(0.0, 0.9)
    assert index.overlaps(4.0, None)  # never completed: overlaps whatever came after it


def test_rate_control_slow_starts_backs_off_and_recovers() -> None:
    control = RateControl(asked=2000)
    late = [0.0]

    def busy() -> bool:
        value, late[0] = late[0], 0.0
        return value > 0.1

    def sent_in(seconds: float, start: float) -> int:
        steps = int(seconds * 2000)
        return sum(control.take(start + i / 2000, busy) for i in range(steps))

    first = sent_in(1.0, 0.0)
    assert 50 <= first < 2000 * 0.5  # starts at 50/s and grows by a quarter every 0.25 s
    grown = control.rate
    late[0] = 0.5  # the loop was half a second late: halve
    control.take(1.3, busy)
    assert control.rate == pytest.approx(max(50.0, grown / 2))
    for _ in range(20):
        late[0] = 1.0
        sent_in(0.25, 2.0)
    assert control.rate == 50.0  # never below the floor
    sent_in(10.0, 10.0)
    assert control.rate == 2000  # the loop kept up: back to what was asked


def test_rate_control_sends_every_slot_of_a_low_rate() -> None:
    control = RateControl(asked=20)
    assert all(control.take(i / 20, lambda: True) for i in range(200))  # late loop, but 20/s is under the floor


def _saturated_history() -> tuple[History, PaceLog]:
    history, pace = History(), PaceLog()
    op(history, "load", 0.10, 0.15, "ok", calls=OK)
    op(history, "load", 0.50, 0.60, "ok", calls=OK)
    op(history, "load", 1.00, 3.20, "fail", error="timeout", calls=[SourceCall(source="PRIMARY", kind="timeout")])
    op(history, "load", 1.10, 1.40, "ok", calls=OK)  # completed inside the stall: excluded as well
    op(history, "load", 2.90, 3.10, "fail", error="timeout", calls=[SourceCall(source="PRIMARY", kind="timeout")])
    op(history, "load", 3.50, 3.55, "ok", calls=OK)
    op(history, "load", 3.60, 3.70, "fail", error="refused", calls=[SourceCall(source="PRIMARY", kind="refused")])
    for invoked in (0.10, 0.50, 1.00, 1.10, 2.90, 3.50, 3.60):
        pace.sent(invoked - 0.01, invoked)
    pace.probe(1.2, 3.0)  # the loop stalled 1.2 s .. 3.0 s
    pace.shed_range(30, 58, rate_per_s=20)  # 1.5 s .. 2.9 s not sent
    return history, pace


def test_operations_the_harness_stalled_on_are_not_counted_against_availability() -> None:
    history, pace = _saturated_history()
    figures = drill_figures(history, [], None, rate_per_s=20, duration_s=4, interrupted=False, pace=pace)
    assert figures.operations == 7
    assert (figures.excluded, figures.excluded_failed) == (3, 2)  # the ops at 1.00, 1.10 and 2.90
    assert figures.availability == pytest.approx(3 / 4)  # 0.10, 0.50, 3.50 ok; 3.60 failed (no stall then)
    assert figures.availability_all == pytest.approx(4 / 7)
    assert figures.shed == 28 and figures.harness_saturated
    assert figures.saturated_seconds == (1, 2, 3)
    assert figures.lag_p50_ms == pytest.approx(10.0) and figures.stall_max_ms == pytest.approx(1800.0)
    assert [(b.t_s, b.ops, b.ok, b.excluded, b.shed) for b in figures.per_second] == [
        (0, 2, 2, 0, 0),
        (1, 2, 1, 2, 10),
        (2, 1, 0, 1, 18),
        (3, 2, 1, 0, 0),
    ]
    run = ClientRun(client="reference", verdict="pass", drill=figures)
    text = drill_markdown(run)
    assert "harness saturated in 3 of 4 s" in text and "28 operations were never sent" in text
    assert "counting every operation: 57.14%" in text and "availability: **75.00%**" in text
    record = RunRecord(
        run_id="x",
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:04Z",
        git_commit=None,
        machine=machine_info(),
        scenarios=(ScenarioRun(name="drill-reference", description="d", clients=(run,)),),
    )
    assert "harness saturated in 3 of 4 s" in render_markdown(record)
    html = render_html(record)
    assert "harness saturated in 3 of 4 s" in html and "Saturated seconds: 1s, 2s, 3s" in html


def test_a_harness_that_kept_up_reports_no_saturation() -> None:
    history, pace = History(), PaceLog()
    for i in range(10):
        op(history, "load", i * 0.1, i * 0.1 + 0.05, "ok", calls=OK)
        pace.sent(i * 0.1, i * 0.1 + 0.002)
        pace.probe(i * 0.1, i * 0.1 + 0.001)
    figures = drill_figures(history, [], None, rate_per_s=10, duration_s=1, interrupted=False, pace=pace)
    assert not figures.harness_saturated and figures.excluded == 0 and figures.shed == 0
    assert figures.availability == figures.availability_all == 1.0
    assert "harness saturated" not in drill_markdown(ClientRun(client="reference", verdict="pass", drill=figures))
    view = generator_view(pace, now=1.0, rate_per_s=10)
    assert not view.saturated and view.sent_per_s == pytest.approx(10.0)


def test_the_dashboard_says_when_the_harness_is_saturated() -> None:
    history, pace = _saturated_history()
    view = live_view(
        history.completions(),
        now=3.0,
        duration_s=4,
        issued=7,
        sources=("PRIMARY", "BOLT", "OLD"),
        metrics={},
        faults={},
        pace=pace,
        rate_per_s=20,
    )
    assert view.generator is not None and view.generator.saturated and view.generator.shed == 28
    console = Console(width=160, record=True)
    console.print(render(view))
    text = console.export_text()
    assert "HARNESS SATURATED" in text and "sent" in text and "of 20/s" in text


def test_operations_sent_in_a_second_the_generator_shed_in_are_not_counted() -> None:
    history, pace = History(), PaceLog()
    op(history, "load", 0.5, 0.6, "ok", calls=OK)
    op(history, "load", 1.5, 1.6, "fail", error="timeout", calls=[SourceCall(source="PRIMARY", kind="timeout")])
    op(history, "load", 2.5, 2.6, "fail", error="refused", calls=[SourceCall(source="PRIMARY", kind="refused")])
    pace.shed(1.7)  # no stall, but the generator could not keep the rate in second 1
    figures = drill_figures(history, [], None, rate_per_s=2, duration_s=3, interrupted=False, pace=pace)
    assert (figures.excluded, figures.excluded_failed) == (1, 1)
    assert figures.availability == pytest.approx(1 / 2) and figures.availability_all == pytest.approx(1 / 3)


class _BusyRunner:
    """Stands in for the engine's runner: each operation holds the loop (CPU) for `busy_s`, as a saturated
    machine does, then waits `wait_s` for its answer."""

    def __init__(self, busy_s: float, wait_s: float) -> None:
        self.busy_s, self.wait_s, self.done = busy_s, wait_s, 0

    async def one_op(self, step: Step, process: int) -> None:
        time.sleep(self.busy_s)
        await asyncio.sleep(self.wait_s)
        self.done += 1


async def test_a_rate_far_past_the_machine_keeps_to_the_duration_and_sheds() -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    runner = _BusyRunner(busy_s=0.004, wait_s=0.05)  # at most ~250 ops/s fit in this loop; 5000/s asked
    plan = TrafficPlan(rate_per_s=5000, duration_s=2.0, mix={"load": 1}, drain_s=1.0)
    traffic = SteadyTraffic(runner, plan, lambda: loop.time() - t0)  # type: ignore[arg-type]
    await traffic.run()
    elapsed = loop.time() - t0
    assert elapsed < plan.duration_s + plan.drain_s + 0.5
    pace = traffic.pace
    assert pace.total_shed > plan.slots / 2
    assert traffic.issued + pace.total_shed == plan.slots
    assert max(lag for lags in pace.lags.values() for lag in lags) <= MAX_LAG_S
    assert pace.saturated_seconds()


async def test_the_drain_cuts_off_what_is_still_running() -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    runner = _BusyRunner(busy_s=0.0, wait_s=30.0)  # every call hangs
    plan = TrafficPlan(rate_per_s=10, duration_s=0.5, mix={"load": 1}, drain_s=0.3)
    traffic = SteadyTraffic(runner, plan, lambda: loop.time() - t0)  # type: ignore[arg-type]
    await traffic.run()
    assert loop.time() - t0 < 0.5 + 0.3 + 0.3
    assert traffic.issued == 5 and runner.done == 0 and traffic.pace.total_shed == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate_per_s": float("nan")}, "rate"),
        ({"rate_per_s": 1e9}, "at most"),
        ({"duration_s": float("inf")}, "duration"),
        ({"duration_s": 0}, "duration"),
        ({"max_ops": -3}, "max ops"),
        ({"drain_s": -1}, "drain"),
    ],
)
def test_traffic_plan_refuses_bad_values(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrafficPlan(**kwargs)  # type: ignore[arg-type]
