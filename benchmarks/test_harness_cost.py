"""The harness's own cost: the clients vs raw httpx against the same gateways, and requests/second.

No toxic here: plain Toxiproxy links (the default), so the figures are the software's cost.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fallback.bench.labels import OVERHEAD_MERGED, OVERHEAD_SINGLE, REFERENCE, THROUGHPUT, Label, Profile
from fallback.bench.measure import Benchmark, measure
from fallback.bench.workloads import TABLE, Op, RawGateway, default_select, tuned_select
from fallback.client import ReferenceClient
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

pytestmark = pytest.mark.usefixtures("fresh_rows")


@pytest.mark.parametrize("variant", ["raw_httpx_parallel", REFERENCE])
def test_overhead_merged(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    bench_stack: StackState,
    toxics: Toxiproxy,
    profile: Profile,
    cache_dir: Path,
    variant: str,
) -> None:
    """Three sources read and merged: three parallel httpx GETs + concat vs the reference client."""
    if variant == REFERENCE:
        client = ReferenceClient.from_stack(bench_stack, cache_dir=cache_dir)
        op = Op(lambda: client.load(TABLE), client.aclose)
        label = Label(OVERHEAD_MERGED, variant, client=REFERENCE)
    else:
        raw = RawGateway(bench_stack)
        op = Op(raw.merged, raw.aclose)
        label = Label(OVERHEAD_MERGED, variant, role="floor")
    try:
        measure(benchmark, runner, label, op.call, rounds=profile.rounds * 2, warmup_rounds=2)
    finally:
        runner.run(op.close())


@pytest.mark.parametrize("variant", ["raw_httpx_single", "supabase_default", "supabase_tuned"])
def test_overhead_single(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    bench_stack: StackState,
    toxics: Toxiproxy,
    profile: Profile,
    variant: str,
) -> None:
    """One source read: one httpx GET vs supabase-py (defaults, and as the reference tunes it)."""
    if variant == "raw_httpx_single":
        raw = RawGateway(bench_stack)
        op = Op(raw.get, raw.aclose)
        label = Label(OVERHEAD_SINGLE, variant, role="floor")
    else:
        op = (
            default_select(bench_stack, "PRIMARY")
            if variant == "supabase_default"
            else tuned_select(bench_stack, "PRIMARY")
        )
        label = Label(OVERHEAD_SINGLE, variant)
    try:
        measure(benchmark, runner, label, op.call, rounds=profile.rounds * 2, warmup_rounds=2)
    finally:
        runner.run(op.close())


@pytest.mark.parametrize("variant", ["direct", "via_toxiproxy"])
def test_gateway_throughput(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    bench_stack: StackState,
    toxics: Toxiproxy,
    profile: Profile,
    variant: str,
) -> None:
    """A batch of GETs to PRIMARY's gateway, 10 at a time: straight to it (floor) vs through Toxiproxy."""
    raw = RawGateway(bench_stack, direct=variant == "direct")
    batch = profile.throughput_batch
    label = Label(THROUGHPUT, variant, role="floor" if variant == "direct" else "variant", batch=batch)
    try:
        measure(benchmark, runner, label, lambda: raw.batch(batch), rounds=max(3, profile.rounds // 2), warmup_rounds=1)
    finally:
        runner.run(raw.aclose())
