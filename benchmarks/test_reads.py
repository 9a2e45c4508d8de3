"""(1) Healthy reads: one source (the floor) vs the reference and spec-faithful merged reads.

The same downstream latency is injected on all three API links for every variant of a group,
at 0, 20 and 100 ms. Three parallel requests should cost about one; three sequential ones, three.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fallback.bench.labels import LATENCIES_MS, READ, REFERENCE, SPEC_FAITHFUL, Label, Profile
from fallback.bench.measure import Benchmark, measure
from fallback.bench.workloads import TABLE, Op, default_select, inject_latency
from fallback.client import ReferenceClient, SpecFaithfulClient
from fallback.client.adaptive import AdaptiveCut
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

pytestmark = pytest.mark.usefixtures("fresh_rows")
FLOOR = "single_source"
STATIC = "reference_static"
"""The reference client with today's static deadline alone (`adaptive=None`), beside the adaptive default."""


def build(variant: str, state: StackState, cache_dir: Path) -> Op:
    if variant == FLOOR:
        return default_select(state, "PRIMARY")
    if variant == SPEC_FAITHFUL:
        client: ReferenceClient | SpecFaithfulClient = SpecFaithfulClient.from_stack(state)
    else:  # the reference client, with the adaptive cut (its default) and with the static deadline alone
        client = ReferenceClient.from_stack(
            state, cache_dir=cache_dir, adaptive=None if variant == STATIC else AdaptiveCut()
        )
    return Op(lambda: client.load(TABLE), client.aclose)


@pytest.mark.parametrize("variant", [FLOOR, REFERENCE, STATIC, SPEC_FAITHFUL])
@pytest.mark.parametrize("latency_ms", LATENCIES_MS)
def test_read(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    bench_stack: StackState,
    toxics: Toxiproxy,
    profile: Profile,
    cache_dir: Path,
    latency_ms: int,
    variant: str,
) -> None:
    inject_latency(toxics, bench_stack, latency_ms)
    label = Label(
        READ,
        variant,
        role="floor" if variant == FLOOR else "variant",
        client=None if variant == FLOOR else REFERENCE if variant == STATIC else variant,
        latency_ms=latency_ms,
    )
    op = build(variant, bench_stack, cache_dir)
    try:
        measure(benchmark, runner, label, op.call, rounds=profile.rounds, warmup_rounds=1)
    finally:
        runner.run(op.close())
