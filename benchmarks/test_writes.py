"""(3) Write failover: PRIMARY refusing, hung, or already known down (breaker open), vs a direct write to BOLT.

The reference client pins a write to a source whose reply was lost (it may have committed), so
with PRIMARY hung its creates end `indeterminate` after the write budget instead of failing over:
the outcome is recorded with the time. The spec-faithful client waits for supabase-py's 120 s
timeout on a hung PRIMARY; those rounds are cut at `Profile.bound_s`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fallback.bench.labels import REFERENCE, SPEC_FAITHFUL, WRITE, Label, Profile
from fallback.bench.measure import Benchmark, measure
from fallback.bench.workloads import TABLE, Op, ReferenceRounds, direct_upsert, new_challenge
from fallback.client import SpecFaithfulClient
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy, timeout

pytestmark = pytest.mark.usefixtures("fresh_rows")
FLOOR = "direct_bolt"
SAFETY_BOUND_S = 30.0
VARIANTS = [
    FLOOR,
    "reference_refused",
    "reference_hung",
    "reference_breaker_open",
    "spec_faithful_refused",
    "spec_faithful_hung",
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_write_failover(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    bench_stack: StackState,
    toxics: Toxiproxy,
    profile: Profile,
    cache_dir: Path,
    variant: str,
) -> None:
    if variant.endswith("_refused"):
        toxics.down("PRIMARY.api")
    elif variant != FLOOR:
        toxics.add("PRIMARY.api", timeout(0))
    setup = None
    rounds, warmup = profile.rounds, 0
    if variant == FLOOR:
        label = Label(WRITE, variant, role="floor")
        op = direct_upsert(bench_stack, "BOLT")
        warmup = 1
    elif variant.startswith("reference"):
        label = Label(WRITE, variant, client=REFERENCE, bound_s=SAFETY_BOUND_S)
        breaker_open = variant == "reference_breaker_open"
        rounds_of = ReferenceRounds(
            bench_stack, cache_dir, fresh=not breaker_open, open_breaker="PRIMARY" if breaker_open else None
        )
        op, setup = Op(rounds_of.create, rounds_of.aclose), rounds_of.setup
        if variant == "reference_hung":
            rounds = profile.slow_rounds
    else:
        hung = variant == "spec_faithful_hung"
        label = Label(WRITE, variant, client=SPEC_FAITHFUL, bound_s=profile.bound_s if hung else SAFETY_BOUND_S)
        client = SpecFaithfulClient.from_stack(bench_stack)
        op = Op(lambda: client.create(TABLE, new_challenge()), client.aclose)
        if hung:
            rounds = profile.slow_rounds
    try:
        measure(benchmark, runner, label, op.call, rounds=rounds, warmup_rounds=warmup, setup=setup)
    finally:
        runner.run(op.close())
