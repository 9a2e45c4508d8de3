"""What a scenario expects to observe. Every check is optional; only those given are evaluated.

`merged_count`, `source_counts`, `degraded` and `stale` describe the workload's LAST `load`.
`error`, `latency_ms` and `availability` accept one mapping or a list of them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from fallback.scenario._types import Op, Record, Source
from fallback.scenario.limits import MAX_LOG_TEXTS


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


class Bound(Record):
    max: float = Field(gt=0)


class LatencyExpect(Record):
    """`{op: load, p95: {max: 500}}`: the op's latency percentile, in milliseconds, over the whole run."""

    op: Op
    p50: Bound | None = None
    p95: Bound | None = None
    p99: Bound | None = None

    @model_validator(mode="after")
    def _some_percentile(self) -> LatencyExpect:
        if self.p50 is None and self.p95 is None and self.p99 is None:
            raise ValueError("give at least one of p50, p95, p99, e.g. `p95: {max: 500}`")
        return self

    def bounds(self) -> dict[str, float]:
        """`{"p95": 500.0}`: only the percentiles given."""
        return {name: b.max for name, b in (("p50", self.p50), ("p95", self.p95), ("p99", self.p99)) if b}


class AvailabilityExpect(Record):
    """`{op: load, min: 0.99}`: at least this fraction of the op's completions are ok."""

    op: Op
    min: float = Field(ge=0, le=1)


class ErrorExpect(Record):
    """`{op: create, kind: all_failed}`: at least one `op` ends with this error kind."""

    op: Op
    kind: str = Field(min_length=1)


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

    @field_validator("writes_landed_in", mode="before")
    @classmethod
    def _one_source(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("error", "latency_ms", "availability", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _as_list(value)

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
