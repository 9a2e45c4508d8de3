"""How a client's attempts and failures are written into the history (shared by every operation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from fallback.client.errors import ErrorKind
from fallback.client.results import Attempt
from fallback.history import SourceCall

__all__ = ["OpError", "calls", "error_of", "load_error", "routed_error"]


def calls(attempts: Sequence[Attempt], ambiguous: bool = True) -> tuple[SourceCall, ...]:
    """The history's record of the client's attempts (loads keep no `ambiguous`: a read changes nothing)."""
    return tuple(
        SourceCall(
            source=a.source,
            kind=a.kind,
            status=a.status,
            code=a.code,
            latency_ms=a.latency_ms,
            ambiguous=a.ambiguous and ambiguous,
        )
        for a in attempts
    )


class OpError(NamedTuple):
    """How an operation ended, for its completion event (`kind` None: it did not fail)."""

    kind: ErrorKind | None
    status: int | None = None
    code: str | None = None


def error_of(attempt: Attempt) -> OpError:
    """The error of an operation decided by this (failed) attempt."""
    return OpError("error" if attempt.kind == "ok" else attempt.kind, attempt.status, attempt.code)


def routed_error(outcome: str, attempts: Sequence[Attempt]) -> OpError:
    """An update's, delete's or call's error: its last attempt's, `source_unavailable` without one."""
    if outcome == "ok":
        return OpError(None)
    return OpError("source_unavailable") if not attempts else error_of(attempts[-1])


def load_error(attempts: Sequence[Attempt]) -> OpError:
    """A failed load (every source failed): their common failure, or `all_failed` when they differ."""
    failed = [a for a in attempts if not a.ok]
    if failed and len({(a.kind, a.status, a.code) for a in failed}) == 1:
        return error_of(failed[0])
    if failed and len({a.kind for a in failed}) == 1:
        return error_of(failed[0])._replace(status=None, code=None)
    return OpError("all_failed")
