"""Parse PostgREST's query string into a typed request (pure; no schema cache, no SQL).

`select=alias:col::cast,*`, filters `col=[not.]op.value`, `or=(...)`/`and=(...)` trees,
`order=col.desc.nullslast`, `limit`, `offset`, `columns`, `on_conflict`.
Column names are only *names* here; `sql.py` checks them against the schema cache.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from . import errors
from .limits import MAX_LOGIC_DEPTH, nesting_depth

Operator = Literal["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is"]
OPERATORS: frozenset[str] = frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is"})
IS_VALUES: frozenset[str] = frozenset({"null", "not_null", "true", "false", "unknown"})
RESERVED: frozenset[str] = frozenset({"select", "order", "limit", "offset", "columns", "on_conflict", "apikey"})
_LOGIC_KEYS = {"or": ("or", False), "and": ("and", False), "not.or": ("or", True), "not.and": ("and", True)}
_CAST_CHARS = frozenset("0123456789_ $")
"""Besides letters: PostgREST's `pIdentifier` (QueryParams.hs), which its casts `::type` are made of."""
_TYPE_PHRASES = frozenset({
    "double precision", "bit varying", "character varying", "char varying", "national character",
    "national char", "national character varying", "national char varying", "nchar varying",
    *(f"{kind} {zone} time zone" for kind in ("time", "timestamp") for zone in ("with", "without")),
    *(f"interval {field}" for field in (
        "year", "month", "day", "hour", "minute", "second", "year to month", "day to hour", "day to minute",
        "day to second", "hour to minute", "hour to second", "minute to second",
    )),
})
"""PostgreSQL's type names of more than one word (gram.y); one-word names are checked by PostgreSQL itself."""


@dataclass(frozen=True)
class SelectItem:
    column: str
    """A column name, or `*`."""
    alias: str | None = None
    cast: str | None = None

    @property
    def key(self) -> str:
        return self.alias or self.column


@dataclass(frozen=True)
class Filter:
    column: str
    op: Operator
    value: str | tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class Logic:
    op: Literal["and", "or"]
    children: tuple[Condition, ...]
    negated: bool = False


Condition: TypeAlias = Filter | Logic


@dataclass(frozen=True)
class OrderTerm:
    column: str
    descending: bool = False
    nulls: Literal["first", "last"] | None = None


@dataclass(frozen=True)
class ParsedQuery:
    select: tuple[SelectItem, ...] = (SelectItem("*"),)
    where: tuple[Condition, ...] = ()
    order: tuple[OrderTerm, ...] = ()
    limit: int | None = None
    offset: int | None = None
    columns: tuple[str, ...] | None = None
    on_conflict: tuple[str, ...] | None = None


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split at `sep` outside double quotes and parentheses (backslash escapes inside quotes)."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == sep:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def unquote(text: str) -> str:
    """`"a \\"b\\""` → `a "b"`; unquoted text is returned as is."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def is_type_name(text: str) -> bool:
    """A cast's type: one name (`int4`, `my$type`), an SQL type phrase (`double precision`), optionally `array`.

    PostgREST's grammar for casts is letters, digits, `_`, `$` and spaces (its `pIdentifier`), put into
    `CAST(... AS name)` unquoted; PostgreSQL then rejects what is not a type (`text or 1` → 42601).
    This gateway refuses such text itself (400 PGRST100), so that only type names ever reach SQL: each
    word starts like an unquoted identifier (a `$` can never start a dollar quote or a parameter), and
    several words must be one of SQL's multi-word type names."""
    if not text or not all(char.isalpha() or char in _CAST_CHARS for char in text):
        return False
    words = text.lower().split()
    if not words or not all(word[0].isalpha() or word[0] == "_" for word in words):
        return False
    if len(words) > 1 and words[-1] == "array":
        words = words[:-1]
    return len(words) == 1 or " ".join(words) in _TYPE_PHRASES


def parse_select(text: str) -> tuple[SelectItem, ...]:
    items: list[SelectItem] = []
    for raw in split_top_level(text):
        part = raw.strip()
        if not part:
            raise errors.parse_error("failed to parse select parameter", f"empty item in select={text!r}")
        if "(" in part and not part.startswith('"'):
            name = part.split("(", 1)[0].split(":")[-1].rstrip("!")
            raise errors.no_relationship("?", name)
        alias: str | None = None
        cast: str | None = None
        head, sep, tail = part.partition("::")
        if sep:
            cast = tail.strip()
            if not is_type_name(cast):
                raise errors.parse_error(
                    f"failed to parse select parameter ({text})",
                    f"invalid cast {tail!r}: expected a type name (letters, digits, '_', '$' and spaces)",
                )
        if ":" in head and not head.startswith('"'):
            alias, head = (s.strip() for s in head.split(":", 1))
            alias = unquote(alias)
        column = unquote(head.strip())
        if not column:
            raise errors.parse_error("failed to parse select parameter", f"empty column in {part!r}")
        items.append(SelectItem(column, alias or None, cast))
    return tuple(items)


def parse_list(text: str) -> tuple[str, ...]:
    """`(a,b,"c,d")` → ("a", "b", "c,d")."""
    if not (text.startswith("(") and text.endswith(")")):
        raise errors.parse_error("failed to parse filter", f"expected a parenthesised list, got {text!r}")
    inner = text[1:-1]
    if inner == "":
        return ()
    return tuple(unquote(item.strip()) for item in split_top_level(inner))


def parse_operation(column: str, text: str) -> Filter:
    """`not.eq.5` / `in.(1,2)` / `is.null` for `column`."""
    negated = False
    if text.startswith("not."):
        negated, text = True, text[4:]
    op, sep, value = text.partition(".")
    if not sep or op not in OPERATORS:
        raise errors.parse_error(
            f"failed to parse filter ({text})", f"unknown or missing operator {op!r} for column {column!r}"
        )
    if op == "in":
        return Filter(column, "in", parse_list(value), negated)
    if op == "is":
        if value.lower() not in IS_VALUES:
            raise errors.parse_error(f"failed to parse filter ({text})", "is. takes null, not_null, true, false")
        return Filter(column, "is", value.lower(), negated)
    return Filter(column, op, value, negated)  # type: ignore[arg-type]


def parse_logic_tree(op: Literal["and", "or"], text: str, negated: bool = False) -> Logic:
    """`or=`/`and=`: the depth is checked in one pass first, so that `parse_logic`'s recursion stays bounded."""
    depth = nesting_depth(text)
    if depth > MAX_LOGIC_DEPTH:
        raise errors.parse_error(
            f"failed to parse logic tree ({text})",
            f"the tree nests {depth} levels deep; this gateway accepts at most {MAX_LOGIC_DEPTH}",
        )
    return parse_logic(op, text, negated)


def parse_logic(op: Literal["and", "or"], text: str, negated: bool = False) -> Logic:
    """`(a.eq.1,and(b.gt.2,c.is.null),not.or(...))` → a Logic tree (call `parse_logic_tree` for client text)."""
    if not (text.startswith("(") and text.endswith(")")) or text == "()":
        raise errors.parse_error(f"failed to parse logic tree ({text})", "expected a non-empty (...) list")
    children: list[Condition] = []
    for raw in split_top_level(text[1:-1]):
        item = raw.strip()
        for key, (child_op, child_negated) in _LOGIC_KEYS.items():
            if item.startswith(key + "("):
                children.append(parse_logic(child_op, item[len(key):], child_negated))  # type: ignore[arg-type]
                break
        else:
            column, sep, rest = _split_column(item)
            if not sep:
                raise errors.parse_error(f"failed to parse logic tree ({text})", f"bad condition {item!r}")
            filt = parse_operation(column, rest)
            if isinstance(filt.value, str):
                filt = Filter(filt.column, filt.op, unquote(filt.value), filt.negated)
            children.append(filt)
    return Logic(op, tuple(children), negated)


def _split_column(item: str) -> tuple[str, str, str]:
    if item.startswith('"'):
        end = item.find('"', 1)
        while end > 0 and item[end - 1] == "\\":
            end = item.find('"', end + 1)
        if end > 0 and item[end + 1: end + 2] == ".":
            return unquote(item[: end + 1]), ".", item[end + 2:]
    column, sep, rest = item.partition(".")
    return column, sep, rest


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
        column = unquote(".".join(parts))
        if not column:
            raise errors.parse_error("failed to parse order", f"empty column in order={text!r}")
        terms.append(OrderTerm(column, descending, nulls))
    return tuple(terms)


def parse_non_negative(name: str, text: str) -> int:
    if not text.isdigit():
        raise errors.parse_error(f"failed to parse {name} parameter ({text})", "expected a non-negative integer")
    return int(text)


def parse_columns(text: str) -> tuple[str, ...]:
    names = tuple(unquote(item.strip()) for item in split_top_level(text))
    if any(not name for name in names):
        raise errors.parse_error("failed to parse columns parameter", f"empty column in {text!r}")
    return names


def parse_query(params: Iterable[tuple[str, str]]) -> ParsedQuery:
    select: tuple[SelectItem, ...] = (SelectItem("*"),)
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
            where.append(parse_logic_tree(logic_op, value, negated))  # type: ignore[arg-type]
        else:
            where.append(parse_operation(unquote(key), value))
    return ParsedQuery(select, tuple(where), order, limit, offset, columns, on_conflict)
