"""Breaker transitions under a fake clock: no sleeping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fallback.client.breaker import CircuitBreaker, State, Transition


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(clock: FakeClock, seen: list[Transition] | None = None, **options: float) -> CircuitBreaker:
    defaults: dict[str, float] = dict(
        window_size=4, minimum_calls=4, failure_rate_threshold=0.5, wait_in_open=10.0, permitted_in_half_open=2
    )
    defaults.update(options)
    return CircuitBreaker(
        "PRIMARY",
        clock=clock,
        on_transition=[seen.append] if seen is not None else (),
        **defaults,  # type: ignore[arg-type]
    )


def call(breaker: CircuitBreaker, failed: bool) -> bool:
    if not breaker.allow():
        return False
    (breaker.record_failure if failed else breaker.record_success)()
    return True


def test_opens_only_after_minimum_calls_at_threshold() -> None:
    clock, seen = FakeClock(), []
    breaker = make(clock, seen)
    for _ in range(3):
        call(breaker, True)
    assert breaker.state is State.CLOSED  # 3 failures < minimum_calls
    call(breaker, True)
    assert breaker.state is State.OPEN
    assert seen == [Transition("PRIMARY", State.CLOSED, State.OPEN, 0.0, 1.0, 4)]
    assert not breaker.allow()


def test_sliding_window_forgets_old_failures() -> None:
    breaker = make(FakeClock())
    for failed in (True, False, False, False, True, False, False, False):
        call(breaker, failed)
    assert breaker.state is State.CLOSED  # never 2 failures among the last 4


def test_half_open_after_wait_then_closes_on_successful_probes() -> None:
    clock, seen = FakeClock(), []
    breaker = make(clock, seen)
    for _ in range(4):
        call(breaker, True)
    clock.now = 9.9
    assert breaker.state is State.OPEN
    clock.now = 10.0
    assert breaker.state is State.HALF_OPEN
    assert breaker.allow() and breaker.allow()
    assert not breaker.allow()  # only two permitted calls
    breaker.record_success()
    breaker.record_success()
    assert breaker.state is State.CLOSED
    assert [(t.from_state, t.to_state) for t in seen] == [
        (State.CLOSED, State.OPEN),
        (State.OPEN, State.HALF_OPEN),
        (State.HALF_OPEN, State.CLOSED),
    ]
    assert breaker.failure_rate() is None  # window cleared on closing


def test_half_open_reopens_on_failed_probes_and_waits_again() -> None:
    clock = FakeClock()
    breaker = make(clock)
    for _ in range(4):
        call(breaker, True)
    clock.now = 10.0
    call(breaker, True)
    call(breaker, False)  # 1 of 2 failed: 0.5 >= threshold
    assert breaker.state is State.OPEN
    clock.now = 19.0
    assert not breaker.allow()
    clock.now = 20.0
    assert breaker.allow()


def test_late_result_of_a_call_allowed_before_opening_is_ignored() -> None:
    breaker = make(FakeClock())
    assert breaker.allow()  # a slow call starts
    for _ in range(4):
        call(breaker, True)
    breaker.record_success()  # and ends while open
    assert breaker.state is State.OPEN


def test_bad_configuration_is_rejected() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker("x", failure_rate_threshold=0)
    with pytest.raises(ValueError):
        CircuitBreaker("x", window_size=0)


@given(st.lists(st.booleans(), max_size=60))
def test_open_exactly_when_the_window_rate_reaches_the_threshold(outcomes: list[bool]) -> None:
    """Without time passing, the breaker opens at the first full-enough window at the threshold."""
    breaker = make(FakeClock())
    window: list[bool] = []
    for failed in outcomes:
        allowed = call(breaker, failed)
        if not allowed:
            assert breaker.state is State.OPEN
            continue
        window = ([*window, failed])[-4:]
        should_open = len(window) >= 4 and sum(window) / len(window) >= 0.5
        assert (breaker.state is State.OPEN) == should_open
