"""The search without a stack: a planted bug shrinks to one fault and one operation; a violation
that does not reproduce is reported as flaky, not dropped; the same seed gives the same search."""

from __future__ import annotations

import itertools

from fallback.explore.invariants import BASE, Broken
from fallback.explore.outcomes import Judged, SearchOptions, size
from fallback.explore.search import Search
from fallback.explore.strategies import explore_scenarios
from fallback.scenario import Scenario

from .planted import CUTTING, planted_runner


def test_a_planted_lost_write_shrinks_to_one_fault_and_one_create() -> None:
    search = Search(
        planted_runner,
        explore_scenarios(paced=False),
        SearchOptions(invariants=BASE, examples=150, budget_s=120, seed=7),
    )
    result = search.run()
    assert set(result.found) == {"no_lost_writes"}, result.flaky
    best = result.found["no_lost_writes"].best
    assert size(best) == (1, 1)
    (fault,) = best.faults
    assert fault.source == "BOLT" and fault.toxic in CUTTING and fault.at == 0 and fault.until is None
    (step,) = best.workload.all_steps()
    assert step.op == "create" and step.count == 1
    assert not result.flaky
    assert result.runs >= result.examples + 2  # the failure (and every shrunk candidate) was confirmed
    assert result.stopped == "examples"


def test_a_violation_that_does_not_reproduce_is_flaky_not_found() -> None:
    calls = itertools.count()

    def sometimes(scenario: Scenario) -> Judged:
        # The first run of every example breaks no_duplicates, its confirmations do not.
        n = next(calls)
        return Judged((Broken("no_duplicates", "row twice"),) if n % 2 == 0 else ())

    result = Search(
        sometimes, explore_scenarios(paced=False), SearchOptions(invariants=BASE, examples=5, budget_s=60, seed=1)
    ).run()
    assert not result.found
    assert len(result.flaky) == 5
    assert {(f.invariant, f.failed_runs, f.runs) for f in result.flaky} == {("no_duplicates", 1, 2)}
    assert result.tallies["no_duplicates"].broken == 5


def test_the_same_seed_draws_the_same_schedules() -> None:
    def drawn(seed: int) -> list[Scenario]:
        seen: list[Scenario] = []

        def record(scenario: Scenario) -> Judged:
            seen.append(scenario)
            return Judged()

        Search(record, explore_scenarios(), SearchOptions(invariants=BASE, examples=8, seed=seed)).run()
        return seen

    assert drawn(11) == drawn(11)
    assert drawn(11) != drawn(12)


def test_runs_that_keep_breaking_stop_the_search() -> None:
    result = Search(
        lambda s: Judged(error="stack gone"), explore_scenarios(), SearchOptions(invariants=BASE, examples=20, seed=1)
    ).run()
    assert result.stopped == "errors"
    assert result.runs == 3


def test_the_budget_stops_the_search() -> None:
    ticks = itertools.count()
    result = Search(
        lambda s: Judged(),
        explore_scenarios(),
        SearchOptions(invariants=BASE, examples=50, seed=1, budget_s=5),
        clock=lambda: float(next(ticks)),
    ).run()
    assert result.stopped == "budget"
    assert result.examples < 50
