"""One exploration on a running stack: search, save every counterexample, replay each saved file
as `run` would, and build the run record (`RunRecord.explore` plus one scenario per counterexample)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fallback.engine.steps import StepTimes
from fallback.explore.invariants import INVARIANTS, Limits
from fallback.explore.options import ExploreOptions
from fallback.explore.outcomes import FlakyFinding, SearchOptions, SearchProgress, SearchResult, size
from fallback.explore.profiles import ClientProfile, profile_for
from fallback.explore.runner import StackRunner
from fallback.explore.save import save
from fallback.explore.search import Search
from fallback.explore.strategies import explore_scenarios, scenario_client, stratified_scenarios
from fallback.report import (
    ClientRun,
    Counterexample,
    CoverageRow,
    ExploreSummary,
    FlakyViolation,
    InvariantSummary,
    RunRecord,
    ScenarioRun,
    git_commit,
    machine_info,
    new_run_id,
)
from fallback.scenario import Scenario, dump_scenario
from fallback.stack.state import StackState


@dataclass
class Saved:
    invariant: str
    path: Path
    scenario: Scenario
    replay: ClientRun | None = None


@dataclass
class Exploration:
    options: ExploreOptions
    seed: int
    profile: ClientProfile
    result: SearchResult
    saved: list[Saved] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """Runs refused for writing on read-only external projects."""
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    times: list[StepTimes] = field(default_factory=list)
    """Seconds per step of every run (`explore --profile-steps`)."""

    @property
    def violated(self) -> bool:
        return bool(self.result.found or self.result.flaky)

    @property
    def failed(self) -> bool:
        """Not a clean exploration: a violation, runs that kept breaking, or runs refused."""
        return self.violated or self.result.stopped == "errors" or bool(self.refused)


def _database(options: ExploreOptions) -> Path | None:
    if options.database is None:
        return None
    slug = "".join(c if c.isalnum() else "_" for c in options.client)[:40]
    return options.database / slug


def explore(
    state: StackState, options: ExploreOptions, seed: int, progress: Callable[[SearchProgress], None] | None = None
) -> Exploration:
    """Search on `state`'s stack (started once by the caller); Ctrl-C ends the search, not this call."""
    profile = profile_for(options.client)
    started = datetime.now(UTC)
    client = scenario_client(options.client)
    strategy = explore_scenarios(client, options.op_deadline_s)
    stratified = stratified_scenarios(client, options.op_deadline_s)  # every (kind, target) pair first
    search_options = SearchOptions(
        invariants=profile.invariants,
        examples=options.examples,
        budget_s=options.budget_s,
        seed=seed,
        confirm_runs=options.confirm_runs,
        database=_database(options),
    )
    with StackRunner(state, options.client, profile) as runner:
        result = Search(runner, strategy, search_options, progress=progress, stratified=stratified).run()
        done = Exploration(options, seed, profile, result, started_at=started)
        limits = Limits(options.op_deadline_s, profile.load_deadline_s)
        for found in result.found.values():
            path, scenario = save(found, options.client, limits, seed, options.confirm_runs, options.save_dir)
            done.saved.append(Saved(found.invariant, path, scenario))
        try:
            for saved in done.saved if result.stopped != "interrupted" else ():
                saved.replay = runner.replay(saved.scenario)  # exactly what `fallback-harness run FILE` does
                result.runs += 1
                if saved.replay.verdict != "fail":  # timing-dependent after all: say so
                    runs, verdict = options.confirm_runs, saved.replay.verdict
                    message = f"the saved file's replay ended `{verdict}`"
                    result.flaky.append(FlakyFinding(saved.invariant, saved.scenario, runs, runs + 1, message))
        except KeyboardInterrupt:
            result.stopped = "interrupted"
        finally:
            done.refused = list(runner.refused)
            done.times = list(runner.times)
    return done


def summary(done: Exploration) -> ExploreSummary:
    r, profile = done.result, done.profile
    found, flaky = r.found, r.flaky
    invariants = tuple(
        InvariantSummary(
            name=name,
            description=INVARIANTS[name].description,
            claim=INVARIANTS[name].claim,
            declared=name in profile.declared,
            judged=r.tallies[name].judged,
            broken=r.tallies[name].broken,
            counterexample=name in found,
            flaky=sum(f.invariant == name for f in flaky),
        )
        for name in profile.invariants
    )
    counterexamples = []
    for saved in done.saved:
        f = found[saved.invariant]
        (of, oo), (sf, so) = size(f.first), size(f.best)
        message = next((b.message for b in f.judged.broken if b.invariant == f.invariant), "")
        counterexamples.append(
            Counterexample(
                invariant=f.invariant,
                message=message,
                file=str(saved.path),
                scenario_yaml=saved.path.read_text("utf-8"),
                found_at_example=f.example,
                original_faults=of,
                original_operations=oo,
                shrunk_faults=sf,
                shrunk_operations=so,
                confirmed_runs=done.options.confirm_runs,
                replay_verdict=saved.replay.verdict if saved.replay else None,
            )
        )
    return ExploreSummary(
        client=done.options.client,
        seed=done.seed,
        examples_requested=done.options.examples,
        examples=r.examples,
        generated=r.generated,
        runs=r.runs,
        rounds=r.rounds,
        duration_s=r.elapsed_s,
        examples_per_s=r.examples_per_s,
        budget_s=done.options.budget_s,
        stopped=r.stopped,
        invariants=invariants,
        coverage=tuple(CoverageRow(fault=row, links=links) for row, links in r.coverage.table().items()),
        counterexamples=tuple(counterexamples),
        flaky=tuple(
            FlakyViolation(
                invariant=f.invariant,
                message=f.message,
                failed_runs=f.failed_runs,
                runs=f.runs,
                scenario_yaml=dump_scenario(f.scenario),
            )
            for f in flaky
        ),
        errors=tuple(r.errors[:10]),
        refused=len(done.refused),
        refusal=done.refused[0] if done.refused else None,
    )


def record(done: Exploration) -> RunRecord:
    """The run record: the summary, and each counterexample's replay as a scenario (JUnit, HTML)."""
    scenarios = tuple(
        ScenarioRun(
            name=s.scenario.name,
            file=str(s.path),
            description=s.scenario.description,
            clients=(s.replay,) if s.replay else (),
        )
        for s in done.saved
    )
    return RunRecord(
        run_id=new_run_id(done.started_at),
        started_at=done.started_at,
        finished_at=datetime.now(UTC),
        git_commit=git_commit(),
        machine=machine_info(),
        scenarios=scenarios,
        explore=summary(done),
    )
