"""Expectation evaluation on hand-built histories: each check can pass and can fail."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fallback.checker import CheckResult, check
from fallback.engine.expect import evaluate
from fallback.engine.observe import Observation
from fallback.history import History, SourceCall, op_marker
from fallback.scenario import Expect

SOURCES = ("PRIMARY", "BOLT", "OLD")


def _history() -> History:
    history = History()
    load = history.invoke(process=0, client="reference", op="load", table="user_challenges", time_s=0.0)
    history.complete(
        load,
        "ok",
        time_s=0.05,
        degraded=True,
        stale=False,
        calls=(
            SourceCall(source="PRIMARY", kind="refused"),
            SourceCall(source="BOLT", kind="ok"),
            SourceCall(source="OLD", kind="ok"),
        ),
        rows_by_source={"BOLT": ("b1", "b2"), "OLD": ("o1",)},
    )
    for op_id, source in ((2, "BOLT"), (3, None)):
        create = history.invoke(
            process=1, client="reference", op="create", table="user_challenges", time_s=0.1, marker=op_marker(op_id)
        )
        if source:
            history.complete(create, "ok", time_s=0.2, source=source, row_id=f"row-{op_id}")
        else:
            history.complete(create, "fail", time_s=1.1, error="all_failed")
    return history


def _final() -> dict[str, dict[str, list[dict[str, object]]]]:
    return {
        "PRIMARY": {"user_challenges": []},
        "BOLT": {"user_challenges": [{"id": "b1"}, {"id": "b2"}, {"id": "row-2", "email": op_marker(2)}]},
        "OLD": {"user_challenges": [{"id": "o1"}]},
    }


def _outcomes(expect: Expect, history: History | None = None) -> dict[str, tuple[bool, str]]:
    history = history or _history()
    final = _final()
    seen = Observation(history, final, ("⚠ PRIMARY Database unavailable: refused",), SOURCES)
    checked = check(history, final, {"BOLT": {"user_challenges": ["b1", "b2"]}, "OLD": {"user_challenges": ["o1"]}})
    return {o.name: (o.passed, o.observed) for o in evaluate(expect, seen, checked)}


def test_last_load_checks_pass_and_fail() -> None:
    good = _outcomes(Expect(merged_count=3, source_counts={"PRIMARY": 0, "BOLT": 2}, degraded=True, stale=False))
    assert all(passed for passed, _ in good.values()), good
    bad = _outcomes(Expect(merged_count=85, source_counts={"PRIMARY": 45}, degraded=False, stale=True))
    assert not any(passed for passed, _ in bad.values()), bad
    assert bad["merged_count"][1] == "3"


def test_writes_landed_in_needs_an_acknowledged_write() -> None:
    assert _outcomes(Expect(writes_landed_in=("BOLT",)))["writes_landed_in"][0] is True
    assert _outcomes(Expect(writes_landed_in=("PRIMARY",)))["writes_landed_in"][0] is False
    empty = History()
    load = empty.invoke(process=0, client="reference", op="load", table="user_challenges", time_s=0.0)
    empty.complete(load, "ok", time_s=0.01)
    passed, observed = _outcomes(Expect(writes_landed_in=("BOLT",)), empty)["writes_landed_in"]
    assert not passed and observed == "no acknowledged create"


def test_error_latency_availability_and_logs() -> None:
    outcomes = _outcomes(
        Expect.model_validate(
            {
                "error": {"op": "create", "kind": "all_failed"},
                "latency_ms": {"op": "create", "p50": {"max": 600}, "p99": {"max": 600}},
                "availability": [{"op": "create", "min": 0.5}, {"op": "load", "min": 1.0}],
                "log_contains": ["PRIMARY Database unavailable", "never logged"],
            }
        )
    )
    assert outcomes["error: create"][0] is True
    # 100 ms and 1000 ms: p50 is their median (fallback.stats), p99 interpolates towards the slower one
    assert outcomes["latency_ms: create p50"] == (True, "550 ms (n=2)")
    assert outcomes["latency_ms: create p99"] == (False, "991 ms (n=2)")
    assert outcomes["availability: create"] == (True, "50.00% (1/2)")
    assert outcomes["availability: load"][0] is True
    assert outcomes["log_contains: PRIMARY Database unavailable"][0] is True
    assert outcomes["log_contains: never logged"] == (False, "not logged")


def test_checker_expectations_follow_the_checker() -> None:
    outcomes = _outcomes(Expect(no_lost_writes=True, no_duplicates=True))
    assert outcomes["no_lost_writes"][0] and outcomes["no_duplicates"][0]
    history = _history()
    final = _final()
    final["PRIMARY"]["user_challenges"].append({"id": "other", "email": op_marker(2)})  # the write landed twice
    seen = Observation(history, final, (), SOURCES)
    checked = check(history, final, None)
    [outcome] = evaluate(Expect(no_duplicates=True), seen, checked)
    assert not outcome.passed and "2 rows" in outcome.observed
    [inverse] = evaluate(Expect(no_duplicates=False), seen, checked)
    assert inverse.passed  # a scenario may expect the spec-faithful client to duplicate


def test_a_hung_last_load_fails_load_checks() -> None:
    history = History()
    load = history.invoke(process=0, client="spec", op="load", table="user_challenges", time_s=0.0)
    history.complete(load, "fail", time_s=10.0, error="hung")
    passed, observed = _outcomes(Expect(merged_count=0), history)["merged_count"]
    assert not passed and "did not answer" in observed


def _failed_creates(*errors: dict[str, object]) -> History:
    history = History()
    for n, fields in enumerate(errors):
        create = history.invoke(process=0, client="c", op="create", table="user_challenges", time_s=n)
        history.complete(create, "fail", time_s=n + 0.1, **fields)  # type: ignore[arg-type]
    return history


def test_error_kinds_match_on_kind_status_and_code_not_on_prefixes() -> None:
    """The PostgREST code is its own field, not glued to the kind: `http_503` matches any 503,
    `http_503:PGRST001` that code only, `http` any status."""
    history = _failed_creates({"error": "http", "error_status": 503, "error_code": "PGRST001"})
    seen, checked = Observation(history, _final(), (), SOURCES), check(history, _final(), None)
    matching = ("http_503", "http_503:PGRST001", "http")
    for kind in (*matching, "http_503:PGRST002", "http_500", "timeout"):
        [outcome] = evaluate(Expect.model_validate({"error": {"op": "create", "kind": kind}}), seen, checked)
        passes = kind in matching
        assert outcome.passed is passes, kind
        assert outcome.observed == "http_503:PGRST001"


def test_an_unknown_error_kind_is_rejected_when_the_file_is_loaded() -> None:
    with pytest.raises(ValidationError, match="unknown error kind 'http_5O3'"):
        Expect.model_validate({"error": {"op": "create", "kind": "http_5O3"}})
    with pytest.raises(ValidationError, match="unknown error kind 'refused_503'"):
        Expect.model_validate({"error": {"op": "create", "kind": "refused_503"}})


def test_p100_is_the_slowest_operation() -> None:
    history = History()
    for n, ms in enumerate([10.0] * 9 + [900.0]):
        load = history.invoke(process=0, client="c", op="load", table="user_challenges", time_s=n)
        history.complete(load, "ok", time_s=n + ms / 1000)
    expect = Expect.model_validate({"latency_ms": {"op": "load", "p99": {"max": 890}, "p100": {"max": 890}}})
    outcomes = {o.name: o.passed for o in evaluate(expect, Observation(history, _final(), (), SOURCES), CheckResult())}
    assert outcomes == {"latency_ms: load p99": True, "latency_ms: load p100": False}
