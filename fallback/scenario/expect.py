"""What a scenario expects to observe. Every check is optional; only those given are evaluated.

`merged_count`, `source_counts`, `degraded` and `stale` describe the workload's LAST `load`.
`error`, `latency_ms` and `availability` accept one mapping or a list of them.
`windows`, `recovers_within` and `fails_over_within` speak about time (`fallback.scenario.expect_windows`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from fallback.scenario._types import Record, Source
from fallback.scenario.expect_items import AvailabilityExpect, Bound, ErrorExpect, LatencyExpect
from fallback.scenario.expect_windows import FailsOverWithin, RecoversWithin, WindowExpect, one_or_many
from fallback.scenario.limits import MAX_LOG_TEXTS

__all__ = [
    "AvailabilityExpect",
    "Bound",
    "ErrorExpect",
    "Expect",
    "FailsOverWithin",
    "LatencyExpect",
    "RecoversWithin",
    "WindowExpect",
]


class Expect(Record):
    merged_count: int | None = Field(default=None, ge=0)
    source_counts: dict[Source, int] | None = None
    degraded: bool | None = None
    stale: bool | None = None
    log_contains: tuple[str, ...] = Field(default=(), max_length=MAX_LOG_TEXTS)
    writes_landed_in: tuple[Source, ...] | None = None
    """Every acknowledged create landed in one of these sources."""
    no_lost_writes: bool | None = None
    no_duplicates: bool | None = None
    no_misrouted_updates: bool | None = None
    error: tuple[ErrorExpect, ...] = ()
    latency_ms: tuple[LatencyExpect, ...] = ()
    availability: tuple[AvailabilityExpect, ...] = ()
    windows: tuple[WindowExpect, ...] = ()
    """Checks scoped to a stretch of the run: `during`/`after` a named fault, or `between` two times."""
    recovers_within: tuple[RecoversWithin, ...] = ()
    fails_over_within: tuple[FailsOverWithin, ...] = ()

    @field_validator("writes_landed_in", mode="before")
    @classmethod
    def _one_source(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("error", "latency_ms", "availability", "recovers_within", "fails_over_within", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return one_or_many(value)

    @field_validator("source_counts")
    @classmethod
    def _non_negative(cls, counts: dict[str, int] | None) -> dict[str, int] | None:
        for source, count in (counts or {}).items():
            if count < 0:
                raise ValueError(f"{source}: a count must be >= 0, got {count}")
        return counts

    def checks(self) -> dict[str, Any]:
        """The expectations given, by name (what the engine evaluates and the report lists)."""
        return {name: value for name, value in self if value is not None and value != ()}
