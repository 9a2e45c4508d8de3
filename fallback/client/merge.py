"""Merge policies: how the rows of the sources that answered become one list.

A policy is a small callable value (as tenacity's stop conditions are), called with the
answering sources' rows in priority order, highest first. Sources that failed are simply
absent from the input, so nothing of theirs can reach the output. Every output row carries
`_db_source`, the name of a source that returned it.

- `Concat()`: the spec's `[...primary, ...bolt, ...old]`, duplicates and all.
- `PriorityDedup(key)`: one row per key, from the highest-priority source having it; the
  other copies are reported as `Duplicate`s, never dropped silently.
- `PreferNewest(key, field)`: one row per key, the copy with the greatest `field`
  (e.g. `updated_at`), priority breaking ties; the others are reported too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fallback.client.dedup import KeyTexts, priority_dedup, single_column
from fallback.client.keys import key_text
from fallback.client.results import Duplicate, Row

SOURCE_TAG = "_db_source"


@dataclass(frozen=True)
class SourceRows:
    """The rows one source returned."""

    source: str
    rows: Sequence[Row]
    owned: bool = False
    """The rows are this answer's alone: each a distinct plain dict that nobody else holds or will read
    (the reference client's rows freshly decoded from one response). A policy may then tag them in place
    and return them instead of tagged copies; otherwise the caller's rows are never changed."""


@dataclass(frozen=True)
class Merged:
    rows: tuple[Row, ...]
    duplicates: tuple[Duplicate, ...] = ()


class MergePolicy(Protocol):
    def __call__(self, answers: Sequence[SourceRows]) -> Merged: ...


def tag(row: Row, source: str) -> dict[str, Any]:
    return {**row, SOURCE_TAG: source}


def _tag_owned(row: Row, source: str) -> Row:
    if type(row) is not dict:
        return tag(row, source)
    row[SOURCE_TAG] = source
    return row


def key_value(row: Row, key: str | tuple[str, ...]) -> str | None:
    """The row's key as text (`fallback.client.keys.key_text`), None when a key column is missing."""
    columns = (key,) if isinstance(key, str) else key
    values = [row.get(c) for c in columns]
    return None if any(v is None for v in values) else key_text(values)


def key_texts(key: str | tuple[str, ...]) -> KeyTexts:
    """Every row's `key_value`, for the fast dedup: one column in C loops, a composite key row by row."""
    columns = (key,) if isinstance(key, str) else key
    if len(columns) == 1:
        return single_column(columns[0])
    return lambda rows: [key_value(row, columns) for row in rows]


@dataclass(frozen=True)
class Concat:
    """Plain concatenation in priority order, as the spec's `loadData()` does."""

    def __call__(self, answers: Sequence[SourceRows]) -> Merged:
        return Merged(
            tuple(_tag_owned(row, a.source) if a.owned else tag(row, a.source) for a in answers for row in a.rows)
        )


@dataclass(frozen=True)
class PriorityDedup:
    """One row per `key`, taken from the highest-priority source that has it.

    `key` is a column or the columns of a composite key (`("tenant_id", "id")`). Rows without the
    key (or with a null in it: a `select` that left it out) cannot be matched and are all kept.
    """

    key: str | tuple[str, ...] = "id"

    def __call__(self, answers: Sequence[SourceRows]) -> Merged:
        owned = bool(answers) and all(a.owned for a in answers)
        pairs = [(a.source, a.rows) for a in answers]
        rows, duplicates = priority_dedup(pairs, key_texts(self.key), SOURCE_TAG, owned=owned)
        return Merged(rows, duplicates)


@dataclass(frozen=True)
class PreferNewest:
    """One row per `key`: the copy whose `field` is greatest; priority order breaks ties."""

    key: str | tuple[str, ...] = "id"
    field: str = "updated_at"

    def __call__(self, answers: Sequence[SourceRows]) -> Merged:
        first = PriorityDedup(self.key)(answers)
        if not first.duplicates:
            return first
        copies: dict[str, list[dict[str, Any]]] = {}
        for answer in answers:
            for row in answer.rows:
                value = key_value(row, self.key)
                if value is not None:
                    copies.setdefault(value, []).append(tag(row, answer.source))
        rows: list[Row] = []
        duplicates: list[Duplicate] = []
        for row in first.rows:
            value = key_value(row, self.key)
            group = copies.get(value, [row]) if value is not None else [row]
            best = max(group, key=lambda r: str(r.get(self.field) or ""))  # max keeps the first of ties
            rows.append(best)
            if len(group) > 1:
                others = tuple(str(r[SOURCE_TAG]) for r in group if r is not best)
                duplicates.append(Duplicate(str(value), str(best[SOURCE_TAG]), others))
        return Merged(tuple(rows), tuple(duplicates))


concat = Concat()
dedup_by_id = PriorityDedup("id")
