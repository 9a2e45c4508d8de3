"""What a scenario expects to observe. Every check is optional; only those given are evaluated.

`merged_count`, `source_counts`, `degraded` and `stale` describe the workload's LAST `load`.
`error`, `latency_ms` and `availability` accept one mapping or a list of them.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic import Field, field_validator, model_validator

from fallback.client.errors import ErrorKind, error_kind
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
    p100: Bound | None = None
    """The slowest operation: `p100: {max: 500}` holds when every one took at most 500 ms."""

    @model_validator(mode="after")
    def _some_percentile(self) -> LatencyExpect:
        if not self.bounds():
            raise ValueError("give at least one of p50, p95, p99, p100, e.g. `p95: {max: 500}`")
        return self

    def bounds(self) -> dict[str, float]:
        """`{"p95": 500.0}`: only the percentiles given."""
        given = (("p50", self.p50), ("p95", self.p95), ("p99", self.p99), ("p100", self.p100))
        return {name: b.max for name, b in given if b}


class AvailabilityExpect(Record):
    """`{op: load, min: 0.99}`: at least this fraction of the op's completions are ok."""

    op: Op
    min: float = Field(ge=0, le=1)


class ErrorExpect(Record):
    """`{op: create, kind: all_failed}`: at least one `op` ends with this error kind.

    `kind` is an error label (`fallback.history.ErrorKind`, shown as reports show it): `http_503`
    matches any 503, whatever its PostgREST code; `http_503:PGRST001` that code only; `http` any
    error status."""

    op: Op
    kind: str = Field(min_length=1)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if error_kind(value) is None:
            known = ", ".join(sorted(get_args(ErrorKind)))
            http = "an HTTP error: http, http_503, http_503:PGRST001"
            raise ValueError(f"unknown error kind {value!r} (known: {known}; {http})")
        return value

    def matches(self, error: str | None, status: int | None, code: str | None) -> bool:
        """Whether an operation that ended with this error (and status, code) is what this expects."""
        want = error_kind(self.kind)
        if want is None or error is None:
            return False
        kind, want_status, want_code = want
        return error == kind and want_status in (None, status) and want_code in (None, code)


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
