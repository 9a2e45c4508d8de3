"""Steady traffic for a drill: reads and writes at a set rate, bounded in count and in time.

Operations start on a fixed schedule (`rate` per second), each as its own task, so a slow or
hung call does not slow the schedule down (an open loop: a client that stalls shows as slow or
failed operations, not as operations that were never sent). Every call is bounded by the
engine's deadline, so at most about rate x deadline run at once; `max_in_flight` is only a
safety net above that (when reached, the schedule waits and the achieved rate drops). The kind of each
operation is drawn from `mix` with a seeded generator, so a drill's sequence of operations
is replayable. Every call goes through the engine's `WorkloadRunner`, so the history, the
deadline and the checker's conventions are exactly those of a scenario run.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fallback.engine.workload import WorkloadRunner
from fallback.scenario import Step

DEFAULT_MIX: Mapping[str, float] = {"load": 0.7, "create": 0.2, "update": 0.1}
OPS = ("load", "create", "update", "assign_mt5")


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

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.duration_s <= 0:
            raise ValueError("rate and duration must be positive")
        unknown = set(self.mix) - set(OPS)
        if unknown:
            raise ValueError(f"unknown operations in mix: {sorted(unknown)} (known: {', '.join(OPS)})")
        if not self.mix or sum(self.mix.values()) <= 0 or min(self.mix.values()) < 0:
            raise ValueError("mix needs non-negative weights with a positive sum")

    @property
    def op_budget(self) -> int:
        planned = int(self.rate_per_s * self.duration_s)
        return min(planned, self.max_ops) if self.max_ops is not None else planned

    def writes(self) -> bool:
        return any(self.mix.get(op, 0) > 0 for op in ("create", "update", "assign_mt5"))


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
    """Runs `plan` through `runner`; `stop()` ends it early (in-flight operations still complete)."""

    def __init__(self, runner: WorkloadRunner, plan: TrafficPlan, clock: Callable[[], float]) -> None:
        self.runner = runner
        self.plan = plan
        self.clock = clock
        self.issued = 0
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
        plan = self.plan
        limit = asyncio.Semaphore(plan.max_in_flight)
        tasks: set[asyncio.Task[None]] = set()
        free = list(range(plan.max_in_flight))  # a worker id has one operation in flight at a time
        started = self.clock()

        async def one(op: str, process: int) -> None:
            try:
                await self.runner.one_op(self._steps[op], process)
            finally:
                free.append(process)
                limit.release()

        while self.issued < plan.op_budget and not self._stop.is_set():
            slot = started + self.issued / plan.rate_per_s
            if slot >= started + plan.duration_s:
                break
            delay = slot - self.clock()
            if delay > 0:
                try:
                    await asyncio.wait_for(self._stop.wait(), delay)
                    break
                except TimeoutError:
                    pass
            await limit.acquire()
            op = self._rng.choices(self._ops, self._weights)[0]
            task = asyncio.create_task(one(op, free.pop()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            self.issued += 1
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
