"""Hand-built histories for the drill's unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fallback.history import History, SourceCall


def op(
    history: History,
    name: str,
    invoked: float,
    completed: float | None,
    outcome: str | None,
    *,
    calls: Sequence[SourceCall] = (),
    **fields: Any,
) -> None:
    """One operation: its invoke, and its completion unless `completed` is None (cut off)."""
    invoke = history.invoke(process=0, client="reference", op=name, table="user_challenges", time_s=invoked)  # type: ignore[arg-type]
    if completed is not None and outcome is not None:
        history.complete(invoke, outcome, time_s=completed, calls=tuple(calls), **fields)  # type: ignore[arg-type]
