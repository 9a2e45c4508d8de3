"""How a client names one row of any table (its primary key), and what a load asks for.

A table's key comes from the project's schema (`fallback.project.TableSchema.primary_key`); the
harness hands clients a `TableKeys` mapping (table -> `TableKey`), and a table it does not name
is keyed by `id`, as the spec's tables are. A row's key is a `RowKey`: the key columns with their
values, written as one string (`RowKey.text`) wherever a row id is recorded (results, the
history, the checker): the value itself for a one-column key, a JSON array of the values as
text for a composite one (`["acme","42"]`), so equal keys always give equal strings.

A load's `LoadQuery` carries PostgREST's own syntax: `select` (`*,orders(*)`: embedded resources
included), `filters` as query parameters (`status=eq.open`, `or=(a.eq.1,b.eq.2)`) and `order`
(`created_at.desc,id`); the clients pass them to the sources as they are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fallback.client.errors import RoutingError

__all__ = ["DEFAULT_KEY", "LoadQuery", "RowKey", "TableKey", "TableKeys", "key_for"]


@dataclass(frozen=True)
class RowKey:
    """One row's primary key: `(column, value)` pairs in key order."""

    parts: tuple[tuple[str, Any], ...]

    @property
    def text(self) -> str:
        """The key as one string: `8c1e...` for one column, `["acme","42"]` for a composite key."""
        return key_text(value for _, value in self.parts)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.parts)

    def __str__(self) -> str:
        return self.text


def key_text(values: Any) -> str:
    """The canonical text of key values (the one spelling shared by clients, history and checker)."""
    texts = [str(v) for v in values]
    return texts[0] if len(texts) == 1 else json.dumps(texts, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class TableKey:
    """A table's primary key, as a client needs it to route, upsert and probe rows."""

    columns: tuple[str, ...] = ("id",)
    generated: bool = True
    """The database fills every key column when a create leaves it out (a default or an identity):
    a client that lets the database choose, as the spec's code does, may drop them."""

    def __post_init__(self) -> None:
        if not self.columns:
            raise ValueError("a table key needs at least one column")

    def of(self, row: Mapping[str, Any]) -> RowKey:
        """The row's key; `RoutingError` when a key column is missing or null (a caller bug)."""
        missing = [c for c in self.columns if row.get(c) is None]
        if missing:
            raise RoutingError(f"the row has no {', '.join(missing)} (its table's key: {', '.join(self.columns)})")
        return RowKey(tuple((c, row[c]) for c in self.columns))

    def text_of(self, row: Mapping[str, Any]) -> str | None:
        """The row's key as text, or None when a key column is missing (rows of a select without it)."""
        values = [row.get(c) for c in self.columns]
        return None if any(v is None for v in values) else key_text(values)

    @property
    def conflict_target(self) -> str:
        """`on_conflict=` for an idempotent upsert: the key columns."""
        return ",".join(self.columns)


DEFAULT_KEY = TableKey()
TableKeys = Mapping[str, TableKey]
"""Table name -> its key; tables not named are keyed by `id`."""


def key_for(keys: TableKeys, table: str) -> TableKey:
    return keys.get(table, DEFAULT_KEY)


@dataclass(frozen=True)
class LoadQuery:
    """What a load asks every source for, in PostgREST's syntax."""

    select: str | None = None
    """`*` when None; `id,status`, `*,customer:customers(name)` (embedded resources)."""
    filters: tuple[str, ...] = ()
    """Query parameters `name=value`: `status=eq.open`, `amount=gte.10`, `or=(a.eq.1,b.eq.2)`."""
    order: str | None = None
    """PostgREST's `order=` value: `created_at.desc,id`."""

    def __post_init__(self) -> None:
        for item in self.filters:
            name, sep, value = item.partition("=")
            if not sep or not name or not value:
                raise ValueError(f"filter {item!r}: write column=operator.value, e.g. status=eq.open")

    @classmethod
    def of(cls, select: str | None = None, filters: Sequence[str] = (), order: str | None = None) -> LoadQuery:
        return cls(select, tuple(filters), order)

    @property
    def columns(self) -> str:
        return self.select or "*"

    def params(self) -> list[tuple[str, str]]:
        """The filters and order as query parameters, in order (`select` is the builder's own)."""
        found = [tuple(item.split("=", 1)) for item in self.filters]
        pairs = [(name, value) for name, value in found]
        if self.order:
            pairs.append(("order", self.order))
        return pairs

    @property
    def plain(self) -> bool:
        """`select=*` with nothing else: the whole table, as the spec's `loadData` reads it."""
        return self.select in (None, "*") and not self.filters and self.order is None

    def wire(self) -> dict[str, Any]:
        """The query as the JSON-lines protocol sends it (only what was given)."""
        out: dict[str, Any] = {}
        if self.select is not None:
            out["select"] = self.select
        if self.filters:
            out["filters"] = list(self.filters)
        if self.order is not None:
            out["order"] = self.order
        return out
