"""`explore --profile-steps`: seconds per step of every run, summed up per step (no stack needed)."""

from __future__ import annotations

import time

import pytest

from fallback.engine.steps import Step, StepTimes, profile


def _run(**seconds: float) -> StepTimes:
    times = StepTimes()
    for name, value in seconds.items():
        times.add(Step(name), value)
    return times


def test_the_profile_gives_each_steps_median_p90_total_and_share_in_run_order() -> None:
    runs = [_run(reseed=0.1, workload=1.0), _run(reseed=0.3, workload=0.5), _run(workload=0.5, settle=2.0)]
    rows = profile(runs)
    assert [row.step for row in rows] == [Step.reseed, Step.workload, Step.settle]  # steps no run took: left out
    reseed, workload, settle = rows
    assert reseed.median_s == pytest.approx(0.1)  # a run that skipped it counts as 0 s
    assert reseed.total_s == pytest.approx(0.4)
    assert workload.median_s == pytest.approx(0.5) and workload.total_s == pytest.approx(2.0)
    assert settle.p90_s == pytest.approx(1.6)
    assert sum(row.share for row in rows) == pytest.approx(1.0)
    assert settle.share == pytest.approx(2.0 / 4.4)
    assert profile([]) == ()


def test_a_step_entered_twice_adds_up_also_when_it_raises() -> None:
    times = StepTimes()
    with times.timed(Step.check):
        time.sleep(0.01)
    with pytest.raises(RuntimeError), times.timed(Step.check):
        raise RuntimeError
    assert times.seconds[Step.check] >= 0.01
    assert times.total_s == times.seconds[Step.check]
