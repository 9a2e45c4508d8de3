"""Labels stored in pytest-benchmark's extra_info, profiles, and the bounded timing helper."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from fallback.bench.labels import BOUNDED, Label, Profile, stack_location
from fallback.bench.measure import bounded, describe, measure
from fallback.client.results import Attempt, LoadResult, WriteResult


def test_label_round_trips_through_extra_info() -> None:
    label = Label("read", "reference", client="reference", latency_ms=20, bound_s=5.0)
    info = label.extra_info()
    assert "rows" not in info and info["latency_ms"] == 20
    assert Label.from_extra_info({**info, "outcomes": {"ok": 1}}) == label
    assert label.group == "read @20ms"
    assert Label("merge", "dedup", rows=1000).group == "merge 1000rows"


@pytest.mark.parametrize(("value", "quick"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_profile_from_env(monkeypatch: pytest.MonkeyPatch, value: str, quick: bool) -> None:
    monkeypatch.setenv("FALLBACK_BENCH_QUICK", value)
    assert Profile.from_env().quick is quick


def test_quick_profile_is_smaller_than_full() -> None:
    quick, full = Profile.for_mode(True), Profile.for_mode(False)
    assert quick.rounds < full.rounds and quick.bound_s < full.bound_s and quick.slow_rounds <= full.slow_rounds


def test_stack_location_defaults_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FALLBACK_BENCH_STATE_DIR", raising=False)
    monkeypatch.delenv("FALLBACK_BENCH_BASE_PORT", raising=False)
    assert stack_location()[1] == 25800 and str(stack_location()[0]) == ".stack-bench"
    monkeypatch.setenv("FALLBACK_BENCH_BASE_PORT", "26000")
    monkeypatch.setenv("FALLBACK_BENCH_STATE_DIR", "/tmp/x")
    assert stack_location() == (stack_location()[0], 26000) and str(stack_location()[0]) == "/tmp/x"


def test_describe_names_outcomes() -> None:
    ok = Attempt("PRIMARY", "select", "ok", 1.0)
    bad = Attempt("BOLT", "select", "refused", 1.0)
    assert describe(LoadResult("t", (), (ok, bad), 1.0)) == "ok:PRIMARY"
    assert describe(WriteResult("t", "1", "BOLT", "ok", (), 1.0)) == "ok:BOLT"
    assert describe((bad, [])) == "refused"
    assert describe("ConnectError") == "ConnectError"
    assert describe(None) == "ok"


def test_bounded_cuts_a_slow_call_and_keeps_a_fast_one() -> None:
    async def slow() -> str:
        await asyncio.sleep(10)
        return "late"

    async def fast() -> str:
        return "early"

    assert asyncio.run(bounded(slow, 0.01)) == BOUNDED
    assert asyncio.run(bounded(fast, 1.0)) == "early"
    assert asyncio.run(bounded(fast, None)) == "early"


def test_bounded_does_not_hide_a_timeout_raised_inside_the_call() -> None:
    async def raises() -> str:
        raise TimeoutError("from inside")

    with pytest.raises(TimeoutError):
        asyncio.run(bounded(raises, 5.0))


class FakeBenchmark:
    """Runs pedantic's setup and target the way pytest-benchmark does, without timing."""

    def __init__(self) -> None:
        self.group: str | None = None
        self.extra_info: dict[str, Any] = {}
        self.setups = 0

    def pedantic(
        self,
        target: Callable[[], None],
        *,
        setup: Callable[[], None] | None = None,
        rounds: int = 1,
        warmup_rounds: int = 0,
        iterations: int = 1,
    ) -> None:
        for _ in range(warmup_rounds + rounds):
            if setup is not None:
                setup()
                self.setups += 1
            target()


def test_measure_labels_the_benchmark_and_counts_outcomes_after_warmup() -> None:
    calls: list[int] = []

    async def op() -> str:
        calls.append(1)
        return "ok" if len(calls) > 1 else "warmup-only"

    async def setup() -> None:
        return None

    bench = FakeBenchmark()
    with asyncio.Runner() as runner:
        counted = measure(bench, runner, Label("read", "x", latency_ms=0), op, rounds=3, warmup_rounds=1, setup=setup)
    assert counted == {"ok": 3}
    assert bench.group == "read @0ms" and bench.setups == 4
    assert bench.extra_info["outcomes"] == {"ok": 3} and bench.extra_info["hit_bound"] is False
    assert bench.extra_info["variant"] == "x"
