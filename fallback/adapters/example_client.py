"""A minimal `FallbackClient` to copy: one source, plain httpx, no fallback at all.

Run the harness on it with `--client fallback.adapters.example_client:make_client` (or your copy's
`package.module:factory`). The factory gets the sources in priority order; this client uses only
the first, so every outage of it is an outage of the app: a baseline to compare fallbacks with.
Rules every client follows: never raise because a source failed (return a result whose attempts
say what happened), tag rows with `_db_source`, send an update or a delete only to the row's own
source, and name a row by its table's primary key (`tables`; `id` when not given).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from fallback.client import (
    Attempt,
    CallResult,
    DeleteResult,
    LoadQuery,
    LoadResult,
    Resolution,
    RowKey,
    SourceConfig,
    TableKeys,
    UpdateResult,
    WriteResult,
)
from fallback.client.errors import classify
from fallback.client.keys import key_for
from fallback.client.results import Op, Outcome, Row


class SingleSourceClient:
    name = "example_single_source"

    def __init__(self, sources: Sequence[SourceConfig], tables: TableKeys | None = None) -> None:
        self.source = sources[0]
        self.tables: TableKeys = dict(tables or {})
        auth = {"apikey": self.source.key, "Authorization": f"Bearer {self.source.key}"}
        self.http = httpx.AsyncClient(base_url=f"{self.source.url}/rest/v1", headers=auth, timeout=5.0)

    async def _call(
        self, op: Op, method: str, path: str, row_id: str | None = None, **kw: Any
    ) -> tuple[Attempt, list[Any]]:
        start, name = time.perf_counter(), self.source.name
        try:
            response = await self.http.request(method, path, headers={"Prefer": "return=representation"}, **kw)
        except httpx.HTTPError as exc:  # classify: refused / timeout / reset ..., and whether a write may have landed
            failure = classify(exc, secrets=(self.source.key,))
            ms = (time.perf_counter() - start) * 1000
            return Attempt(name, op, failure.kind, ms, row_id, ambiguous=failure.ambiguous and op != "select"), []
        ms = (time.perf_counter() - start) * 1000
        if response.is_error:
            return Attempt(name, op, "http", ms, row_id, status=response.status_code), []
        rows = [{**r, "_db_source": name} for r in response.json()]
        return Attempt(name, op, "ok", ms, row_id, count=len(rows), status=response.status_code), rows

    async def load(
        self, table: str, *, select: str | None = None, filters: Sequence[str] = (), order: str | None = None
    ) -> LoadResult:
        query = LoadQuery.of(select, filters, order)  # PostgREST's syntax, passed through as query parameters
        params = [("select", query.columns), *query.params()]
        attempt, rows = await self._call("select", "GET", f"/{table}", params=params)
        return LoadResult(table, tuple(rows), (attempt,), attempt.latency_ms)

    async def create(self, table: str, row: Row) -> WriteResult:
        body = {k: v for k, v in row.items() if k != "_db_source"}
        attempt, rows = await self._call("insert", "POST", f"/{table}", json=body)
        row_id, source = (key_for(self.tables, table).text_of(rows[0]), self.source.name) if rows else (None, None)
        return WriteResult(table, row_id, source, _outcome(attempt, rows), (attempt,), attempt.latency_ms, *rows[:1])

    def _where(self, table: str, row: Row) -> tuple[RowKey, dict[str, str]]:
        """The row's key, as PostgREST filters selecting only this row (`id=eq.<id>`, each key column)."""
        key = key_for(self.tables, table).of(row)
        return key, {column: f"eq.{value}" for column, value in key.parts}

    async def update(self, table: str, row: Row, changes: Mapping[str, Any]) -> UpdateResult:
        key, query = self._where(table, row)
        attempt, rows = await self._call("update", "PATCH", f"/{table}", key.text, params=query, json=dict(changes))
        outcome = _outcome(attempt, rows)
        return UpdateResult(table, key.text, self.source.name, outcome, (attempt,), attempt.latency_ms, *rows[:1])

    async def delete(self, table: str, row: Row) -> DeleteResult:
        key, query = self._where(table, row)
        attempt, rows = await self._call("delete", "DELETE", f"/{table}", key.text, params=query)
        outcome = _outcome(attempt, rows)
        return DeleteResult(table, key.text, self.source.name, outcome, (attempt,), attempt.latency_ms, *rows[:1])

    async def call(self, name: str, args: Mapping[str, Any]) -> CallResult:
        """The app's flows by name; a name this client does not know fails as `unsupported`."""
        if name != "assign_mt5":
            return CallResult(name, "fail", (), 0.0, value=f"unknown flow {name!r}", unsupported=True)
        row, table = args["row"], str(args.get("table") or "user_challenges")
        changes = {"mt5_login": args["login"], "mt5_password": args["password"], "mt5_server": args["server"]}
        done = await self.update(table, row, changes)
        return CallResult(name, done.outcome, done.attempts, done.latency_ms, done.source, table, done.row_id, done.row)

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        return ()  # no pending-write bookkeeping in this client

    def metrics(self) -> dict[str, Any]:
        return {}

    async def aclose(self) -> None:
        await self.http.aclose()


def _outcome(attempt: Attempt, rows: list[Any]) -> Outcome:
    """No row back: `indeterminate` if the request may have been applied (ambiguous), else `fail`."""
    return "ok" if rows else "indeterminate" if attempt.ambiguous else "fail"


def make_client(sources: Sequence[SourceConfig], tables: TableKeys | None = None) -> SingleSourceClient:
    """The factory `--client fallback.adapters.example_client:make_client` calls. A factory that takes
    `tables` gets the primary key of every table of the project (without it, rows are keyed by `id`)."""
    return SingleSourceClient(sources, tables)
