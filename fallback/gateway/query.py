"""Parse PostgREST's query string into a typed request (pure; no schema cache, no SQL).

`select=alias:col::cast,*`, filters `col=[not.]op.value`, `or=(...)`/`and=(...)` trees,
`order=col.desc.nullslast`, `limit`, `offset`, `columns`, `on_conflict`.
Column names are only *names* here; `sql.py` checks them against the schema cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from . import errors
from .casts import is_type_name
from .limits import MAX_LOGIC_DEPTH

Operator = Literal["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is"]
OPERATORS: frozenset[str] = frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is"})
IS_VALUES: frozenset[str] = frozenset({"null", "not_null", "true", "false", "unknown"})
RESERVED: frozenset[str] = frozenset({"select", "order", "limit", "offset", "columns", "on_conflict", "apikey"})
LogicOp = Literal["and", "or"]
_LOGIC_KEYS: dict[str, tuple[LogicOp, bool]] = {
    "or": ("or", False),
    "and": ("and", False),
    "not.or": ("or", True),
    "not.and": ("and", True),
}
_GROUP = re.compile(r"\s*(not\.)?(and|or)\(")


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


def parse_logic(op: LogicOp, text: str, negated: bool = False) -> Logic:
    """`(a.eq.1,and(b.gt.2,c.is.null),not.or(...))` → a Logic tree, at most `MAX_LOGIC_DEPTH` groups deep.

    One pass over the text with an explicit stack of open groups: no recursion, time linear in the length."""

    def fail(details: str) -> errors.GatewayError:
        return errors.parse_error(f"failed to parse logic tree ({text})", details)

    if not (text.startswith("(") and text.endswith(")")) or text == "()":
        raise fail("expected a non-empty (...) list")
    stack: list[tuple[LogicOp, bool, list[Condition]]] = [(op, negated, [])]
    i = 1
    while True:
        group = _GROUP.match(text, i)
        if group is not None:
            if len(stack) == MAX_LOGIC_DEPTH:
                raise fail(f"the tree nests more than {MAX_LOGIC_DEPTH} levels deep, the most this gateway accepts")
            if text.startswith(")", group.end()):
                raise fail("expected a non-empty (...) list")
            stack.append(("and" if group[2] == "and" else "or", group[1] is not None, []))
            i = group.end()
            continue
        end = _item_end(text, i)
        stack[-1][2].append(_logic_filter(text[i:end].strip(), fail))
        i = end
        while text[i : i + 1] != ",":  # close groups up to the next item
            if i >= len(text):
                raise fail("unbalanced parentheses")
            group_op, group_negated, children = stack.pop()
            node = Logic(group_op, tuple(children), group_negated)
            i += 1
            while text[i : i + 1].isspace():
                i += 1
            if not stack:
                if i != len(text):
                    raise fail("unexpected text after the closing parenthesis")
                return node
            stack[-1][2].append(node)
            if text[i : i + 1] not in (",", ")", ""):
                raise fail(f"unexpected {text[i]!r} after a closing parenthesis")
        i += 1


def _item_end(text: str, start: int) -> int:
    """Where the condition starting at `start` ends: its `,` or `)` (outside quotes and its own parentheses)."""
    depth = 0
    quoted = escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if escaped:
            escaped = False
        elif quoted:
            escaped = char == "\\"
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return index
            depth -= 1
        elif char == "," and depth == 0:
            return index
    return len(text)


def _logic_filter(item: str, fail: Callable[[str], errors.GatewayError]) -> Filter:
    column, sep, rest = _split_column(item)
    if not sep:
        raise fail(f"bad condition {item!r}")
    filt = parse_operation(column, rest)
    if isinstance(filt.value, str):
        filt = Filter(filt.column, filt.op, unquote(filt.value), filt.negated)
    return filt


def _split_column(item: str) -> tuple[str, str, str]:
    if item.startswith('"'):
        end = item.find('"', 1)
        while end > 0 and item[end - 1] == "\\":
            end = item.find('"', end + 1)
        if end > 0 and item[end + 1 : end + 2] == ".":
            return unquote(item[: end + 1]), ".", item[end + 2 :]
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
            where.append(parse_logic(logic_op, value, negated))
        else:
            where.append(parse_operation(unquote(key), value))
    return ParsedQuery(select, tuple(where), order, limit, offset, columns, on_conflict)
