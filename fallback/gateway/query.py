"""Parse PostgREST's query string into a typed request (pure; no schema cache, no SQL).

`select=alias:col::cast,*,embed(...)` (embed_select.py), filters `col=[not.]op.value`, `or=(...)`/`and=(...)` trees,
`order=col.desc.nullslast`, `limit`, `offset`, `columns`, `on_conflict`.
Column names are only *names* here; `sql.py` checks them against the schema cache.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from . import errors
from .embed_select import EmbedItem, SelectField, SelectItem, parse_select, split_top_level, unquote
from .filters import Condition, Filter, Logic, LogicOp, parse_list, parse_logic, parse_operation

__all__ = [
    "Condition",
    "EmbedItem",
    "EmbedParams",
    "Filter",
    "Logic",
    "OrderTerm",
    "ParsedQuery",
    "SelectField",
    "SelectItem",
    "has_embeds",
    "parse_list",
    "parse_logic",
    "parse_operation",
    "parse_order",
    "parse_query",
    "parse_select",
    "split_top_level",
    "unquote",
]

RESERVED: frozenset[str] = frozenset({"select", "order", "limit", "offset", "columns", "on_conflict", "apikey"})
_LOGIC_KEYS: dict[str, tuple[LogicOp, bool]] = {
    "or": ("or", False),
    "and": ("and", False),
    "not.or": ("or", True),
    "not.and": ("and", True),
}
_EMBED_NAME = re.compile(r"[\w$ -]+")
"""A segment of an embed path in `a.b.col=`: PostgREST's identifier characters (and `-`); any other key
with dots stays one column name (PostgreSQL then answers 42703 for it)."""


@dataclass(frozen=True)
class OrderTerm:
    column: str
    descending: bool = False
    nulls: Literal["first", "last"] | None = None


@dataclass(frozen=True)
class EmbedParams:
    """`path.col=op.v`, `path.order=`, `path.limit=`, `path.offset=`, `path.or=` for the embed at `path`."""

    path: tuple[str, ...]
    where: tuple[Condition, ...] = ()
    order: tuple[OrderTerm, ...] = ()
    limit: int | None = None
    offset: int | None = None


@dataclass(frozen=True)
class ParsedQuery:
    select: tuple[SelectField, ...] = (SelectItem("*"),)
    where: tuple[Condition, ...] = ()
    order: tuple[OrderTerm, ...] = ()
    limit: int | None = None
    offset: int | None = None
    columns: tuple[str, ...] | None = None
    on_conflict: tuple[str, ...] | None = None
    embedded: tuple[EmbedParams, ...] = ()


def parse_order(text: str) -> tuple[OrderTerm, ...]:
    terms: list[OrderTerm] = []
    for raw in split_top_level(text):
        parts = raw.strip().split(".")
        descending = False
        nulls: Literal["first", "last"] | None = None
        while len(parts) > 1 and parts[-1] in ("asc", "desc", "nullsfirst", "nullslast"):
            modifier = parts.pop()
            if modifier in ("asc", "desc"):
                descending = modifier == "desc"
            else:
                nulls = "first" if modifier == "nullsfirst" else "last"
        if len(parts) > 1:
            _check_modifier(parts[-1], text)
        column = unquote(".".join(parts))
        if not column:
            raise errors.parse_error("failed to parse order", f"empty column in order={text!r}")
        terms.append(OrderTerm(column, descending, nulls))
    return tuple(terms)


def _check_modifier(last: str, text: str) -> None:
    """`id.asc.nullslasttt`: PostgREST's PGRST100 (a modifier with more after it), not a column name."""
    for modifier in ("nullsfirst", "nullslast", "asc", "desc"):
        if last.startswith(modifier) and "->" not in last and not last.startswith('"'):
            end = text.find(last) + len(modifier)
            raise errors.parse_error(
                f'"failed to parse order ({text})" (line 1, column {end + 1})',
                f"unexpected '{text[end]}' expecting \",\" or end of input",
            )


def parse_non_negative(name: str, text: str) -> int:
    if not text.isdigit():
        raise errors.parse_error(f"failed to parse {name} parameter ({text})", "expected a non-negative integer")
    return int(text)


def parse_columns(text: str) -> tuple[str, ...]:
    names = tuple(unquote(item.strip()) for item in split_top_level(text))
    if any(not name for name in names):
        raise errors.parse_error("failed to parse columns parameter", f"empty column in {text!r}")
    return names


def _embedded_key(key: str) -> tuple[tuple[str, ...], str] | None:
    """`a.b.col` → (("a", "b"), "col"); `a.not.or` → (("a",), "not.or"); None for a plain key."""
    if key.startswith('"') or "." not in key:
        return None
    logic = next((op for op in ("not.or", "not.and") if key.endswith("." + op)), None)
    if logic is not None:
        segments, last = key[: -len(logic) - 1].split("."), logic
    else:
        *segments, last = key.split(".")
    if not all(_EMBED_NAME.fullmatch(segment) for segment in segments):
        return None
    return tuple(segments), last


def _embedded_params(params: dict[tuple[str, ...], list[tuple[str, str]]]) -> tuple[EmbedParams, ...]:
    found: list[EmbedParams] = []
    for path, pairs in params.items():
        where: list[Condition] = []
        order: tuple[OrderTerm, ...] = ()
        limit = offset = None
        for key, value in pairs:
            if key == "order":
                order = parse_order(value)
            elif key == "limit":
                limit = parse_non_negative("limit", value)
            elif key == "offset":
                offset = parse_non_negative("offset", value)
            elif key in _LOGIC_KEYS:
                logic_op, negated = _LOGIC_KEYS[key]
                where.append(parse_logic(logic_op, value, negated))
            else:
                where.append(parse_operation(unquote(key), value))
        found.append(EmbedParams(path, tuple(where), order, limit, offset))
    return tuple(found)


def has_embeds(select: tuple[SelectField, ...]) -> bool:
    return any(isinstance(item, EmbedItem) for item in select)


def parse_query(params: Iterable[tuple[str, str]]) -> ParsedQuery:
    select: tuple[SelectField, ...] = (SelectItem("*"),)
    embedded: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    where: list[Condition] = []
    order: tuple[OrderTerm, ...] = ()
    limit = offset = None
    columns = on_conflict = None
    for key, value in params:
        if key == "select":
            select = parse_select(value)
        elif key == "order":
            order = parse_order(value)
        elif key == "limit":
            limit = parse_non_negative("limit", value)
        elif key == "offset":
            offset = parse_non_negative("offset", value)
        elif key == "columns":
            columns = parse_columns(value)
        elif key == "on_conflict":
            on_conflict = parse_columns(value)
        elif key == "apikey":
            continue
        elif key in _LOGIC_KEYS:
            logic_op, negated = _LOGIC_KEYS[key]
            where.append(parse_logic(logic_op, value, negated))
        elif (path_key := _embedded_key(key)) is not None:
            embedded.setdefault(path_key[0], []).append((path_key[1], value))
        else:
            where.append(parse_operation(unquote(key), value))
    return ParsedQuery(select, tuple(where), order, limit, offset, columns, on_conflict, _embedded_params(embedded))
