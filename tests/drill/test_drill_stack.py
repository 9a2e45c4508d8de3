"""Drills against the real stack: planned faults, a fault typed live, and Ctrl-C (the stop event)."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from fallback.drill import DrillOptions, TrafficPlan, planned_windows, run_drill
from fallback.drill.live import LiveView
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

pytestmark = pytest.mark.stack


async def test_planned_outage_gives_detect_failover_recover(fallback_stack: StackState) -> None:
    views: list[LiveView] = []
    options = DrillOptions(
        plan=TrafficPlan(rate_per_s=20, duration_s=8), windows=planned_windows(["PRIMARY.api@1s-2.5s"], None, 8)
    )
    result = await run_drill(options, fallback_stack, on_tick=views.append)
    figures = result.run.drill
    assert figures is not None and figures.operations == 160
    assert figures.availability is not None and figures.availability >= 0.9
    (fault,) = figures.faults
    assert (fault.target, fault.toxic, fault.origin) == ("PRIMARY.api", "down", "timeline")
    assert fault.time_to_detect_s is not None and fault.time_to_detect_s < 1.0
    assert fault.time_to_fail_over_s is not None and fault.time_to_fail_over_s < 1.0
    assert fault.time_to_recover_s is not None  # its breaker half-opens 5 s after opening (~1 s)
    assert (figures.lost, figures.duplicated, figures.misrouted) == (0, 0, 0)
    assert result.run.checker is not None and result.run.checker.valid
    assert any(v.sources[0].state in ("down", "breaker open", "degraded") for v in views)
    record = result.record.model_dump_json()
    assert '"drill"' in record and '"time_to_fail_over_s"' in record


async def test_a_live_fault_is_measured_and_stop_clears_everything(fallback_stack: StackState) -> None:
    stop = asyncio.Event()
    options = DrillOptions(plan=TrafficPlan(rate_per_s=20, duration_s=30, mix={"load": 1}))

    async def operator() -> None:
        await asyncio.sleep(1.0)
        with Toxiproxy(fallback_stack.toxiproxy_url) as toxiproxy:
            await asyncio.to_thread(toxiproxy.down, "BOLT.api")  # as `fallback-harness fault BOLT.api down` does
        await asyncio.sleep(1.5)
        stop.set()  # what Ctrl-C does

    _, result = await asyncio.gather(operator(), run_drill(options, fallback_stack, stop=stop))
    figures = result.run.drill
    assert figures is not None and figures.interrupted and figures.duration_s < 10
    (fault,) = figures.faults
    assert (fault.target, fault.toxic, fault.origin) == ("BOLT.api", "down", "observed")
    assert 0.0 < fault.start_s < 2.5
    assert fault.time_to_detect_s is not None
    with Toxiproxy(fallback_stack.toxiproxy_url) as toxiproxy:
        assert all(p["enabled"] and not p["toxics"] for p in toxiproxy.proxies().values())


async def test_a_rate_far_past_the_machine_is_saturation_not_unavailability(fallback_stack: StackState) -> None:
    """Defect 7: 2000/s for 5 s ran 104 s and reported 0.04 % availability with no fault at all."""
    plan = TrafficPlan(rate_per_s=5000, duration_s=5, drain_s=3)
    views: list[LiveView] = []
    started = time.monotonic()
    result = await run_drill(DrillOptions(plan=plan), fallback_stack, on_tick=views.append)
    figures = result.run.drill
    assert figures is not None
    assert figures.duration_s <= plan.duration_s + plan.drain_s + 0.5  # traffic and drain
    assert time.monotonic() - started < plan.duration_s + plan.drain_s + 30  # with reseeding and checking
    assert figures.harness_saturated and figures.shed > plan.slots / 2
    assert figures.operations + figures.shed == plan.slots
    assert figures.sent_per_s is not None and figures.sent_per_s < plan.rate_per_s / 2
    # no fault: the system was up. What the harness could not send or measure is not counted against it
    # (when it shed in every second, nothing is left to count: availability None, not 0 %)
    assert figures.availability is None or figures.availability >= 0.9
    assert figures.availability is not None or figures.excluded == figures.operations
    assert (figures.lost, figures.duplicated, figures.misrouted) == (0, 0, 0)
    assert any(v.generator is not None and v.generator.saturated for v in views)  # the dashboard said so
    ticks = [v.t_s for v in views if v.t_s <= figures.duration_s]
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 2.0  # and it never froze (38 s before)
