"""Evaluating expectations over time (`fallback.scenario.expect_windows`): checks scoped to a stretch of
the run, and the time a named fault took to fail over from and to recover from.

A window's checks are the run-wide ones (`fallback.engine.expect`) evaluated on the operations *invoked*
in it: the history is cut down to them, so `availability`, `latency_ms` and `error` count those, and
`degraded` and `source_counts` read the last load among them. The times are the drill's own figures
(`fallback.drill.figures.fault_timing`), measured from the fault's planned edges (the engine applies
them on that schedule), to the completion of the first operation that shows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fallback.checker import CheckResult
from fallback.drill.figures import fault_timing
from fallback.engine.observe import Observation
from fallback.history import History
from fallback.report.model import FaultTiming
from fallback.scenario import Fault, FaultWindow
from fallback.scenario.expect_windows import FailsOverWithin, RecoversWithin, WindowExpect

Span = tuple[float, float]
Outcome = tuple[str, str, str, bool]
"""(name, expected, observed, passed), as `CheckOutcome` takes them."""


@dataclass(frozen=True)
class NamedFault:
    fault: Fault
    windows: tuple[Span, ...]
    """Its windows (flaps expanded), an open end as infinity."""

    @property
    def start_s(self) -> float:
        return self.windows[0][0]

    @property
    def end_s(self) -> float | None:
        end = self.windows[-1][1]
        return None if math.isinf(end) else end


@dataclass(frozen=True)
class Timeline:
    """The named faults of a scenario and where their windows were, in seconds since the workload started."""

    faults: Mapping[str, NamedFault]

    @classmethod
    def of(cls, faults: Sequence[Fault], windows: Sequence[FaultWindow]) -> Timeline:
        named: dict[str, NamedFault] = {}
        for index, fault in enumerate(faults):
            if fault.name is None:
                continue
            spans = tuple(
                (w.start_s, math.inf if w.end_s is None else w.end_s) for w in windows if w.fault_index == index
            )
            if spans:
                named[fault.name] = NamedFault(fault, tuple(sorted(spans)))
        return cls(named)

    def spans(self, window: WindowExpect) -> tuple[Span, ...]:
        if window.between is not None:
            return (window.between,)
        if window.during is not None:
            return self.named(window.during).windows
        after = self.named(str(window.after)).windows[-1][1]
        return ((after, math.inf),)

    def named(self, name: str) -> NamedFault:
        if name not in self.faults:  # the loader checks references: only a scenario built in code gets here
            raise ValueError(f"no fault is named {name!r}")
        return self.faults[name]


def scoped(seen: Observation, spans: Sequence[Span]) -> Observation:
    """`seen` with only the operations invoked in `spans` (their invoke, completion and resolutions)."""
    kept = [op for op in seen.history.operations() if any(start <= op.invoke.time_s < end for start, end in spans)]
    events = sorted((e for op in kept for e in op.events), key=lambda e: e.index)
    return Observation(History(events), seen.final, seen.logs, seen.sources)


Evaluators = Mapping[str, Callable[[Any, Observation, CheckResult], Sequence[Any]]]


def window_outcomes(
    windows: Sequence[WindowExpect], seen: Observation, checked: CheckResult, timeline: Timeline, run_wide: Evaluators
) -> list[Outcome]:
    """Each window's checks, by the run-wide evaluators on the operations invoked in it."""
    results: list[Outcome] = []
    for window in windows:
        part = scoped(seen, timeline.spans(window))
        for name, value in window.checks().items():
            for o in run_wide[name](value, part, checked):
                results.append((f"{o.name} ({window.scope()})", o.expected, o.observed, o.passed))
    return results


def _completions(seen: Observation) -> list[Any]:
    return sorted(seen.completions, key=lambda e: e.time_s)


def _timing(named: NamedFault, target: str) -> FaultTiming:
    window = FaultTiming(
        target=target, toxic=named.fault.toxic, start_s=named.start_s, end_s=named.end_s, origin="timeline"
    )
    return window


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.3f} s"


def recovers_outcomes(items: Sequence[RecoversWithin], seen: Observation, timeline: Timeline) -> list[Outcome]:
    results: list[Outcome] = []
    for item in items:
        named = timeline.named(item.after)
        timing = fault_timing(_completions(seen), _timing(named, item.source))
        took = timing.time_to_recover_s
        label = f"recovers_within: {item.source} after {item.after}"
        end = f"{named.end_s:g}s" if named.end_s is not None else "the end"
        observed = (
            f"{_ms(took)} after {item.after} ended at {end}"
            if took is not None
            else f"never: no call to {item.source} succeeded after {item.after} ended at {end}"
        )
        results.append((label, f"<= {_ms(item.max)}", observed, took is not None and took <= item.max))
    return results


def fails_over_outcomes(items: Sequence[FailsOverWithin], seen: Observation, timeline: Timeline) -> list[Outcome]:
    results: list[Outcome] = []
    for item in items:
        named = timeline.named(item.after)
        source = named.fault.source
        timing = fault_timing(_completions(seen), _timing(named, named.fault.target))
        took = timing.time_to_fail_over_s
        label = f"fails_over_within: {item.after}"
        begun = f"{item.after} began at {named.start_s:g}s"
        observed = (
            f"{_ms(took)} after {begun} (first operation served without {source})"
            if took is not None
            else f"never: no operation was served without {source} after {begun}"
        )
        results.append((label, f"<= {_ms(item.max)}", observed, took is not None and took <= item.max))
    return results
