"""Evaluating a scenario's `expect` against an observation: one result per check, each with
what was expected and what was observed, so a report can show both. Checks over time (`windows`,
`recovers_within`, `fails_over_within`) need the scenario's named faults: `fallback.engine.expect_windows`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fallback.checker import EXPECTATION_KINDS, CheckResult
from fallback.engine.expect_windows import Timeline, fails_over_outcomes, recovers_outcomes, window_outcomes
from fallback.engine.observe import Observation, counts_of
from fallback.scenario import Expect
from fallback.stats import percentile


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    expected: str
    observed: str
    passed: bool


NO_FAULTS = Timeline({})


def evaluate(
    expect: Expect, seen: Observation, checked: CheckResult, timeline: Timeline = NO_FAULTS
) -> list[CheckOutcome]:
    """Every check `expect` gives; `timeline`: where the scenario's named faults were (`Timeline.of`)."""
    results: list[CheckOutcome] = []
    for name, value in expect.checks().items():
        if name == "windows":
            results += [CheckOutcome(*o) for o in window_outcomes(value, seen, checked, timeline, _EVALUATORS)]
        elif name == "recovers_within":
            results += [CheckOutcome(*o) for o in recovers_outcomes(value, seen, timeline)]
        elif name == "fails_over_within":
            results += [CheckOutcome(*o) for o in fails_over_outcomes(value, seen, timeline)]
        else:
            results.extend(_EVALUATORS[name](value, seen, checked))
    return results


def _last_load(name: str, expected: Any, observe: Callable[[Any], Any], seen: Observation) -> list[CheckOutcome]:
    load = seen.last_load()
    if load is None:
        return [CheckOutcome(name, _show(expected), "no load completed", False)]
    if load.error == "hung":
        return [CheckOutcome(name, _show(expected), "the last load did not answer within the deadline", False)]
    observed = observe(load)
    return [CheckOutcome(name, _show(expected), _show(observed), observed == expected)]


def _merged_count(expected: int, seen: Observation, _: CheckResult) -> list[CheckOutcome]:
    return _last_load("merged_count", expected, lambda e: sum(counts_of(e).values()), seen)


def _source_counts(expected: dict[str, int], seen: Observation, _: CheckResult) -> list[CheckOutcome]:
    return _last_load("source_counts", dict(expected), lambda e: {s: counts_of(e).get(s, 0) for s in expected}, seen)


def _degraded(expected: bool, seen: Observation, _: CheckResult) -> list[CheckOutcome]:
    return _last_load("degraded", expected, lambda e: bool(e.degraded), seen)


def _stale(expected: bool, seen: Observation, _: CheckResult) -> list[CheckOutcome]:
    return _last_load("stale", expected, lambda e: bool(e.stale), seen)


def _log_contains(expected: tuple[str, ...], seen: Observation, _: CheckResult) -> list[CheckOutcome]:
    outcomes = []
    for text in expected:
        hit = next((line for line in seen.logs if text in line), None)
        outcomes.append(CheckOutcome(f"log_contains: {text}", repr(text), hit or "not logged", hit is not None))
    return outcomes


def _writes_landed_in(expected: tuple[str, ...], seen: Observation, _: CheckResult) -> list[CheckOutcome]:
    acked = [e for e in seen.of_op("create") if e.type == "ok"]
    landed: dict[str, int] = {}
    for event in acked:
        landed[str(event.source)] = landed.get(str(event.source), 0) + 1
    passed = bool(acked) and set(landed) <= set(expected)
    observed = _show(landed) if acked else "no acknowledged create"
    return [CheckOutcome("writes_landed_in", " or ".join(expected), observed, passed)]


def _checker(name: str) -> Callable[[bool, Observation, CheckResult], list[CheckOutcome]]:
    def evaluate_one(expected: bool, seen: Observation, checked: CheckResult) -> list[CheckOutcome]:
        holds = checked.passes(name)
        violations = checked.of_kind(*EXPECTATION_KINDS[name])
        observed = (
            "holds"
            if holds
            else "; ".join(v.message for v in violations[:3])
            + (f" (+{len(violations) - 3} more)" if len(violations) > 3 else "")
        )
        return [CheckOutcome(name, "holds" if expected else "violated", observed, holds == expected)]

    return evaluate_one


def _error(expected: tuple[Any, ...], seen: Observation, _: CheckResult) -> list[CheckOutcome]:
    outcomes = []
    for item in expected:
        failed = [e for e in seen.of_op(item.op) if e.type != "ok" and e.error]
        hit = next((e.error_label for e in failed if item.matches(e.error, e.error_status, e.error_code)), None)
        errors = sorted({str(e.error_label) for e in failed})
        observed = hit or (", ".join(errors) if errors else f"no {item.op} failed")
        outcomes.append(CheckOutcome(f"error: {item.op}", item.kind, observed, hit is not None))
    return outcomes


def _latency(expected: tuple[Any, ...], seen: Observation, _: CheckResult) -> list[CheckOutcome]:
    outcomes = []
    for item in expected:
        latencies = [e.latency_ms or 0.0 for e in seen.of_op(item.op)]
        for name, bound in item.bounds().items():
            label = f"latency_ms: {item.op} {name}"
            if not latencies:
                outcomes.append(CheckOutcome(label, f"<= {bound:g} ms", f"no {item.op} completed", False))
                continue
            value = percentile(latencies, int(name[1:]))
            outcomes.append(
                CheckOutcome(label, f"<= {bound:g} ms", f"{value:.0f} ms (n={len(latencies)})", value <= bound)
            )
    return outcomes


def _availability(expected: tuple[Any, ...], seen: Observation, _: CheckResult) -> list[CheckOutcome]:
    outcomes = []
    for item in expected:
        done = seen.of_op(item.op)
        label = f"availability: {item.op}"
        if not done:
            outcomes.append(CheckOutcome(label, f">= {item.min:.2%}", f"no {item.op} completed", False))
            continue
        ok = sum(e.type == "ok" for e in done)
        outcomes.append(
            CheckOutcome(
                label, f">= {item.min:.2%}", f"{ok / len(done):.2%} ({ok}/{len(done)})", ok / len(done) >= item.min
            )
        )
    return outcomes


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value).lower() if isinstance(value, bool) else str(value)


_EVALUATORS: dict[str, Callable[[Any, Observation, CheckResult], list[CheckOutcome]]] = {
    "merged_count": _merged_count,
    "source_counts": _source_counts,
    "degraded": _degraded,
    "stale": _stale,
    "log_contains": _log_contains,
    "writes_landed_in": _writes_landed_in,
    "no_lost_writes": _checker("no_lost_writes"),
    "no_duplicates": _checker("no_duplicates"),
    "no_misrouted_updates": _checker("no_misrouted_updates"),
    "error": _error,
    "latency_ms": _latency,
    "availability": _availability,
}
