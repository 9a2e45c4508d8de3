"""The final contents of every database, indexed for the checks, and the seed ids.

Given as plain data by the engine (which reads them with SQL):
`final = {source: {table: [row, ...]}}`, each row a mapping with at least `id` (and `email`,
`mt5_login`, ...); `seed = {source: {table: [id, ...]}}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fallback.history import TOKEN, marker_op_id

Row = Mapping[str, Any]
FinalData = Mapping[str, Mapping[str, Sequence[Row]]]
SeedData = Mapping[str, Mapping[str, Iterable[Any]]]
Found = tuple[str, Row]
"""(source, row)."""


class FinalState:
    def __init__(self, final: FinalData, seed: SeedData | None = None) -> None:
        self.sources: tuple[str, ...] = tuple(final)
        self._rows = final
        self._seed = {s: {t: {str(i) for i in ids} for t, ids in tables.items()} for s, tables in (seed or {}).items()}
        self._by_id: dict[tuple[str, str], list[Found]] = {}
        self._by_marker: dict[tuple[str, int], list[Found]] = {}
        self._by_token_value: dict[tuple[str, str, str], list[Found]] = {}
        for source, tables in final.items():
            for table, rows in tables.items():
                for row in rows:
                    self._by_id.setdefault((table, str(row.get("id"))), []).append((source, row))
                    op_id = marker_op_id(row.get("email"))
                    if op_id is not None:
                        self._by_marker.setdefault((table, op_id), []).append((source, row))
                    for key, value in row.items():
                        if isinstance(value, str) and TOKEN.search(value):
                            self._by_token_value.setdefault((table, key, value), []).append((source, row))

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

    def ids(self) -> dict[tuple[str, str], list[Found]]:
        return self._by_id

    def markers(self) -> dict[tuple[str, int], list[Found]]:
        return self._by_marker

    def seeded(self, source: str, table: str, row_id: str) -> bool:
        return row_id in self._seed.get(source, {}).get(table, set())


def places(found: Iterable[Found]) -> tuple[str, ...]:
    """The sources of `found`, with repeats (a row twice in one source counts twice)."""
    return tuple(source for source, _ in found)


def short(row_id: str | None) -> str:
    return (row_id or "?")[:8]
