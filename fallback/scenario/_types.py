"""Names a scenario file may use, and the value types shared by the scenario models.

Every closed set of names is guarded by a `one_of` validator, so a typo is reported as
`unknown toxic 'lag' (known: down, latency, ...)` rather than as pydantic's generic literal
error. Fixed sets are `Literal`s (typed for the engine); the fault kinds come from the fault registry
(`fallback.faults`). The sources, the tables and the fault targets belong to the active project
(`fallback.project.active()`, chosen by `--project` after import): their validators read them when a
file is validated, through `known_sources`, `known_tables` and `known_targets`, never at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from fallback.faults import FAULT_KINDS, KINDS, all_targets
from fallback.names import source_names, unknown
from fallback.project.active import active
from fallback.project.tables import project_tables
from fallback.scenario.units import format_duration, format_rate, parse_duration, parse_rate

__all__ = [
    "CLIENT_OPS",
    "STEP_OPS",
    "STREAMS",
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
    "known_sources",
    "known_tables",
    "known_targets",
    "one_of",
    "unknown",
]

SourceName = str
"""One of the active project's sources (`known_sources()`)."""
TableName = str
"""One of the tables the active project's scenarios may touch (`known_tables()`)."""
ClientOp = Literal["load", "create", "update", "delete", "call", "assign_mt5"]
StepOp = Literal["load", "create", "update", "delete", "call", "assign_mt5", "pause", "resolve_pending"]
StreamName = Literal["upstream", "downstream"]

known_sources = source_names
"""The active project's sources, in priority order."""
known_targets = all_targets
"""Every fault target on the active project's sources (`PRIMARY.api`, `PRIMARY`, ...)."""


def known_tables() -> tuple[str, ...]:
    """The tables the active project's scenarios may touch (`fallback.project.tables.project_tables`)."""
    return project_tables(active())


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


def one_of(what: str, known: Sequence[str] | Callable[[], Sequence[str]]) -> BeforeValidator:
    """A validator refusing names outside `known`; a callable is asked at each validation (the active project's
    sources and tables)."""

    def check(value: object) -> object:
        names = known() if callable(known) else known
        if not isinstance(value, str) or value not in names:
            raise ValueError(unknown(what, value, names))
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

Source = Annotated[SourceName, one_of("source", known_sources)]
Table = Annotated[TableName, one_of("table", known_tables)]
Op = Annotated[ClientOp, one_of("op", CLIENT_OPS)]


class Record(BaseModel):
    """Frozen, and every key must be a known field (a typo is an error, not a silent default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
