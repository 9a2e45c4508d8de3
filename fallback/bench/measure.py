"""Timing one async operation under pytest-benchmark, labelled, and bounded when it could hang.

pytest-benchmark times synchronous callables, so each round drives the coroutine on one
long-lived `asyncio.Runner` (the clients' connection pools belong to that loop). A client
configured with supabase-py's defaults may wait 120 s on a hung source: `Label.bound_s` caps
each call, and a capped round is recorded with the outcome `bounded`, so reports can say
">= N s (bounded)" instead of pretending the figure is the real one.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from fallback.bench.labels import BOUNDED, Label
from fallback.client.results import Attempt, LoadResult, WriteResult

Make = Callable[[], Awaitable[object]]
Setup = Callable[[], Coroutine[Any, Any, None]]


class Benchmark(Protocol):
    """The part of pytest-benchmark's `benchmark` fixture used here."""

    group: str | None
    extra_info: dict[str, Any]

    def pedantic(
        self,
        target: Callable[[], None],
        *,
        setup: Callable[[], None] | None = ...,
        rounds: int = ...,
        warmup_rounds: int = ...,
        iterations: int = ...,
    ) -> Any: ...


def describe(result: object) -> str:
    """A short outcome for a report: `ok:PRIMARY+BOLT+OLD`, `indeterminate:PRIMARY`, `refused`."""
    if isinstance(result, str):
        return result
    if isinstance(result, LoadResult):
        answered = "+".join(a.source for a in result.attempts if a.ok)
        return f"{result.outcome}:{answered or '-'}"
    if isinstance(result, WriteResult):
        return f"{result.outcome}:{result.source or result.pending_source or '-'}"
    if isinstance(result, tuple) and result and isinstance(result[0], Attempt):
        return result[0].label
    return "ok"


async def bounded(make: Make, bound_s: float | None) -> str:
    """Run one call; when `bound_s` is set and expires first, cancel it and return `bounded`."""
    if bound_s is None:
        return describe(await make())
    try:
        async with asyncio.timeout(bound_s) as scope:
            result = await make()
    except TimeoutError:
        if scope.expired():
            return BOUNDED
        raise
    return describe(result)


def measure(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    label: Label,
    make: Make,
    *,
    rounds: int,
    setup: Setup | None = None,
    warmup_rounds: int = 0,
) -> Counter[str]:
    """Time `rounds` calls of `make()` (after `warmup_rounds` untimed ones); `setup` runs untimed before each."""
    outcomes: list[str] = []

    def target() -> None:
        outcomes.append(runner.run(bounded(make, label.bound_s)))

    def before() -> None:
        if setup is not None:
            runner.run(setup())

    benchmark.group = label.group
    benchmark.extra_info.update(label.extra_info())
    benchmark.pedantic(target, setup=before, rounds=rounds, warmup_rounds=warmup_rounds, iterations=1)
    counted = Counter(outcomes[warmup_rounds:])
    benchmark.extra_info["outcomes"] = dict(counted)
    benchmark.extra_info["hit_bound"] = BOUNDED in counted
    return counted
