"""One in-memory `FallbackClient` for the tests of the engine and the explorer (no servers).

Rows live in plain lists per source and table (`{source: {table: [row, ...]}}`); every call
answers at once. A test plants a behaviour by subclassing (a create that never answers, a write
acknowledged and dropped) or by passing `cut` (a source whose calls are refused while it returns
True), and shares the protocol's no-op tail (`resolve_pending`, `metrics`, `aclose`).

`tests/adapters/fake_client.py` is a different double: a process that speaks the wire protocol,
for the subprocess adapter's own tests. `tests/client/fakes.py` fakes one source, under a client.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fallback.client.results import (
    Attempt,
    CallResult,
    DeleteResult,
    LoadResult,
    Resolution,
    Row,
    UpdateResult,
    WriteResult,
)

Rows = dict[str, dict[str, list[dict[str, Any]]]]


class MemoryClient:
    """Loads read every source in order (a cut one is `refused`), creates go to the first source,
    updates go to the row's own `_db_source` (`not_found` when the row is not there)."""

    name = "memory"

    def __init__(self, db: Rows, cut: Callable[[str], bool] = lambda source: False) -> None:
        self.db = db
        self.sources = tuple(db)
        self.cut = cut
        self.updates: list[tuple[str, Mapping[str, Any]]] = []
        """(source, changes) of every update sent, in order."""

    def rows(self, source: str, table: str = "user_challenges") -> list[dict[str, Any]]:
        return self.db[source].setdefault(table, [])

    def keep(self, source: str, table: str, row: dict[str, Any]) -> None:
        """Store a created row (override to drop it)."""
        self.rows(source, table).append(row)

    async def load(
        self, table: str, *, select: str | None = None, filters: Sequence[str] = (), order: str | None = None
    ) -> LoadResult:
        """Queries are not evaluated here: every row of the table, whatever `select`/`filters`/`order` say."""
        rows: list[Row] = []
        attempts = []
        for source in self.sources:
            if self.cut(source):
                attempts.append(Attempt(source, "select", "refused", 1.0))
                continue
            stored = self.rows(source, table)
            attempts.append(Attempt(source, "select", "ok", 1.0, count=len(stored)))
            rows += [{**r, "_db_source": source} for r in stored]
        return LoadResult(table, tuple(rows), tuple(attempts), 1.0)

    async def create(self, table: str, row: Row) -> WriteResult:
        source = self.sources[0]
        saved = {**row, "id": str(uuid.uuid4())}
        self.keep(source, table, saved)
        attempt = Attempt(source, "insert", "ok", 1.0, saved["id"])
        return WriteResult(table, saved["id"], source, "ok", (attempt,), 1.0, {**saved, "_db_source": source})

    async def update(self, table: str, row: Row, changes: Mapping[str, Any]) -> UpdateResult:
        source, row_id = str(row["_db_source"]), str(row["id"])
        self.updates.append((source, changes))
        for stored in self.rows(source, table):
            if str(stored["id"]) == row_id:
                stored.update(changes)
                return UpdateResult(table, row_id, source, "ok", (Attempt(source, "update", "ok", 1.0, row_id),), 1.0)
        return UpdateResult(table, row_id, source, "fail", (Attempt(source, "update", "not_found", 1.0, row_id),), 1.0)

    async def delete(self, table: str, row: Row) -> DeleteResult:
        source, row_id = str(row["_db_source"]), str(row["id"])
        kept = [r for r in self.rows(source, table) if str(r["id"]) != row_id]
        found = len(kept) < len(self.rows(source, table))
        self.db[source][table] = kept
        attempt = Attempt(source, "delete", "ok" if found else "not_found", 1.0, row_id)
        return DeleteResult(table, row_id, source, "ok" if found else "fail", (attempt,), 1.0)

    async def call(self, name: str, args: Mapping[str, Any]) -> CallResult:
        """Only the spec's `assign_mt5`; any other flow is unsupported."""
        if name != "assign_mt5":
            return CallResult(name, "fail", (), 0.0, unsupported=True)
        changes = {"mt5_login": args["login"], "mt5_password": args["password"], "mt5_server": args["server"]}
        done = await self.update(str(args.get("table") or "user_challenges"), args["row"], changes)
        return CallResult(name, done.outcome, done.attempts, 1.0, done.source, done.table, done.row_id)

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        return ()

    def metrics(self) -> dict[str, Any]:
        return {}

    async def aclose(self) -> None:
        return None
