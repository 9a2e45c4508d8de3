"""Every generated schedule is a valid scenario file: it round-trips through YAML and the loader's
validator, is short, and uses only deterministic (replayable) faults."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from fallback.explore.outcomes import size
from fallback.explore.polish import smaller
from fallback.explore.strategies import MAX_COUNT, MAX_FAULTS, MAX_STEPS, explore_scenarios, scenario_client
from fallback.scenario import Scenario, dump_scenario, load_scenario

ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _round_trip(scenario: Scenario) -> Scenario:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "s.yaml"
        path.write_text(dump_scenario(scenario), encoding="utf-8")
        return load_scenario(path)  # the validator: raises ScenarioError on any problem


@ROUND_TRIP
@given(explore_scenarios(client="spec"))
def test_every_schedule_round_trips_and_validates(scenario: Scenario) -> None:
    loaded = _round_trip(scenario)
    assert loaded.model_copy(update={"file": None}) == scenario


@ROUND_TRIP
@given(explore_scenarios())
def test_schedules_are_short_and_replayable(scenario: Scenario) -> None:
    assert len(scenario.faults) <= MAX_FAULTS
    assert len(scenario.workload.steps) <= MAX_STEPS
    for fault in scenario.faults:
        assert fault.toxicity == 1.0 and "jitter" not in fault.attributes
        assert fault.until is not None or fault.flap is None
    for step in scenario.workload.all_steps():
        assert step.op == "pause" or (step.count is not None and step.count <= MAX_COUNT and step.duration is None)
    assert sum(size(scenario)) <= MAX_FAULTS + MAX_STEPS * 2 * MAX_COUNT  # a short replay
    assert scenario.op_deadline == 4.0 and not scenario.expect.checks()


@settings(max_examples=50, deadline=None)
@given(explore_scenarios())
def test_every_smaller_neighbour_is_valid_and_not_bigger(scenario: Scenario) -> None:
    for neighbour in smaller(scenario):
        assert _round_trip(neighbour).model_copy(update={"file": None}) == neighbour
        assert size(neighbour) <= size(scenario)


def test_a_client_a_scenario_file_cannot_name_falls_back() -> None:
    assert scenario_client("spec") == "spec"
    assert scenario_client("pkg.mod:factory") == "pkg.mod:factory"
    assert scenario_client("cmd:node x.mjs") == "reference"
