"""Names a scenario file may use, and the value types shared by the scenario models.

Every closed set of names is a `Literal` (typed for the engine) guarded by a `one_of`
validator, so a typo is reported as `unknown toxic 'lag' (known: down, latency, ...)`
rather than as pydantic's generic literal error.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from fallback.scenario.units import format_duration, format_rate, parse_duration, parse_rate

SourceName = Literal["PRIMARY", "BOLT", "OLD"]
LinkName = Literal["api", "db"]
TableName = Literal["profiles", "user_challenges"]
ClientOp = Literal["load", "create", "update", "assign_mt5"]
StepOp = Literal["load", "create", "update", "assign_mt5", "pause", "resolve_pending"]
ToxicKind = Literal["down", "latency", "timeout", "reset_peer", "bandwidth", "slow_close", "slicer", "limit_data"]
StreamName = Literal["upstream", "downstream"]

SOURCES: tuple[str, ...] = get_args(SourceName)
"""In priority order."""
LINKS: tuple[str, ...] = get_args(LinkName)
TABLES: tuple[str, ...] = get_args(TableName)
CLIENT_OPS: tuple[str, ...] = get_args(ClientOp)
STEP_OPS: tuple[str, ...] = get_args(StepOp)
TOXICS: tuple[str, ...] = get_args(ToxicKind)
STREAMS: tuple[str, ...] = get_args(StreamName)
TARGETS: tuple[str, ...] = tuple(f"{source}.{link}" for source in SOURCES for link in LINKS)

TOXIC_ATTRIBUTES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # toxic: (required, optional), named as Toxiproxy's API names them (toxics/*.go).
    "down": ((), ()),
    "latency": (("latency",), ("jitter",)),
    "timeout": ((), ("timeout",)),
    "reset_peer": ((), ("timeout",)),
    "bandwidth": (("rate",), ()),
    "slow_close": (("delay",), ()),
    "slicer": (("average_size",), ("size_variation", "delay")),
    "limit_data": (("bytes",), ()),
}


def unknown(what: str, value: object, known: tuple[str, ...]) -> str:
    """`unknown toxic 'lag' (known: down, latency, ...)`, with a suggestion for near misses."""
    message = f"unknown {what} {value!r} (known: {', '.join(known)})"
    close = difflib.get_close_matches(str(value), known, n=1)
    return f"{message}; did you mean {close[0]!r}?" if close else message


def one_of(what: str, known: tuple[str, ...]) -> BeforeValidator:
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
