"""The explorer on the real stack (started once per session by the plugin's fixture).

Profiles (env `FALLBACK_EXPLORE_PROFILE`, default `explore-ci`):

* `explore-ci`: a few reference schedules at a fixed seed (the README's test command stays
  well inside CI's limit), and the spec-faithful client's search at a fixed seed within a
  short budget: it must find a counterexample that `run` replays with the same verdict.
* `explore-long`: the long search: 100 reference schedules with no violation
  (`FALLBACK_EXPLORE_PROFILE=explore-long pytest tests/explore -k long`; about 10 minutes here).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings

from fallback.engine.run import run_client
from fallback.explore.options import ExploreOptions
from fallback.explore.profiles import profile_for
from fallback.explore.runner import StackRunner
from fallback.explore.session import explore, record
from fallback.explore.strategies import explore_scenarios
from fallback.scenario import Scenario, load_scenario
from fallback.stack.state import StackState

pytestmark = pytest.mark.stack
SEED = 20261125
SPEC_SEED = 8  # 7 until the database kinds joined the pool (a larger pool draws other schedules)
"""Its first counterexample is a cheap one (about 20 s here, confirmation and replays included)."""
settings.register_profile(
    "explore-ci", max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "explore-long", max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
PROFILE = os.environ.get("FALLBACK_EXPLORE_PROFILE", "explore-ci")
LONG = pytest.mark.skipif(PROFILE != "explore-long", reason="the long search: FALLBACK_EXPLORE_PROFILE=explore-long")


@pytest.fixture(scope="module")
def reference_runner(stack: StackState) -> Iterator[StackRunner]:
    with StackRunner(stack, "reference", profile_for("reference")) as runner:
        yield runner


@settings.get_profile(PROFILE)
@seed(SEED)
@given(scenario=explore_scenarios("reference"))
def test_the_reference_client_holds_every_invariant(reference_runner: StackRunner, scenario: Scenario) -> None:
    judged = reference_runner(scenario)
    assert judged.error is None, judged.error
    assert not judged.broken, "\n".join(f"{b.invariant}: {b.message}" for b in judged.broken)


def test_the_spec_client_yields_a_counterexample_that_run_replays(stack: StackState, tmp_path: Path) -> None:
    # A short budget keeps CI fast: the first counterexample is confirmed 3/3 and saved, shrinking is cut short
    # (30 s: the stratified first schedules include process faults, slower to play on a loaded machine).
    options = ExploreOptions(
        client="spec", examples=50, budget_s=30, seed=SPEC_SEED, save_dir=tmp_path / "found", database=None
    )
    done = explore(stack, options, SPEC_SEED)
    assert done.result.found, f"no counterexample in {done.result.generated} schedules"
    assert done.result.generated <= 50
    for saved in done.saved:
        text = saved.path.read_text(encoding="utf-8")
        assert f"--seed {SPEC_SEED}" in text and f"# Invariant broken: {saved.invariant}" in text
        # What `fallback-harness run FILE` does: load the file, run the client it names, judge its `expect`.
        scenario = load_scenario(saved.path)
        assert scenario.clients() == ("spec",)
        replayed = asyncio.run(run_client(scenario, "spec", stack))
        assert replayed.verdict == "fail", replayed.expectations
        assert saved.replay is not None and saved.replay.verdict == "fail"
    run = record(done)
    assert run.verdict() == "fail" and run.explore is not None and run.explore.counterexamples


@LONG
def test_long_the_reference_client_passes_100_schedules(stack: StackState, tmp_path: Path) -> None:
    options = ExploreOptions(
        client="reference", examples=100, budget_s=1800, seed=SEED, save_dir=tmp_path, database=None
    )
    done = explore(stack, options, SEED)
    assert done.result.generated == 100, done.result.stopped
    assert not done.result.found and not done.result.flaky, [f.message for f in done.result.flaky]
