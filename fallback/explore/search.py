"""The search: Hypothesis draws schedules, a runner judges them, failures are confirmed and shrunk.

* Replayable: `@seed` makes Hypothesis draw the same schedules for the same seed (saved
  failures in its example database are tried first). Everything random about an example is in
  the drawn scenario; the workload's own choices use a fixed seed, as `run` does.
* Confirmed: a schedule that breaks an invariant is run again; only if every one of
  `confirm_runs` runs breaks the same invariant is it a failure Hypothesis may shrink (so every
  shrunk candidate is confirmed too). One that does not reproduce is recorded as flaky.
* Distinct: each invariant fails with its own exception type, so Hypothesis shrinks each
  separately. Hypothesis stops generating 10 s after its first failure, so the search runs in
  rounds: a round ignores the invariants already found and a new seed derived from the first
  looks for the others, until `examples` schedules were generated or the budget is spent.
* Stratified: before those rounds, each of the `stratified` strategies (`stratified_scenarios`: each pins
  some (fault kind, target) pairs) draws one schedule in a round of its own, seeded from the search's seed
  and its place in the list (and with its own directory in the example database), so that every pair is
  drawn early and each such schedule replays and shrinks as any other (within its pins).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky

from fallback.explore.invariants import ordered
from fallback.explore.outcomes import (
    FlakyFinding,
    Found,
    Judged,
    Runner,
    SearchOptions,
    SearchProgress,
    SearchResult,
    Tally,
    size,
)
from fallback.explore.polish import smaller
from fallback.scenario import Scenario

MAX_ERRORS_IN_A_ROW = 3


class InvariantBroken(Exception):
    """Raised inside the Hypothesis test; one subclass per invariant (see `_failure`)."""


class _Abort(BaseException):
    """Not an `Exception`, so Hypothesis lets it through instead of shrinking it."""


_FAILURES: dict[str, type[InvariantBroken]] = {}


def _failure(invariant: str) -> type[InvariantBroken]:
    if invariant not in _FAILURES:
        _FAILURES[invariant] = type(f"Broken_{invariant}", (InvariantBroken,), {"invariant": invariant})
    return _FAILURES[invariant]


class Search:
    def __init__(
        self,
        runner: Runner,
        strategy: st.SearchStrategy[Scenario],
        options: SearchOptions,
        *,
        progress: Callable[[SearchProgress], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        stratified: Sequence[st.SearchStrategy[Scenario]] = (),
    ) -> None:
        self.runner = runner
        self.strategy = strategy
        self.stratified = tuple(stratified)
        self.options = options
        self.progress = progress
        self.clock = clock
        self.result = SearchResult(seed=options.seed, tallies={name: Tally() for name in options.invariants})
        self._started = 0.0
        self._errors_in_a_row = 0

    def run(self) -> SearchResult:
        self._started = self.clock()
        known: set[str] = set()
        try:
            for index, pinned in enumerate(self.stratified):
                if self.result.generated >= self.options.examples or self._over_budget():
                    break
                known |= self._found_in(self._round(frozenset(known), pinned, f"pinned/{index}"))
            random_rounds = 0
            while self.result.generated < self.options.examples and not self._over_budget():
                random_rounds += 1
                new = self._found_in(self._round(frozenset(known), self.strategy, str(random_rounds)))
                if not new:
                    break
                known |= new
        except KeyboardInterrupt:
            self.result.stopped = "interrupted"
        except _Abort:
            self.result.stopped = "errors"
        self.result.elapsed_s = self.clock() - self._started
        return self.result

    def _found_in(self, new: set[str]) -> set[str]:
        """Polish what a round found; returns it."""
        for name in ordered(tuple(new)):
            self._polish(self.result.found[name])
        return new

    def _over_budget(self) -> bool:
        over = self.options.budget_s is not None and self.clock() - self._started >= self.options.budget_s
        if over:
            self.result.stopped = "budget"
        return over

    def _settings(self, known: frozenset[str], remaining: int, pinned: str | None) -> settings:
        database = None
        if self.options.database is not None:
            # One directory per set of ignored invariants: a round never deletes what another saved.
            # A pinned round's strategy is its own: so is its directory, or its failures would replay as others.
            root = self.options.database if pinned is None else self.options.database / Path(pinned)
            database = DirectoryBasedExampleDatabase(root / ("+".join(sorted(known)) or "all"))
        return settings(
            max_examples=max(1, remaining if pinned is None else 1),
            deadline=None,
            database=database,
            verbosity=Verbosity.quiet,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=True,
            print_blob=False,
        )

    def _round(self, known: frozenset[str], strategy: st.SearchStrategy[Scenario], name: str) -> set[str]:
        """One Hypothesis run of `strategy` ignoring `known`; returns the invariants it found broken.

        `name`: `1`, `2`, ... for the random rounds (the first one seeded with the search's seed itself, as
        before stratification, so a --seed draws what it drew then), `pinned/<i>` for a stratified one (one
        example)."""
        before = set(self.result.found)
        self.result.rounds += 1
        remaining = self.options.examples - self.result.generated
        round_seed: Any = self.options.seed if name == "1" else f"{self.options.seed}/{name}"
        pinned = name if name.startswith("pinned/") else None
        found_in_round: list[bool] = [False]

        def probe(scenario: Scenario) -> None:
            self._probe(scenario, known, found_in_round)

        # Settings outermost: `@seed` alone would switch the example database off.
        test = self._settings(known, remaining, pinned)(seed(round_seed)(given(strategy)(probe)))
        try:
            test()
        except (InvariantBroken, BaseExceptionGroup) as exc:
            if isinstance(exc, Flaky):
                self._hypothesis_flaky(exc)
            elif isinstance(exc, BaseExceptionGroup) and not exc.subgroup(InvariantBroken):
                raise
        return set(self.result.found) - before

    def _probe(self, scenario: Scenario, known: frozenset[str], found_in_round: list[bool]) -> None:
        if (self.result.generated >= self.options.examples and not found_in_round[0]) or self._over_budget():
            return  # out of examples or time: pass without running, so Hypothesis winds down
        result = self.result
        result.examples += 1
        result.generated += 0 if found_in_round[0] else 1
        result.coverage.add(scenario)
        judged = self._run(scenario, "searching" if not found_in_round[0] else "shrinking")
        if judged.error is not None:
            return
        broken = {b.invariant for b in judged.broken}
        for name, tally in result.tallies.items():
            tally.judged += 1
            tally.broken += name in broken
        fresh = ordered(tuple(broken - known))
        if not fresh:
            return
        primary = fresh[0]
        last = self._confirmed(scenario, primary, judged)
        if last is None:
            return
        self._record(primary, scenario, last)
        found_in_round[0] = True
        message = next(b.message for b in last.broken if b.invariant == primary)
        raise _failure(primary)(f"{primary}: {message}")

    def _confirmed(self, scenario: Scenario, invariant: str, first: Judged) -> Judged | None:
        """The last of `confirm_runs` runs if every one broke `invariant`; else None (recorded as flaky)."""
        runs, last = 1, first
        while runs < self.options.confirm_runs:
            last = self._run(scenario, "confirming")
            if last.error is not None or not last.breaks(invariant):
                message = next(b.message for b in first.broken if b.invariant == invariant)
                self.result.flaky.append(FlakyFinding(invariant, scenario, runs, runs + 1, message))
                self._report("searching")
                return None
            runs += 1
        return last

    def _polish(self, found: Found) -> None:
        """Delete what Hypothesis left behind: keep a smaller neighbour while one confirms the failure."""
        improved = True
        while improved and not self._over_budget():
            improved = False
            for candidate in smaller(found.best):
                if self._over_budget():
                    return
                self.result.examples += 1
                judged = self._run(candidate, "shrinking")
                if judged.error is None and judged.breaks(found.invariant):
                    confirmed = self._confirmed(candidate, found.invariant, judged)
                    if confirmed is not None:
                        found.best, found.judged, improved = candidate, confirmed, True
                        break

    def _run(self, scenario: Scenario, phase: str) -> Judged:
        judged = self.runner(scenario)
        self.result.runs += 1
        if judged.error is not None:
            self.result.errors.append(judged.error)
            self._errors_in_a_row += 1
            if self._errors_in_a_row >= MAX_ERRORS_IN_A_ROW:
                raise _Abort(judged.error)
        else:
            self._errors_in_a_row = 0
        self._report(phase)
        return judged

    def _record(self, invariant: str, scenario: Scenario, judged: Judged) -> None:
        found = self.result.found.get(invariant)
        if found is None:
            self.result.found[invariant] = Found(invariant, scenario, scenario, judged, self.result.examples)
        elif size(scenario) <= size(found.best):  # ties: Hypothesis tries simpler candidates later
            found.best, found.judged = scenario, judged

    def _hypothesis_flaky(self, exc: BaseException) -> None:
        """Hypothesis' final replay of a shrunk failure passed. After the budget that is expected
        (the replay was skipped); otherwise the failure did not reproduce: report it as flaky."""
        if self.result.stopped == "budget" or self.result.generated >= self.options.examples:
            return
        group = exc.subgroup(InvariantBroken) if isinstance(exc, BaseExceptionGroup) else None
        for inner in group.exceptions if group else ():
            name = str(getattr(inner, "invariant", "?"))
            found = self.result.found.get(name)
            if found is not None:
                self.result.flaky.append(FlakyFinding(name, found.best, 0, 1, "the final replay passed"))

    def _report(self, phase: str) -> None:
        if self.progress is not None:
            r = self.result
            self.progress(
                SearchProgress(r.examples, r.runs, len(r.found), len(r.flaky), self.clock() - self._started, phase)
            )
