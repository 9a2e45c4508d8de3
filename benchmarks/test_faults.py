"""(2) Reads with PRIMARY hung or refusing, and (5) supabase-py's defaults vs tuned options.

Hung = Toxiproxy `timeout` with 0 ms on `PRIMARY.api`: connections are accepted, nothing comes
back. Refused = the proxy disabled: ECONNREFUSED. The floor is a healthy one-source read of BOLT.
The spec-faithful client keeps supabase-py's 120 s timeout, so on a hung source each round is
cut at `Profile.bound_s` and reported as a lower bound.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fallback.bench.labels import (
    READ_HUNG,
    READ_REFUSED,
    READ_SLOW,
    REFERENCE,
    SPEC_FAITHFUL,
    SUPABASE_REFUSED,
    Label,
    Profile,
)
from fallback.bench.measure import Benchmark, measure
from fallback.bench.workloads import TABLE, Op, ReferenceRounds, default_select, tuned_select
from fallback.client import SpecFaithfulClient
from fallback.client.adaptive import AdaptiveCut
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy, latency, timeout

pytestmark = pytest.mark.usefixtures("fresh_rows")
FLOOR = "single_source"
ADAPTIVE_VARIANTS = ("reference_adaptive",)
"""Variants of the reference client with the adaptive cut; the others keep the static deadline alone,
so both are measured side by side in one run."""
SLOW_MS = 300
SLOW_LOAD_LIMIT = 10
RETRY_BOUND_S = 15.0
"""Cap for calls that end by themselves after supabase-py's GET retries (1 + 2 + 4 s): only a safety net."""


def fault(toxics: Toxiproxy, kind: str) -> None:
    if kind == "hung":
        toxics.add("PRIMARY.api", timeout(0))
    else:
        toxics.down("PRIMARY.api")


def run_read(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    state: StackState,
    profile: Profile,
    cache_dir: Path,
    scenario: str,
    variant: str,
) -> None:
    bound = profile.bound_s if scenario == READ_HUNG else RETRY_BOUND_S
    if variant == FLOOR:
        label = Label(scenario, variant, role="floor")
        op = default_select(state, "BOLT")
        rounds, warmup, setup = profile.rounds, 1, None
    elif variant == SPEC_FAITHFUL:
        label = Label(scenario, variant, client=SPEC_FAITHFUL, bound_s=bound)
        client = SpecFaithfulClient.from_stack(state)
        op = Op(lambda: client.load(TABLE), client.aclose)
        rounds, warmup, setup = profile.slow_rounds, 0, None
    else:
        breaker_open = variant == "reference_breaker_open"
        label = Label(scenario, variant, client="reference", bound_s=RETRY_BOUND_S)
        rounds_of = ReferenceRounds(
            state,
            cache_dir,
            fresh=not breaker_open,
            open_breaker="PRIMARY" if breaker_open else None,
            adaptive=AdaptiveCut() if variant in ADAPTIVE_VARIANTS else None,
        )
        op = Op(rounds_of.load, rounds_of.aclose)
        slow = scenario == READ_HUNG and not breaker_open
        rounds, warmup, setup = (max(2, profile.slow_rounds) if slow else profile.rounds), 0, rounds_of.setup
    try:
        measure(benchmark, runner, label, op.call, rounds=rounds, warmup_rounds=warmup, setup=setup)
    finally:
        runner.run(op.close())


@pytest.mark.parametrize(
    "variant", [FLOOR, "reference_deadline", "reference_adaptive", "reference_breaker_open", SPEC_FAITHFUL]
)
def test_read_primary_hung(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    bench_stack: StackState,
    toxics: Toxiproxy,
    profile: Profile,
    cache_dir: Path,
    variant: str,
) -> None:
    fault(toxics, "hung")
    run_read(benchmark, runner, bench_stack, profile, cache_dir, READ_HUNG, variant)


@pytest.mark.parametrize("variant", [FLOOR, "reference", "reference_adaptive", SPEC_FAITHFUL])
def test_read_primary_refused(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    bench_stack: StackState,
    toxics: Toxiproxy,
    profile: Profile,
    cache_dir: Path,
    variant: str,
) -> None:
    fault(toxics, "refused")
    run_read(benchmark, runner, bench_stack, profile, cache_dir, READ_REFUSED, variant)


@pytest.mark.parametrize("variant", ["default_healthy", "default_refused", "tuned_refused"])
def test_supabase_refused(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    bench_stack: StackState,
    toxics: Toxiproxy,
    profile: Profile,
    variant: str,
) -> None:
    """One GET of one source: supabase-py as `create_client` sets it up vs as the reference sets it up."""
    fault(toxics, "refused")
    if variant == "default_healthy":
        label, op, rounds, warmup = (
            Label(SUPABASE_REFUSED, variant, role="floor"),
            default_select(bench_stack, "BOLT"),
            profile.rounds,
            1,
        )
    elif variant == "default_refused":
        label = Label(SUPABASE_REFUSED, variant, client=SPEC_FAITHFUL, bound_s=RETRY_BOUND_S)
        op, rounds, warmup = default_select(bench_stack, "PRIMARY"), profile.slow_rounds, 0
    else:
        label = Label(SUPABASE_REFUSED, variant, client="reference")
        op, rounds, warmup = tuned_select(bench_stack, "PRIMARY"), profile.rounds, 0
    try:
        measure(benchmark, runner, label, op.call, rounds=rounds, warmup_rounds=warmup)
    finally:
        runner.run(op.close())


@pytest.mark.parametrize("variant", [FLOOR, "reference_deadline", "reference_adaptive"])
def test_read_primary_slow(
    benchmark: Benchmark,
    runner: asyncio.Runner,
    bench_stack: StackState,
    toxics: Toxiproxy,
    profile: Profile,
    cache_dir: Path,
    variant: str,
) -> None:
    """PRIMARY answers, every chunk +300 ms. A round: a new client loads until a load includes PRIMARY
    (outcome `included@N`, at most 10 loads); the time is of all those loads. The static client
    includes it at once and pays 300+ ms per load; the adaptive one cuts it first, then learns it."""
    toxics.add("PRIMARY.api", latency(SLOW_MS))
    if variant == FLOOR:
        label = Label(READ_SLOW, variant, role="floor")
        op = default_select(bench_stack, "BOLT")
        measure(benchmark, runner, label, op.call, rounds=profile.rounds, warmup_rounds=1)
        runner.run(op.close())
        return
    label = Label(READ_SLOW, variant, client=REFERENCE, bound_s=RETRY_BOUND_S * 2)
    adaptive = AdaptiveCut() if variant in ADAPTIVE_VARIANTS else None
    rounds_of = ReferenceRounds(bench_stack, cache_dir, fresh=True, adaptive=adaptive)
    try:
        measure(
            benchmark,
            runner,
            label,
            lambda: rounds_of.loads_until("PRIMARY", SLOW_LOAD_LIMIT),
            rounds=max(2, profile.slow_rounds),
            setup=rounds_of.setup,
        )
    finally:
        runner.run(rounds_of.aclose())
