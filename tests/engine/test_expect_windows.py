"""Expectations over time on a hand-built history: PRIMARY is down from 1 s to 3 s; each scoped check
sees only the operations invoked in its window, and the failover and recovery times are the drill's."""

from __future__ import annotations

from fallback.checker import CheckResult
from fallback.drill.figures import fault_timing
from fallback.engine.expect import evaluate
from fallback.engine.expect_windows import Timeline
from fallback.engine.observe import Observation
from fallback.history import History, SourceCall
from fallback.report.model import FaultTiming
from fallback.scenario import Scenario

SOURCES = ("PRIMARY", "BOLT", "OLD")
FAULTS = [{"name": "outage", "at": "1s", "until": "3s", "target": "PRIMARY.api", "toxic": "down"}]


def _load(history: History, at: float, took: float, primary: str, outcome: str = "ok") -> None:
    invoke = history.invoke(process=0, client="reference", op="load", table="user_challenges", time_s=at)
    calls = (SourceCall(source="PRIMARY", kind=primary), SourceCall(source="BOLT", kind="ok"))  # type: ignore[arg-type]
    rows = {"BOLT": ("b1",), **({"PRIMARY": ("p1", "p2")} if primary == "ok" else {})}
    fields = {"degraded": primary != "ok", "rows_by_source": rows} if outcome == "ok" else {"error": "all_failed"}
    history.complete(invoke, outcome, time_s=at + took, calls=calls, **fields)  # type: ignore[arg-type]


def _history(recovered: bool = True) -> History:
    history = History()
    _load(history, 0.5, 0.02, "ok")  # before: PRIMARY answers
    _load(history, 1.2, 0.05, "refused")  # during: served by BOLT without PRIMARY (failover 0.25 s)
    _load(history, 2.0, 0.40, "refused", outcome="fail")  # during: failed
    _load(history, 2.6, 0.01, "breaker_open")  # during: degraded
    _load(history, 3.2, 0.01, "breaker_open")  # after: the breaker still open
    if recovered:
        _load(history, 4.0, 0.05, "ok")  # after: PRIMARY back (recover 4.05 - 3.0)
    return history


def _scenario(expect: dict[str, object]) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "s",
            "description": "",
            "faults": FAULTS,
            "workload": {"steps": [{"op": "load", "table": "user_challenges", "count": 1}]},
            "expect": expect,
        }
    )


def _outcomes(expect: dict[str, object], history: History | None = None) -> dict[str, tuple[bool, str, str]]:
    scenario = _scenario(expect)
    seen = Observation(history or _history(), {}, (), SOURCES)
    timeline = Timeline.of(scenario.faults, scenario.fault_windows())
    outcomes = evaluate(scenario.expect, seen, CheckResult(), timeline)
    return {o.name: (o.passed, o.expected, o.observed) for o in outcomes}


def test_a_window_sees_only_the_operations_invoked_in_it() -> None:
    found = _outcomes(
        {
            "availability": {"op": "load", "min": 0.8},
            "windows": [
                {"during": "outage", "availability": {"op": "load", "min": 0.6}, "degraded": True},
                {"after": "outage", "source_counts": {"PRIMARY": 2, "BOLT": 1}, "degraded": False},
                {"between": ["0s", "1s"], "latency_ms": {"op": "load", "p100": {"max": 30}}},
                {"between": ["1s", "3s"], "latency_ms": {"op": "load", "p100": {"max": 30}}},
            ],
        }
    )
    assert found == {
        "availability: load": (True, ">= 80.00%", "83.33% (5/6)"),
        "availability: load (during outage)": (True, ">= 60.00%", "66.67% (2/3)"),
        "degraded (during outage)": (True, "true", "true"),
        "source_counts (after outage)": (True, "PRIMARY: 2, BOLT: 1", "PRIMARY: 2, BOLT: 1"),
        "degraded (after outage)": (True, "false", "false"),
        "latency_ms: load p100 (between 0s and 1s)": (True, "<= 30 ms", "20 ms (n=1)"),
        "latency_ms: load p100 (between 1s and 3s)": (False, "<= 30 ms", "400 ms (n=3)"),
    }


def test_a_window_fails_when_it_does_not_hold_or_saw_nothing() -> None:
    found = _outcomes(
        {
            "windows": [
                {"during": "outage", "availability": {"op": "load", "min": 1.0}},
                {"between": ["10s", "20s"], "degraded": False},
                {"during": "outage", "error": {"op": "load", "kind": "all_failed"}},
                {"after": "outage", "error": {"op": "load", "kind": "all_failed"}},
            ]
        }
    )
    assert found["availability: load (during outage)"] == (False, ">= 100.00%", "66.67% (2/3)")
    assert found["degraded (between 10s and 20s)"] == (False, "false", "no load completed")
    assert found["error: load (during outage)"][0] is True
    assert found["error: load (after outage)"] == (False, "all_failed", "no load failed")


def test_recovery_and_failover_times_are_the_drills() -> None:
    found = _outcomes(
        {
            "recovers_within": {"source": "PRIMARY", "after": "outage", "max": "2s"},
            "fails_over_within": {"after": "outage", "max": "500ms"},
        }
    )
    tighter = _outcomes({"recovers_within": {"source": "PRIMARY", "after": "outage", "max": "1s"}})
    drill = fault_timing(
        sorted(Observation(_history(), {}, (), SOURCES).completions, key=lambda e: e.time_s),
        FaultTiming(target="PRIMARY.api", toxic="down", start_s=1.0, end_s=3.0, origin="timeline"),
    )
    assert (drill.time_to_recover_s, drill.time_to_fail_over_s) == (1.05, 0.25)
    label = "recovers_within: PRIMARY after outage"
    assert found[label] == (True, "<= 2.000 s", "1.050 s after outage ended at 3s")
    assert tighter[label] == (False, "<= 1.000 s", "1.050 s after outage ended at 3s")
    assert found["fails_over_within: outage"] == (
        True,
        "<= 500 ms",
        "250 ms after outage began at 1s (first operation served without PRIMARY)",
    )


def test_a_source_that_never_comes_back_fails_recovers_within() -> None:
    found = _outcomes({"recovers_within": {"source": "PRIMARY", "after": "outage", "max": "5s"}}, _history(False))
    assert found["recovers_within: PRIMARY after outage"] == (
        False,
        "<= 5.000 s",
        "never: no call to PRIMARY succeeded after outage ended at 3s",
    )


def test_a_flapping_fault_is_the_union_of_its_windows() -> None:
    flap = [{"name": "flaps", "at": "1s", "until": "3s", "target": "PRIMARY.api", "toxic": "down",
             "flap": {"period": "1s", "duty": 0.5}}]  # fmt: skip
    scenario = Scenario.model_validate(
        {
            "name": "s",
            "description": "",
            "faults": flap,
            "workload": {"steps": [{"op": "load", "table": "user_challenges", "count": 1}]},
            "expect": {"windows": [{"during": "flaps", "availability": {"op": "load", "min": 0}}]},
        }
    )
    timeline = Timeline.of(scenario.faults, scenario.fault_windows())
    assert timeline.spans(scenario.expect.windows[0]) == ((1.0, 1.5), (2.0, 2.5))
    seen = Observation(_history(), {}, (), SOURCES)
    [outcome] = evaluate(scenario.expect, seen, CheckResult(), timeline)
    assert outcome.observed == "50.00% (1/2)"  # the loads invoked at 1.2 s and 2.0 s; not the one at 2.6 s
