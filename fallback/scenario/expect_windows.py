"""Expectations over time: checks scoped to a stretch of the run, and the failover and recovery
times of a named fault, measured as `fallback-harness drill` measures them.

    expect:
      windows:
        - during: outage                      # while the fault named `outage` is applied
          availability: {op: load, min: 1.0}
          degraded: true
        - after: outage                       # from its end to the end of the run
          source_counts: {PRIMARY: 45, BOLT: 25, OLD: 15}
        - between: [10s, 20s]                 # seconds since the workload started
          latency_ms: {op: load, p95: {max: 300}}
      recovers_within: {source: PRIMARY, after: outage, max: 5s}
      fails_over_within: {after: outage, max: 500ms}

A window holds `availability`, `latency_ms`, `error` (operations *invoked* in it), `degraded` and
`source_counts` (the last load invoked in it). `during` a flapping fault is the union of its windows,
`after` it starts when its last window ends. `recovers_within` counts from the fault's end to the
completion of the first operation with a successful call to `source`; `fails_over_within` from the
fault's start to the first operation served without the fault's source. Faults are named with
`name:`; `cross_references` checks every name used here against them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field, field_validator, model_validator

from fallback.scenario._types import Duration, Record, Source
from fallback.scenario.expect_items import AvailabilityExpect, ErrorExpect, LatencyExpect
from fallback.scenario.faults import Fault

__all__ = ["FailsOverWithin", "RecoversWithin", "WindowExpect", "cross_references", "one_or_many"]

Loc = tuple[str | int, ...]


def one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


class WindowExpect(Record):
    """Checks scoped to one stretch of the run: exactly one of `during`, `after`, `between`."""

    during: str | None = None
    """A fault's `name`: while it is applied (every window of a flapping fault)."""
    after: str | None = None
    """A fault's `name`: from the end of its last window to the end of the run."""
    between: tuple[Duration, Duration] | None = None
    """`[10s, 20s]`: seconds since the workload started."""
    source_counts: dict[Source, int] | None = None
    degraded: bool | None = None
    error: tuple[ErrorExpect, ...] = ()
    latency_ms: tuple[LatencyExpect, ...] = ()
    availability: tuple[AvailabilityExpect, ...] = ()

    @field_validator("error", "latency_ms", "availability", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return one_or_many(value)

    @field_validator("between")
    @classmethod
    def _ordered(cls, between: tuple[float, float] | None) -> tuple[float, float] | None:
        if between is not None and not 0 <= between[0] < between[1]:
            raise ValueError(f"[start, end] with 0 <= start < end, got [{between[0]:g}s, {between[1]:g}s]")
        return between

    @model_validator(mode="after")
    def _one_scope_and_a_check(self) -> WindowExpect:
        scopes = [s for s in ("during", "after", "between") if getattr(self, s) is not None]
        if len(scopes) != 1:
            given = f" (got {', '.join(scopes)})" if scopes else ""
            raise ValueError(f"give exactly one of during, after, between{given}")
        if not self.checks():
            raise ValueError("give at least one of availability, latency_ms, error, degraded, source_counts")
        return self

    def scope(self) -> str:
        """`during outage`, `after outage`, `between 10s and 20s`: how reports name the window."""
        if self.between is not None:
            return f"between {self.between[0]:g}s and {self.between[1]:g}s"
        return f"during {self.during}" if self.during is not None else f"after {self.after}"

    def checks(self) -> dict[str, Any]:
        scope = ("during", "after", "between")
        return {n: v for n, v in self if n not in scope and v is not None and v != ()}


class RecoversWithin(Record):
    """`{source: PRIMARY, after: outage, max: 5s}`: after the fault ends, a call to `source` succeeds
    within `max` (the drill's time to recover)."""

    source: Source
    after: str
    max: Duration = Field(gt=0)


class FailsOverWithin(Record):
    """`{after: outage, max: 500ms}`: after the fault begins, an operation is served without its source
    within `max` (the drill's time to fail over)."""

    after: str
    max: Duration = Field(gt=0)


def _ends(fault: Fault) -> bool:
    return fault.until is not None


def cross_references(faults: Sequence[Fault], expects: Sequence[tuple[str, Any]]) -> list[tuple[Loc, str]]:
    """Fault names unique; every name the expectations use names a fault, one that ends where an end is
    needed (`after`, `recovers_within`). `expects`: `("expect", Expect)` pairs (`spec_expect` too)."""
    problems: list[tuple[Loc, str]] = []
    named: dict[str, int] = {}
    for index, fault in enumerate(faults):
        if fault.name is None:
            continue
        if fault.name in named:
            problems.append((("faults", index, "name"), f"{fault.name!r} also names faults[{named[fault.name]}]"))
        else:
            named[fault.name] = index
    known = ", ".join(sorted(named)) or "none: give a fault `name:`"

    def check(loc: Loc, name: str, needs_end: bool) -> None:
        if name not in named:
            problems.append((loc, f"no fault is named {name!r} (named: {known})"))
        elif needs_end and not _ends(faults[named[name]]):
            message = f"fault {name!r} has no `until`: it lasts to the end of the workload, so nothing comes after it"
            problems.append((loc, message))

    for field, expect in expects:
        if expect is None:
            continue
        for i, window in enumerate(expect.windows):
            if window.during is not None:
                check((field, "windows", i, "during"), window.during, False)
            if window.after is not None:
                check((field, "windows", i, "after"), window.after, True)
        for i, item in enumerate(expect.recovers_within):
            check((field, "recovers_within", i, "after"), item.after, True)
        for i, item in enumerate(expect.fails_over_within):
            check((field, "fails_over_within", i, "after"), item.after, False)
    return problems
