"""The single checks an expectation is made of: a latency bound, an availability floor, an error kind.
`Expect` (the whole run) and `WindowExpect` (a stretch of it) both hold lists of them."""

from __future__ import annotations

from typing import get_args

from pydantic import Field, field_validator, model_validator

from fallback.client.errors import ErrorKind, error_kind
from fallback.scenario._types import Op, Record

__all__ = ["AvailabilityExpect", "Bound", "ErrorExpect", "LatencyExpect"]


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
