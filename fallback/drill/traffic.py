"""Steady traffic for a drill: reads and writes at a set rate, bounded in count and in time.

Operations start on a fixed schedule (`rate` per second), each as its own task, so a slow or
hung call does not slow the schedule down (an open loop: a client that stalls shows as slow or
failed operations, not as operations that were never sent). Every call is bounded by the
engine's deadline, so at most about rate x deadline run at once; `max_in_flight` is only a
safety net above that. An operation that cannot start within `pace.MAX_LAG_S` of its slot (the
machine or this process cannot keep the rate, or `max_in_flight` are running) is shed: not sent,
and counted in `SteadyTraffic.pace`, so a generator that falls behind never catches up in a burst.
When the schedule ends, in-flight operations get `drain_s` to finish, then are cut off: a drill
lasts at most its duration plus the drain. The kind of each
operation is drawn from `mix` with a seeded generator, so a drill's sequence of operations
is replayable. Every call goes through the engine's `WorkloadRunner`, so the history, the
deadline and the checker's conventions are exactly those of a scenario run.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fallback.drill.pace import PROBE_S, PaceLog, RateControl, cpu_stall_us
from fallback.engine.workload import WorkloadRunner
from fallback.scenario import Step

DEFAULT_MIX: Mapping[str, float] = {"load": 0.7, "create": 0.2, "update": 0.1}
OPS = ("load", "create", "update", "delete", "assign_mt5")
MAX_RATE_PER_S = 100_000.0
"""Far past what one machine sends (see the README's drill section); a typo like 5000000/s is refused."""
MAX_DURATION_S = 24 * 3600.0
STOP_CHECK_S = 0.05


@dataclass(frozen=True)
class TrafficPlan:
    rate_per_s: float = 50.0
    duration_s: float = 60.0
    max_ops: int | None = None
    """Stop after this many operations even if time remains (default: rate x duration)."""
    mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    table: str = "user_challenges"
    max_in_flight: int = 1024
    seed: int = 0
    drain_s: float = 11.0
    """After the schedule ends, in-flight operations get this long, then are cut off (the CLI: op deadline + 1 s)."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate_per_s) and 0 < self.rate_per_s <= MAX_RATE_PER_S):
            raise ValueError(f"rate must be > 0 and at most {MAX_RATE_PER_S:g}/s, got {self.rate_per_s:g}/s")
        if not (math.isfinite(self.duration_s) and 0 < self.duration_s <= MAX_DURATION_S):
            raise ValueError(f"duration must be > 0 and at most {MAX_DURATION_S / 3600:g} h, got {self.duration_s:g} s")
        if self.max_ops is not None and self.max_ops < 1:
            raise ValueError(f"max ops must be at least 1, got {self.max_ops}")
        if not (math.isfinite(self.drain_s) and self.drain_s >= 0):
            raise ValueError(f"drain must be a finite number of seconds >= 0, got {self.drain_s}")
        unknown = set(self.mix) - set(OPS)
        if unknown:
            raise ValueError(f"unknown operations in mix: {sorted(unknown)} (known: {', '.join(OPS)})")
        if not self.mix or sum(self.mix.values()) <= 0 or min(self.mix.values()) < 0:
            raise ValueError("mix needs non-negative weights with a positive sum")

    @property
    def slots(self) -> int:
        """Operations the schedule asks for: rate x duration."""
        return int(self.rate_per_s * self.duration_s)

    @property
    def op_budget(self) -> int:
        return min(self.slots, self.max_ops) if self.max_ops is not None else self.slots

    def writes(self) -> bool:
        return any(self.mix.get(op, 0) > 0 for op in OPS if op != "load")


def parse_mix(text: str) -> dict[str, float]:
    """`load=7,create=2,update=1` -> weights."""
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        op, sep, weight = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r}: write op=weight, e.g. load=7,create=2,update=1")
        mix[op.strip()] = float(weight)
    return mix


class SteadyTraffic:
    """Runs `plan` through `runner`; `stop()` ends it early (in-flight operations still complete).

    `pace` records the generator's lag, the slots it shed and the loop's stalls (see `fallback.drill.pace`).
    """

    def __init__(self, runner: WorkloadRunner, plan: TrafficPlan, clock: Callable[[], float]) -> None:
        self.runner = runner
        self.plan = plan
        self.clock = clock
        self.issued = 0
        self.pace = PaceLog()
        self._stop = asyncio.Event()
        self._rng = random.Random(plan.seed)
        ops = [op for op, weight in plan.mix.items() if weight > 0]
        self._ops = ops
        self._weights = [plan.mix[op] for op in ops]
        self._steps = {op: Step(op=op, table=plan.table, count=1) for op in ops}  # type: ignore[arg-type]

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    async def run(self) -> None:
        """The schedule until its end (or `stop()`), then at most `plan.drain_s` for what is in flight."""
        tasks: set[asyncio.Task[None]] = set()
        probe = asyncio.create_task(self._probe())
        try:
            await self._schedule(tasks)
            if tasks:
                await asyncio.wait(tasks, timeout=self.plan.drain_s)
        finally:
            probe.cancel()
            for task in tasks:  # still running after the drain (or the drill was cancelled): cut off
                task.cancel()
            await asyncio.gather(probe, *tasks, return_exceptions=True)

    async def _schedule(self, tasks: set[asyncio.Task[None]]) -> None:
        plan, pace = self.plan, self.pace
        free = list(range(plan.max_in_flight))  # a worker id has one operation in flight at a time
        started = self.clock()
        slots = plan.slots
        control = RateControl(plan.rate_per_s)
        index = created = 0

        async def one(op: str, process: int, slot: float) -> None:
            try:
                now = self.clock()
                if now - slot > pace.max_lag_s:  # the loop ran this too late: shed, do not burst
                    pace.shed(slot)
                    return
                pace.sent(slot, now)
                self.issued += 1
                await self.runner.one_op(self._steps[op], process)
            finally:
                free.append(process)

        while index < slots and created < plan.op_budget and not self._stop.is_set():
            now = self.clock()
            behind = min(slots, math.ceil((now - started - pace.max_lag_s) * plan.rate_per_s))
            if behind > index:  # woke up too late for these slots: shed them (counted per second)
                pace.shed_range(index, behind, plan.rate_per_s, started)
                index = behind
            due = min(slots, math.floor((now - started) * plan.rate_per_s) + 1)  # slots at or before now
            while index < due and created < plan.op_budget:
                slot = started + index / plan.rate_per_s
                index += 1
                if not control.take(now, pace.take_busy) or not free:  # the harness cannot keep up
                    pace.shed(slot)
                    continue
                op = self._rng.choices(self._ops, self._weights)[0]
                task = asyncio.create_task(one(op, free.pop(), slot))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                created += 1
            # until the next slot, in short naps so that stop() is seen within STOP_CHECK_S
            await asyncio.sleep(min(STOP_CHECK_S, max(0.0, started + index / plan.rate_per_s - self.clock())))

    async def _probe(self) -> None:
        """Wake every `PROBE_S` and record how late; once a second, this process's CPU share."""
        cpu_at, wall_at, stall_at = time.process_time(), self.clock(), cpu_stall_us()
        while True:
            expected = self.clock() + PROBE_S
            await asyncio.sleep(PROBE_S)
            woke = self.clock()
            self.pace.probe(expected, woke)
            if int(woke) > int(wall_at):
                cpu, stall, span = time.process_time(), cpu_stall_us(), max(woke - wall_at, 1e-3)
                pressure = None if stall is None or stall_at is None else min(1.0, (stall - stall_at) / 1e6 / span)
                self.pace.cpu_second(int(wall_at), (cpu - cpu_at) / span, pressure)
                cpu_at, wall_at, stall_at = cpu, woke, stall
