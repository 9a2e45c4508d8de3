"""Invariants beyond the checker, client profiles, and the saved counterexample file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fallback.checker import CheckResult
from fallback.engine.expect import evaluate
from fallback.engine.observe import Observation
from fallback.explore.invariants import INVARIANTS, Broken, Limits, judge
from fallback.explore.outcomes import Found, Judged
from fallback.explore.profiles import ProfileError, profile_for
from fallback.explore.save import save
from fallback.history import History, SourceCall
from fallback.scenario import Expect, Fault, Scenario, Step, Workload

SOURCES = ("PRIMARY", "BOLT", "OLD")


def _observed(*loads: dict[str, object]) -> Observation:
    history = History()
    for fields in loads:
        invoke = history.invoke(process=0, client="c", op="load", table="user_challenges", time_s=0.0)
        latency = float(fields.pop("latency_ms", 10.0))  # type: ignore[arg-type]
        kind = str(fields.pop("type", "ok"))
        history.complete(invoke, kind, time_s=latency / 1000, **fields)  # type: ignore[arg-type]
    return Observation(history, {}, (), SOURCES)


def _calls(*failed: str) -> tuple[SourceCall, ...]:
    return tuple(SourceCall(source=s, kind="refused" if s in failed else "ok") for s in SOURCES)


def _names(broken: tuple[Broken, ...]) -> list[str]:
    return [b.invariant for b in broken]


def test_a_load_past_the_clients_deadline_plus_margin_breaks_it() -> None:
    reference = Limits(op_deadline_s=4.0, load_deadline_s=2.5)
    names = ("load_within_deadline",)
    assert not judge(names, _observed({"latency_ms": 3400, "calls": _calls()}), CheckResult(), reference)
    late = judge(names, _observed({"latency_ms": 3600, "calls": _calls()}), CheckResult(), reference)
    assert _names(late) == ["load_within_deadline"] and "3600 ms" in late[0].message
    hung = _observed({"latency_ms": 4000, "type": "fail", "error": "hung"})
    assert _names(judge(names, hung, CheckResult(), Limits(op_deadline_s=4.0))) == ["load_within_deadline"]
    assert not judge(names, _observed({"latency_ms": 3900, "calls": _calls()}), CheckResult(), Limits(4.0))


def test_degraded_must_agree_with_the_per_source_outcomes() -> None:
    names = ("degraded_consistent",)
    limits = Limits(4.0)
    assert not judge(names, _observed({"calls": _calls("BOLT"), "degraded": True}), CheckResult(), limits)
    assert judge(names, _observed({"calls": _calls("BOLT"), "degraded": False}), CheckResult(), limits)
    assert judge(names, _observed({"calls": _calls(), "degraded": True}), CheckResult(), limits)
    stale_too_early = _observed({"calls": _calls("PRIMARY"), "degraded": True, "stale": True})
    assert judge(names, stale_too_early, CheckResult(), limits)


def test_a_load_that_fails_breaks_always_answers() -> None:
    failed = _observed({"type": "fail", "error": "all_failed", "calls": _calls(*SOURCES), "degraded": True})
    assert _names(judge(("load_always_answers",), failed, CheckResult(), Limits(4.0))) == ["load_always_answers"]


def test_profiles() -> None:
    assert profile_for("reference").load_deadline_s == 2.5
    spec = profile_for("spec")
    assert spec.declared == ("load_always_answers",) and spec.load_deadline_s is None
    assert spec.invariants[0] == "no_lost_writes" and spec.invariants[-1] == "load_always_answers"
    declaring = profile_for("tests.explore.test_judging:Declaring")
    assert declaring.declared == ("load_always_answers",) and declaring.load_deadline_s == 3.0
    with pytest.raises(ProfileError, match="unknown invariants"):
        profile_for("tests.explore.test_judging:Wrong")


class Declaring:
    declared_invariants = ("load_always_answers",)
    load_deadline_s = 3.0


class Wrong:
    declared_invariants = ("always_fast",)


def _schedule(faults: int, creates: int) -> Scenario:
    return Scenario(
        name="explore",
        description="",
        client="spec",
        op_deadline=4.0,
        faults=tuple(Fault(target=t, toxic="down") for t in ("PRIMARY.api", "BOLT.api", "OLD.api")[:faults]),
        workload=Workload(steps=(Step(op="create", count=creates), Step(op="load", count=1))),
    )


@pytest.mark.parametrize("invariant", ["no_duplicates", "load_within_deadline", "load_always_answers"])
def test_a_counterexample_file_states_the_broken_invariant(tmp_path: Path, invariant: str) -> None:
    first, best = _schedule(3, 4), _schedule(1, 1)
    found = Found(invariant, first, best, Judged((Broken(invariant, "it broke"),)), example=7)
    limits = Limits(4.0)
    path, loaded = save(found, "spec", limits, seed=1234, runs=3, save_dir=tmp_path / "found")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Found by: fallback-harness explore --client spec --seed 1234\n")
    assert f"# Invariant broken: {invariant}:" in text and "# Confirmed: 3 of 3 runs" in text
    assert "# Size: original 3 faults, 5 operations; shrunk 1 fault, 2 operations" in text
    assert loaded.client == "spec" and loaded.faults == best.faults and loaded.workload == best.workload
    assert loaded.expect == Expect.model_validate(INVARIANTS[invariant].expect(limits))
    again, _ = save(found, "spec", limits, seed=1234, runs=3, save_dir=tmp_path / "found")
    assert again == path  # named by what it breaks and its content: saving twice overwrites


def test_a_saved_latency_counterexample_fails_on_a_single_slow_load() -> None:
    """The replayed `expect` used p99, equal to the slowest load only under nearest rank: with the
    interpolated percentile (fallback.stats) one slow load in ten would pass it. It is now p100."""
    limits = Limits(op_deadline_s=4.0, load_deadline_s=2.5)
    fast = ({"latency_ms": 10.0, "calls": _calls()} for _ in range(9))
    seen = _observed(*fast, {"latency_ms": 3600, "calls": _calls()})
    assert _names(judge(("load_within_deadline",), seen, CheckResult(), limits)) == ["load_within_deadline"]
    expect = Expect.model_validate(INVARIANTS["load_within_deadline"].expect(limits))
    assert [o.passed for o in evaluate(expect, seen, CheckResult())] == [False]
