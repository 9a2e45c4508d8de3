"""The final contents of every database, indexed for the checks, and the seed keys.

Given as plain data by the engine (which reads them with SQL):
`final = {source: {table: [row, ...]}}`; `seed = {source: {table: [key, ...]}}`;
`keys = {table: (column, ...)}`, each table's primary key from the project's schema (`id` for a
table not named). A row is named by its key's text (`fallback.client.keys.key_text`: the value,
or a JSON array of the values of a composite key), the same text the history records. A row
carries a create's marker when any of its text values is `op-<id>@harness.test` (the engine
writes it in the table's marker column); op tokens (`op-<id>`) are found in any column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fallback.client.keys import key_text
from fallback.history import TOKEN, marker_op_id

Row = Mapping[str, Any]
FinalData = Mapping[str, Mapping[str, Sequence[Row]]]
SeedData = Mapping[str, Mapping[str, Iterable[Any]]]
KeyColumns = Mapping[str, Sequence[str]]
"""Table -> its primary-key columns."""
Found = tuple[str, Row]
"""(source, row)."""


class FinalState:
    def __init__(self, final: FinalData, seed: SeedData | None = None, keys: KeyColumns | None = None) -> None:
        self.sources: tuple[str, ...] = tuple(final)
        self._rows = final
        self._keys = {t: tuple(columns) for t, columns in (keys or {}).items()}
        self._seed = {s: {t: {str(i) for i in ids} for t, ids in tables.items()} for s, tables in (seed or {}).items()}
        self._by_id: dict[tuple[str, str], list[Found]] = {}
        self._by_marker: dict[tuple[str, int], list[Found]] = {}
        self._by_token_value: dict[tuple[str, str, str], list[Found]] = {}
        self._by_token: dict[tuple[str, str], list[Found]] = {}
        for source, tables in final.items():
            for table, rows in tables.items():
                for row in rows:
                    row_key = self.key_of(table, row)
                    if row_key is not None:
                        self._by_id.setdefault((table, row_key), []).append((source, row))
                    op_id = marker_of(row)
                    if op_id is not None:
                        self._by_marker.setdefault((table, op_id), []).append((source, row))
                    for key, value in row.items():
                        if isinstance(value, str) and TOKEN.search(value):
                            self._by_token_value.setdefault((table, key, value), []).append((source, row))
                            self._by_token.setdefault((table, value), []).append((source, row))

    def key_columns(self, table: str) -> tuple[str, ...]:
        return self._keys.get(table, ("id",))

    def key_of(self, table: str, row: Row) -> str | None:
        """The row's key as text, None when a key column is null (a keyless table's rows are not indexed)."""
        values = [row.get(c) for c in self.key_columns(table)]
        return None if any(v is None for v in values) else key_text(values)

    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for tables in self._rows.values() for t in tables))

    def rows(self, source: str, table: str) -> Sequence[Row]:
        return self._rows.get(source, {}).get(table, ())

    def with_id(self, table: str, row_id: str) -> list[Found]:
        return list(self._by_id.get((table, row_id), ()))

    def with_marker(self, table: str, op_id: int) -> list[Found]:
        """Rows whose `email` is `op_marker(op_id)`: what that create wrote, wherever it landed."""
        return list(self._by_marker.get((table, op_id), ()))

    def with_value(self, table: str, key: str, value: str) -> list[Found]:
        """Rows whose `key` equals `value`, for values carrying an op token (`op-<id>`) only."""
        return list(self._by_token_value.get((table, key, value), ()))

    def with_token_value(self, table: str, value: str) -> list[Found]:
        """Rows holding `value` (carrying an op token) in any column: where a call's arguments went."""
        return list(self._by_token.get((table, value), ()))

    def ids(self) -> dict[tuple[str, str], list[Found]]:
        return self._by_id

    def markers(self) -> dict[tuple[str, int], list[Found]]:
        return self._by_marker

    def seeded(self, source: str, table: str, row_id: str) -> bool:
        return row_id in self._seed.get(source, {}).get(table, set())


def marker_of(row: Row) -> int | None:
    """The op id of the create marker the row carries (in whichever column), None for others."""
    for value in row.values():
        op_id = marker_op_id(value)
        if op_id is not None:
            return op_id
    return None


def places(found: Iterable[Found]) -> tuple[str, ...]:
    """The sources of `found`, with repeats (a row twice in one source counts twice)."""
    return tuple(source for source, _ in found)


def short(row_id: str | None) -> str:
    """A uuid's first 8 characters; other keys (ints, composite keys) whole."""
    text = row_id or "?"
    return text[:8] if len(text) == 36 and text.count("-") == 4 else text
