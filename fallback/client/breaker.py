"""A per-source circuit breaker, resilience4j-style, so a dead source stops costing its timeout.

States and transitions (count-based sliding window):

    CLOSED --(window holds >= minimum_calls and failure rate >= threshold)--> OPEN
    OPEN --(wait_in_open seconds elapsed, checked on the next call)--> HALF_OPEN
    HALF_OPEN --(permitted_in_half_open calls recorded, failure rate >= threshold)--> OPEN
    HALF_OPEN --(... failure rate below threshold)--> CLOSED

Calls beyond the permitted ones in HALF_OPEN are refused, like calls in OPEN. Time comes from
an injectable `clock` (seconds, monotonic), so transitions are tested without sleeping. Every
transition is passed, as a frozen `Transition`, to each hook in `on_transition`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class Transition:
    """One state change of one breaker, as hooks and reports see it."""

    name: str
    from_state: State
    to_state: State
    at: float
    """The breaker's clock at the transition."""
    failure_rate: float | None
    """The rate over the window that caused it (None for the timed OPEN -> HALF_OPEN)."""
    calls: int


Hook = Callable[[Transition], None]


class CircuitBreaker:
    """One breaker for one source; not thread-safe (one asyncio loop drives it)."""

    def __init__(
        self,
        name: str,
        *,
        window_size: int = 10,
        minimum_calls: int = 4,
        failure_rate_threshold: float = 0.5,
        wait_in_open: float = 5.0,
        permitted_in_half_open: int = 1,
        clock: Callable[[], float] = time.monotonic,
        on_transition: Sequence[Hook] = (),
    ) -> None:
        if not 0.0 < failure_rate_threshold <= 1.0:
            raise ValueError("failure_rate_threshold must be within (0, 1]")
        if minimum_calls < 1 or window_size < 1 or permitted_in_half_open < 1:
            raise ValueError("window_size, minimum_calls and permitted_in_half_open must be >= 1")
        self.name = name
        self.window_size = window_size
        self.minimum_calls = min(minimum_calls, window_size)
        self.failure_rate_threshold = failure_rate_threshold
        self.wait_in_open = wait_in_open
        self.permitted_in_half_open = permitted_in_half_open
        self._clock = clock
        self._hooks = tuple(on_transition)
        self._state = State.CLOSED
        self._window: deque[bool] = deque(maxlen=window_size)  # True = failure
        self._opened_at = 0.0
        self._half_open_permits = 0
        self._half_open_results: list[bool] = []
        self.transitions: list[Transition] = []

    @property
    def state(self) -> State:
        """The current state, moving OPEN -> HALF_OPEN if the wait is over."""
        if self._state is State.OPEN and self._clock() - self._opened_at >= self.wait_in_open:
            self._move(State.HALF_OPEN, None, 0)
        return self._state

    def allow(self) -> bool:
        """Ask to make one call. A True answer must be followed by `record_success` or `record_failure`."""
        state = self.state
        if state is State.CLOSED:
            return True
        if state is State.HALF_OPEN and self._half_open_permits < self.permitted_in_half_open:
            self._half_open_permits += 1
            return True
        return False

    def record_success(self) -> None:
        self._record(False)

    def record_failure(self) -> None:
        self._record(True)

    def failure_rate(self) -> float | None:
        """The failure rate over the window, or None while it holds fewer than `minimum_calls`."""
        if len(self._window) < self.minimum_calls:
            return None
        return sum(self._window) / len(self._window)

    def _record(self, failed: bool) -> None:
        if self._state is State.HALF_OPEN:
            self._half_open_results.append(failed)
            if len(self._half_open_results) >= self.permitted_in_half_open:
                results = self._half_open_results
                probe_rate = sum(results) / len(results)
                target = State.OPEN if probe_rate >= self.failure_rate_threshold else State.CLOSED
                self._move(target, probe_rate, len(results))
            return
        if self._state is State.OPEN:  # a call allowed before the breaker opened finished late
            return
        self._window.append(failed)
        rate = self.failure_rate()
        if rate is not None and rate >= self.failure_rate_threshold:
            self._move(State.OPEN, rate, len(self._window))

    def _move(self, target: State, rate: float | None, calls: int) -> None:
        transition = Transition(self.name, self._state, target, self._clock(), rate, calls)
        self._state = target
        self._half_open_permits = 0
        self._half_open_results = []
        if target is State.OPEN:
            self._opened_at = transition.at
        if target is State.CLOSED:
            self._window.clear()
        self.transitions.append(transition)
        for hook in self._hooks:
            hook(transition)
