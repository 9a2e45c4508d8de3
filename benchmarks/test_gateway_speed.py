"""The gateway against its floor, a bare Starlette + asyncpg endpoint, under wrk with 8 connections
(fallback/bench/speed.py): a simple select, an embedded-resource select and an RPC call, in one run.

Each test is one pytest-benchmark entry (its time is the whole measurement); the wrk figures of every
round, both servers, are in its `extra_info["speed"]`, and the report prints the throughput and p50 ratios.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from fallback.bench import speed
from fallback.bench.labels import GATEWAY_SPEED, Label, Profile, stack_location
from fallback.bench.measure import Benchmark
from fallback.stack.state import StackState


@pytest.fixture(scope="module")
def bare(bench_stack: StackState, runner: asyncio.Runner) -> Iterator[speed.Server]:
    runner.run(speed.install_fixture(bench_stack))
    with speed.bare_endpoint(bench_stack, stack_location()[1] + speed.BARE_PORT_OFFSET) as server:
        yield server


@pytest.mark.parametrize("target", speed.TARGETS, ids=[t.name for t in speed.TARGETS])
def test_gateway_vs_bare(
    benchmark: Benchmark, bench_stack: StackState, bare: speed.Server, profile: Profile, target: speed.Target
) -> None:
    label = Label(GATEWAY_SPEED, target.name)
    results: list[speed.SpeedResult] = []

    def measure() -> None:
        results.append(
            speed.measure_target(
                bench_stack,
                bare,
                target,
                seconds=profile.speed_seconds,
                rounds=profile.speed_rounds,
                warmup_s=profile.speed_warmup_s,
            )
        )

    benchmark.group = label.group
    benchmark.extra_info.update(label.extra_info())
    benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info["speed"] = results[0].info()
