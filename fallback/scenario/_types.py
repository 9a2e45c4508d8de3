"""Names a scenario file may use, and the value types shared by the scenario models.

Every closed set of names is guarded by a `one_of` validator, so a typo is reported as
`unknown toxic 'lag' (known: down, latency, ...)` rather than as pydantic's generic literal
error. Fixed sets are `Literal`s (typed for the engine); the sources (`fallback.names`) and the
fault kinds and targets (the fault registry, `fallback.faults`) are read from their one definition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from fallback.faults import FAULT_KINDS, KINDS, TARGETS
from fallback.names import SOURCE_NAMES, unknown
from fallback.scenario.units import format_duration, format_rate, parse_duration, parse_rate

__all__ = [
    "CLIENT_OPS",
    "SOURCES",
    "STEP_OPS",
    "STREAMS",
    "TABLES",
    "TARGETS",
    "TOXICS",
    "TOXIC_ATTRIBUTES",
    "ClientOp",
    "Duration",
    "Op",
    "Rate",
    "Record",
    "Source",
    "SourceName",
    "StepOp",
    "StreamName",
    "Table",
    "TableName",
    "one_of",
    "unknown",
]

SourceName = str
"""One of `SOURCES` (a plain name: the sources come from `fallback.names`, not from a Literal)."""
TableName = Literal["profiles", "user_challenges"]
ClientOp = Literal["load", "create", "update", "delete", "call", "assign_mt5"]
StepOp = Literal["load", "create", "update", "delete", "call", "assign_mt5", "pause", "resolve_pending"]
StreamName = Literal["upstream", "downstream"]

SOURCES: tuple[str, ...] = SOURCE_NAMES
"""In priority order."""
TABLES: tuple[str, ...] = get_args(TableName)
CLIENT_OPS: tuple[str, ...] = get_args(ClientOp)
STEP_OPS: tuple[str, ...] = get_args(StepOp)
TOXICS: tuple[str, ...] = FAULT_KINDS
"""Every fault kind of the registry (`fallback.faults`), `down` included."""
STREAMS: tuple[str, ...] = get_args(StreamName)

TOXIC_ATTRIBUTES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    kind.name: (
        tuple(a.name for a in kind.attributes if a.required),
        tuple(a.name for a in kind.attributes if not a.required),
    )
    for kind in KINDS.values()
}
"""kind: (required, optional) attribute names, derived from the fault registry."""


def one_of(what: str, known: Sequence[str]) -> BeforeValidator:
    def check(value: object) -> object:
        if not isinstance(value, str) or value not in known:
            raise ValueError(unknown(what, value, known))
        return value

    return BeforeValidator(check)


def _before(parse: Callable[[object], float]) -> BeforeValidator:
    return BeforeValidator(parse)


Duration = Annotated[
    float, _before(parse_duration), PlainSerializer(format_duration, return_type=str, when_used="json")
]
"""Seconds; written `0s`, `500ms`, `2.5s`, `1m` or as a plain number of seconds."""
Rate = Annotated[float, _before(parse_rate), PlainSerializer(format_rate, return_type=str, when_used="json")]
"""Operations per second; written `50/s`, `3000/m` or as a plain number per second."""

Source = Annotated[SourceName, one_of("source", SOURCES)]
Table = Annotated[TableName, one_of("table", TABLES)]
Op = Annotated[ClientOp, one_of("op", CLIENT_OPS)]


class Record(BaseModel):
    """Frozen, and every key must be a known field (a typo is an error, not a silent default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
