"""In-memory sources with scripted faults, for the write logic (no servers). Rows are stored by
their key's text (`RowKey.text`: the id, or a JSON array for a composite key)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fallback.client.errors import CallKind
from fallback.client.keys import DEFAULT_KEY, RowKey, TableKey
from fallback.client.results import Attempt, Op, Row

# What a call does: apply it or not, and what the caller sees.
BEHAVIOURS = ("ok", "refused", "lost_reply", "lost_request", "http_503")


class FakeSource:
    def __init__(self, name: str, script: Iterable[str] = ()) -> None:
        self.name = name
        self.script = list(script)
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}
        self.calls: list[Op] = []

    def rows(self, table: str = "t") -> dict[str, dict[str, Any]]:
        return self.tables.setdefault(table, {})

    def _next(self) -> str:
        return self.script.pop(0) if self.script else "ok"

    def _fail(self, op: Op, behaviour: str, row_id: str | None) -> Attempt:
        kind: CallKind = {"refused": "refused", "lost_reply": "reset", "lost_request": "timeout"}.get(behaviour, "http")
        ambiguous = behaviour in ("lost_reply", "lost_request") and op != "probe"
        return Attempt(self.name, op, kind, 1.0, row_id, ambiguous=ambiguous, status=503 if kind == "http" else None)

    async def upsert(self, table: str, row: Row, key: TableKey = DEFAULT_KEY) -> tuple[Attempt, list[dict[str, Any]]]:
        self.calls.append("upsert")
        behaviour, row_id = self._next(), key.of(row).text
        written: list[dict[str, Any]] = []
        if behaviour in ("ok", "lost_reply") and row_id not in self.rows(table):
            self.rows(table)[row_id] = dict(row)
            written = [dict(row)]
        if behaviour == "ok":
            return Attempt(self.name, "upsert", "ok", 1.0, row_id, count=len(written)), written
        return self._fail("upsert", behaviour, row_id), []

    async def probe(self, table: str, key: RowKey) -> tuple[Attempt, list[dict[str, Any]]]:
        self.calls.append("probe")
        behaviour, row_id = self._next(), key.text
        if behaviour != "ok":
            return self._fail("probe", behaviour, row_id), []
        found = [dict(self.rows(table)[row_id])] if row_id in self.rows(table) else []
        return Attempt(self.name, "probe", "ok", 1.0, row_id, count=len(found)), found

    async def delete(self, table: str, key: RowKey) -> tuple[Attempt, list[dict[str, Any]]]:
        self.calls.append("delete")
        behaviour, row_id = self._next(), key.text
        if behaviour != "ok":
            return self._fail("delete", behaviour, row_id), []
        gone = self.rows(table).pop(row_id, None)
        return Attempt(self.name, "delete", "ok", 1.0, row_id, count=int(gone is not None)), [gone] if gone else []


async def no_sleep(_: float) -> None:
    return None
