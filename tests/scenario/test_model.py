from pathlib import Path

import pytest
from hypothesis import given, settings
from pydantic import ValidationError

from fallback.scenario import Scenario, dump_scenario, load_scenario
from fallback.scenario.strategies import scenarios

FIXTURES = Path(__file__).parent / "fixtures"


def scenario(**fields: object) -> Scenario:
    base: dict[str, object] = {"name": "s", "description": "d", "workload": {"steps": [{"op": "load", "duration": 10}]}}
    return Scenario.model_validate({**base, **fields})


def test_fault_windows_plain_and_flap() -> None:
    s = scenario(
        faults=[
            {"at": "2s", "target": "BOLT.db", "toxic": "down", "flap": {"period": "4s", "duty": 0.25}},
            {"at": 0, "until": "1.5s", "target": "PRIMARY.api", "toxic": "latency", "attributes": {"latency": 100}},
        ]
    )
    windows = s.fault_windows()
    assert [(w.start_s, w.end_s, w.target, w.toxic) for w in windows] == [
        (0.0, 1.5, "PRIMARY.api", "latency"),
        (2.0, 3.0, "BOLT.db", "down"),
        (6.0, 7.0, "BOLT.db", "down"),
    ]
    assert windows[0].name == "f1_latency_downstream" and windows[0].source == "PRIMARY" and windows[0].link == "api"
    assert len(s.fault_windows(duration_s=30)) == 1 + 7
    assert s.fault_windows(duration_s=6.5)[-1].end_s == 6.5


def test_flap_window_is_cut_at_until() -> None:
    s = scenario(
        faults=[{"at": 0, "until": "5s", "target": "OLD.api", "toxic": "down", "flap": {"period": 2, "duty": 0.75}}]
    )
    assert [(w.start_s, w.end_s) for w in s.fault_windows()] == [(0, 1.5), (2, 3.5), (4, 5)]


def test_fault_without_until_is_open_ended() -> None:
    s = scenario(faults=[{"at": "1s", "target": "OLD.db", "toxic": "timeout"}])
    (window,) = s.fault_windows()
    assert window.end_s is None and window.attributes == {}


def test_planned_duration() -> None:
    s = scenario(
        workload={
            "steps": [
                {"op": "create", "count": 20, "rate": "10/s"},
                {"parallel": [{"op": "load", "duration": "3s"}, {"op": "update", "duration": "5s"}]},
                {"op": "pause", "duration": "500ms"},
            ]
        }
    )
    assert s.workload.planned_duration_s() == 2 + 5 + 0.5
    assert [step.op for step in s.workload.all_steps()] == ["create", "load", "update", "pause"]
    parallel = scenario(
        workload={"parallel": True, "steps": [{"op": "load", "duration": 3}, {"op": "load", "duration": 4}]}
    )
    assert parallel.workload.planned_duration_s() == 4
    assert scenario(workload={"steps": [{"op": "load", "count": 3}]}).workload.planned_duration_s() is None


def test_code_built_scenarios_run_the_cross_checks() -> None:
    with pytest.raises(ValidationError, match=r"faults\[1\]: overlaps faults\[0\]"):
        scenario(
            faults=[
                {"target": "OLD.api", "toxic": "down"},
                {"at": "5s", "target": "OLD.api", "toxic": "down"},
            ]
        )


def test_frozen() -> None:
    s = scenario()
    with pytest.raises(ValidationError):
        s.name = "other"


def test_fixtures_round_trip(tmp_path: Path) -> None:
    for path in sorted(FIXTURES.glob("valid_*.yaml")):
        original = load_scenario(path)
        out = tmp_path / path.name
        out.write_text(dump_scenario(original))
        assert load_scenario(out).model_copy(update={"file": None}) == original.model_copy(update={"file": None})


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_dump_round_trips_through_the_loader(tmp_path_factory: pytest.TempPathFactory, drawn: Scenario) -> None:
    path = tmp_path_factory.mktemp("rt") / "s.yaml"
    path.write_text(dump_scenario(drawn), encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.model_copy(update={"file": None}) == drawn
