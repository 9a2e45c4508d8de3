"""The `select=` grammar, embedded resources included (pure; names only, no schema cache).

    col  alias:col  col::type  *                         columns (SelectItem)
    target(...)  alias:target(...)                        an embedded resource (EmbedItem)
    target!hint(...)  target!inner(...)  target!hint!left(...)
    ...target(...)                                        a spread: the embed's columns join the parent's

`split_top_level` and `unquote` are shared with the rest of the query string (query.py re-exports them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

from . import errors
from .casts import is_type_name
from .json_path import parse_field
from .limits import MAX_LOGIC_DEPTH

JoinType = Literal["inner", "left"]
Aggregate = Literal["sum", "avg", "max", "min", "count"]
_AGGREGATE = re.compile(r"(?P<head>.*?)(?P<agg>sum|avg|max|min|count)\(\)(?:::(?P<cast>.*))?", re.DOTALL)
"""`[alias:]field[::cast].sum()[::cast]`, or a bare `[alias:]count()[::cast]` (PostgREST 12's aggregates)."""
_AGGREGATES: dict[str, Aggregate] = {"sum": "sum", "avg": "avg", "max": "max", "min": "min", "count": "count"}
MAX_EMBED_DEPTH = MAX_LOGIC_DEPTH
"""How many embeds deep a `select=` may nest; the SQL is built recursively (embed_sql.py)."""


@dataclass(frozen=True)
class SelectItem:
    column: str
    """A column name, or `*`."""
    alias: str | None = None
    cast: str | None = None
    """A cast of the column (before an aggregate, of its argument)."""
    aggregate: Aggregate | None = None
    """`col.sum()`: the other selected columns become the GROUP BY; a bare `count()` has column `*`."""
    aggregate_cast: str | None = None
    """`col.sum()::text`: a cast of the aggregate's result."""

    @property
    def key(self) -> str:
        """The JSON key: the alias, else the aggregate's name, else the last key of a JSON path
        (`data->a->>b` → `b`), else the column."""
        return self.alias or self.aggregate or parse_field(self.column).key

    @property
    def all_columns(self) -> bool:
        """`*`, every column (not the argument of a bare `count()`)."""
        return self.column == "*" and self.aggregate is None


@dataclass(frozen=True)
class EmbedItem:
    target: str
    """A table, a foreign key's name or a column of the FK (PostgREST's "target")."""
    select: tuple[SelectField, ...]
    alias: str | None = None
    hint: str | None = None
    join: JoinType | None = None
    spread: bool = False

    @property
    def key(self) -> str:
        """The JSON key of the embed, and its name in `key.col=...`, `key.order=...`."""
        return self.alias or self.target


SelectField: TypeAlias = SelectItem | EmbedItem


def has_aggregates(select: tuple[SelectField, ...]) -> bool:
    """Whether any level of `select=` uses an aggregate (PGRST123 when `db-aggregates-enabled` is off)."""
    return any(
        has_aggregates(item.select) if isinstance(item, EmbedItem) else item.aggregate is not None for item in select
    )


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


def _unquoted_find(part: str, token: str) -> int:
    """Index of the first `token` outside double quotes (`"a(b::c"` is one name), or -1."""
    quoted = escaped = False
    for index, char in enumerate(part):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and part.startswith(token, index):
            return index
    return -1


def parse_select(text: str, depth: int = 0) -> tuple[SelectField, ...]:
    if depth > MAX_EMBED_DEPTH:
        raise errors.parse_error(
            f"failed to parse select parameter ({text})",
            f"embeds nest more than {MAX_EMBED_DEPTH} levels deep, the most this gateway accepts",
        )
    if depth > 0 and text.strip() == "":
        return ()
    items: list[SelectField] = []
    for raw in split_top_level(text):
        part = raw.strip()
        if not part:
            raise errors.parse_error("failed to parse select parameter", f"empty item in select={text!r}")
        paren = _unquoted_find(part, "(")
        if (aggregate := _aggregate(part, text)) is not None:
            items.append(aggregate)
        elif paren < 0 or "->" in part[:paren]:  # a `(` inside a JSON path is PostgREST's PGRST100
            start = max(text.find(part), 0)
            items.append(_column(part, text, start))
        else:
            items.append(_embed(part, paren, text, depth))
    return tuple(items)


def _embed(part: str, paren: int, text: str, depth: int) -> EmbedItem:
    if not part.endswith(")"):
        raise errors.parse_error(f"failed to parse select parameter ({text})", f"unbalanced parentheses in {part!r}")
    head, inner = part[:paren].strip(), part[paren + 1 : -1]
    spread = head.startswith("...")
    if spread:
        head = head[3:]
    alias: str | None = None
    if ":" in head and not head.startswith('"'):
        alias, head = (unquote(s.strip()) for s in head.split(":", 1))
        if spread:
            raise errors.parse_error(f"failed to parse select parameter ({text})", "a spread embed takes no alias")
    target, *marks = head.split("!")
    hint: str | None = None
    join: JoinType | None = None
    for mark in marks:
        if mark in ("inner", "left") and join is None:
            join = "inner" if mark == "inner" else "left"
        elif hint is None and join is None and mark:
            hint = unquote(mark)
        else:
            raise errors.parse_error(f"failed to parse select parameter ({text})", f"unexpected '!{mark}' in {head!r}")
    target = unquote(target.strip())
    if not target:
        raise errors.parse_error(f"failed to parse select parameter ({text})", f"empty embed name in {part!r}")
    return EmbedItem(target, parse_select(inner, depth + 1), alias or None, hint, join, spread)


def _aggregate(part: str, text: str) -> SelectItem | None:
    """`total:amount::int.sum()::text` and `cnt:count()`, or None when `part` is no aggregate."""
    found = _AGGREGATE.fullmatch(part)
    if found is None:
        return None
    head, agg, cast = found["head"], _AGGREGATES[found["agg"]], found["cast"]
    if cast is not None and not is_type_name(cast.strip()):
        raise errors.parse_error(
            f"failed to parse select parameter ({text})",
            f"invalid cast {cast!r}: expected a type name (letters, digits, '_', '$' and spaces)",
        )
    aggregate_cast = cast.strip() if cast is not None else None
    if head == "" or (head.endswith(":") and not head.startswith('"')):
        if agg != "count":
            raise errors.parse_error(f"failed to parse select parameter ({text})", f"{agg}() needs a column")
        alias = unquote(head[:-1].strip()) if head else None
        return SelectItem("*", alias or None, None, "count", aggregate_cast)
    if not head.endswith("."):
        return None
    column = _column(head[:-1], text, max(text.find(part), 0))
    return SelectItem(column.column, column.alias, column.cast, agg, aggregate_cast)


def _column(part: str, text: str, start: int = 0) -> SelectItem:
    """`start`: where `part` begins in `text` (for PGRST100's column number)."""
    alias: str | None = None
    cast: str | None = None
    cut = _unquoted_find(part, "::")  # a cast's `::`
    head, sep, tail = (part[:cut], "::", part[cut + 2 :]) if cut >= 0 else (part, "", "")
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
    raw = head.strip()
    column = unquote(raw)
    if raw.startswith('"') and "->" in column:
        column = raw  # quoted, so that `"a->b"` stays one name (json_path.parse_field reads the quotes)
    if not column:
        raise errors.parse_error("failed to parse select parameter", f"empty column in {part!r}")
    if "->" in column:
        parse_field(column, "select parameter", start + part.find(column), text)
    return SelectItem(column, alias or None, cast)
