"""Whether the load generator kept its rate: its own lag, the operations it shed, the event loop's stalls.

A drill's client runs in the harness's own event loop, beside the generator. When this machine (or
this one Python process) cannot keep the rate asked for, two things show it, and both are measured
(with, per second, the process's CPU and the machine's CPU pressure, for the reader and `RateControl`):

* generator lag: an operation due at `slot` (its place in the schedule) starts at `sent`; the lag is
  `sent - slot`. An operation that cannot start within `MAX_LAG_S` of its slot is *shed*: not sent,
  counted here, never in the history. This keeps a saturated generator from bursting out its backlog
  (the burst is what stalled the loop for tens of seconds and tripped every breaker);
* loop stalls: a probe sleeps `PROBE_S` and records how late it woke up. A late wake-up of L seconds
  means every callback in the loop (the client's reads, its timers, its deadlines) waited up to L.

The harness is *saturated* in a second when it shed a slot or the loop stalled more than `MAX_LAG_S`
in it. An operation sent in a second the generator shed in, or whose life (invoke to completion)
overlaps such a stall, was measured by a harness that could not keep up: `fallback.drill.figures` leaves it
out of the availability (both when it succeeded and when it failed, so the figure is not biased either
way) and reports how many it left out. Everything here is pure bookkeeping on times handed in, so it is
unit-tested without a server or a clock.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fallback.stats import percentile

MAX_LAG_S = 0.25
"""Lag and stall bound: well under the reference client's shortest deadline (1 s to connect), so a
harness that stays within it cannot make the client time out by itself."""
PROBE_S = 0.02
"""How often the loop probe wakes up."""
START_RATE_PER_S = 50.0
"""Where `RateControl` starts (slow start), when more is asked; it never goes below it."""
BACK_OFF_LATE_S = 0.1
"""`RateControl` backs off when the loop probe wakes this late..."""
BUSY_PRESSURE = 0.9
"""... or when, in a second, some task on the machine waited for a CPU more than this share of the time."""


@dataclass
class RateControl:
    """How many of the scheduled operations to send: slow start, then back off while the loop is late.

    A token bucket refilled at `rate` (at most `asked`); a slot finding no token is shed. Every
    `interval_s`, `rate` halves if the harness was busy since the last update (`PaceLog.take_busy`:
    its loop probe woke more than `BACK_OFF_LATE_S` late, or the machine's CPU pressure passed
    `BUSY_PRESSURE`), else grows by a quarter. Only the harness and the machine steer it, never the
    system's answers: a slow or failing system must not lower the load it is tested with. Without it a
    generator asked for far more than the machine can do sends a first burst that stalls the loop for
    seconds, the client's own timeouts fire, its breakers open, and the system looks down.
    """

    asked: float
    rate: float = START_RATE_PER_S
    floor: float = START_RATE_PER_S
    """Never below this: at a few operations per second the harness is not what makes the loop late."""
    interval_s: float = 0.25
    tokens: float = 1.0
    _last_s: float | None = None
    _updated_s: float | None = None

    def __post_init__(self) -> None:
        self.rate = min(self.asked, self.rate)
        self.floor = min(self.floor, self.asked)

    def take(self, now_s: float, busy: Callable[[], bool]) -> bool:
        """May the slot due now be sent? `busy()` says (once) whether the harness was too busy since last asked."""
        if self._updated_s is None:
            self._updated_s = self._last_s = now_s
        elif now_s - self._updated_s >= self.interval_s:
            self.rate = max(self.floor, self.rate / 2) if busy() else min(self.asked, self.rate * 1.25)
            self._updated_s = now_s
        assert self._last_s is not None
        burst = max(1.0, self.rate * MAX_LAG_S)
        self.tokens = min(burst, self.tokens + (now_s - self._last_s) * self.rate)
        self._last_s = now_s
        if self.tokens >= 1.0 - 1e-9:  # slots come exactly at `asked`: float sums fall a hair short
            self.tokens -= 1.0
            return True
        return False


@dataclass(frozen=True)
class Stall:
    """The event loop was not running callbacks from `start_s` to `end_s`."""

    start_s: float
    end_s: float


@dataclass(frozen=True)
class PaceSecond:
    """One second of the schedule: what was due, sent and shed, and how late things were."""

    t_s: int
    due: int
    sent: int
    shed: int
    lag_p99_ms: float | None
    """Generator lag of the operations sent in this second, 99th percentile (`fallback.stats`)."""
    lag_max_ms: float | None
    stall_max_ms: float | None
    """Longest late wake-up of the loop probe in this second."""
    cpu_pct: float | None
    """CPU time of the harness process over wall time (100 = one core busy all the time)."""
    cpu_pressure_pct: float | None
    """Share of the second in which some task on this machine waited for a CPU (Linux PSI; None elsewhere)."""
    saturated: bool


@dataclass
class PaceLog:
    """What the generator and the loop probe saw, fed as the drill runs (times in drill seconds)."""

    max_lag_s: float = MAX_LAG_S
    lags: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    shed_at: Counter[int] = field(default_factory=Counter)
    due_at: Counter[int] = field(default_factory=Counter)
    probe_max: dict[int, float] = field(default_factory=dict)
    stalls: list[Stall] = field(default_factory=list)
    cpu: dict[int, float] = field(default_factory=dict)
    pressure: dict[int, float] = field(default_factory=dict)
    worst_late_s: float = 0.0
    """Worst lateness of the loop probe since `take_worst_late()` last read it."""
    starved: bool = False
    """The machine's CPU pressure passed `BUSY_PRESSURE` in a second since `take_busy()` last read it."""

    # --- feeding ------------------------------------------------------------------------------------------
    def sent(self, slot_s: float, at_s: float) -> None:
        self.due_at[_second(slot_s)] += 1
        self.lags[_second(at_s)].append(max(0.0, at_s - slot_s))

    def shed(self, slot_s: float) -> None:
        self.due_at[_second(slot_s)] += 1
        self.shed_at[_second(slot_s)] += 1

    def shed_range(self, first: int, last: int, rate_per_s: float, started_s: float = 0.0) -> None:
        """Slots `first`..`last - 1` of a schedule at `rate_per_s` shed at once (counted per second, not one by one)."""
        index = first
        while index < last:
            second = _second(started_s + index / rate_per_s)
            end = min(last, math.ceil((second + 1 - started_s) * rate_per_s - 1e-9))
            end = max(end, index + 1)
            self.due_at[second] += end - index
            self.shed_at[second] += end - index
            index = end

    def probe(self, expected_s: float, woke_s: float) -> None:
        late = max(0.0, woke_s - expected_s)
        self.worst_late_s = max(self.worst_late_s, late)
        second = _second(woke_s)
        self.probe_max[second] = max(self.probe_max.get(second, 0.0), late)
        if late > self.max_lag_s:
            self.stalls.append(Stall(expected_s, woke_s))

    def take_worst_late(self) -> float:
        worst, self.worst_late_s = self.worst_late_s, 0.0
        return worst

    def take_busy(self) -> bool:
        """Was the loop more than `BACK_OFF_LATE_S` late, or the machine CPU-starved, since last asked?"""
        starved, self.starved = self.starved, False
        return self.take_worst_late() > BACK_OFF_LATE_S or starved

    def cpu_second(self, second: int, busy_fraction: float, pressure: float | None = None) -> None:
        self.cpu[second] = busy_fraction
        if pressure is not None:
            self.pressure[second] = pressure
            self.starved = self.starved or pressure > BUSY_PRESSURE

    # --- reading ------------------------------------------------------------------------------------------
    @property
    def total_shed(self) -> int:
        return sum(self.shed_at.values())

    def saturated_seconds(self) -> set[int]:
        marked = {s for s, n in self.shed_at.items() if n}
        for stall in self.stalls:
            marked.update(range(_second(stall.start_s), _second(stall.end_s) + 1))
        return marked

    def stall_index(self) -> StallIndex:
        return StallIndex(self.stalls)

    def seconds(self, until_s: int | None = None) -> tuple[PaceSecond, ...]:
        keys = set(self.due_at) | set(self.lags) | set(self.probe_max)
        if not keys:
            return ()
        last = max(keys) if until_s is None else until_s
        saturated = self.saturated_seconds()
        result = []
        for second in range(0, last + 1):
            lags = sorted(self.lags.get(second, ()))
            result.append(
                PaceSecond(
                    t_s=second,
                    due=self.due_at[second],
                    sent=len(lags),
                    shed=self.shed_at[second],
                    lag_p99_ms=_ms(_percentile(lags, 99)),
                    lag_max_ms=_ms(lags[-1] if lags else None),
                    stall_max_ms=_ms(self.probe_max.get(second)),
                    cpu_pct=round(100 * self.cpu[second], 1) if second in self.cpu else None,
                    cpu_pressure_pct=round(100 * self.pressure[second], 1) if second in self.pressure else None,
                    saturated=second in saturated,
                )
            )
        return tuple(result)

    def recent(self, now_s: float, window_s: float) -> tuple[int, int, float | None, float | None]:
        """For the dashboard, over the last `window_s`: (sent, shed, lag p99 s, longest stall s)."""
        seconds = range(max(0, _second(now_s - window_s)), _second(now_s) + 1)
        lags = sorted(lag for s in seconds for lag in self.lags.get(s, ()))
        probes = [self.probe_max[s] for s in seconds if s in self.probe_max]
        shed = sum(self.shed_at[s] for s in seconds)
        return len(lags), shed, _percentile(lags, 99), max(probes) if probes else None


class StallIndex:
    """Stalls merged and sorted, to ask quickly whether an interval overlaps one."""

    def __init__(self, stalls: list[Stall]) -> None:
        merged: list[list[float]] = []
        for stall in sorted(stalls, key=lambda s: s.start_s):
            if merged and stall.start_s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], stall.end_s)
            else:
                merged.append([stall.start_s, stall.end_s])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def overlaps(self, start_s: float, end_s: float | None) -> bool:
        """Does [start_s, end_s] (None: never ended) overlap a stall?"""
        end_s = math.inf if end_s is None else end_s
        # the last stall that starts before the interval ends; merged stalls do not overlap each other
        index = bisect.bisect_left(self.starts, end_s) - 1
        return index >= 0 and self.ends[index] > start_s


PSI_CPU = Path("/proc/pressure/cpu")


def cpu_stall_us() -> int | None:
    """Linux PSI: microseconds, since boot, in which some runnable task waited for a CPU (None: no PSI here).

    Read from the kernel's own account rather than estimated: on a machine shared with other work, it is
    what says that the machine, not the harness or the system under test, could not keep up."""
    try:
        first = PSI_CPU.read_text(encoding="ascii").splitlines()[0]
        return int(first.rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None


def _second(t_s: float) -> int:
    return max(0, math.floor(t_s))


def _percentile(values: list[float], q: int) -> float | None:
    return percentile(values, q) if values else None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 1)
