"""A minimal `FallbackClient` to copy: one source, plain httpx, no fallback at all.

Run the harness on it with `--client fallback.adapters.example_client:make_client` (or your copy's
`package.module:factory`). The factory gets the sources in priority order; this client uses only
the first, so every outage of it is an outage of the app: a baseline to compare fallbacks with.
Rules every client follows: never raise because a source failed (return a result whose attempts
say what happened), tag rows with `_db_source`, and send an update only to the row's own source.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from fallback.client import Attempt, LoadResult, Resolution, SourceConfig, UpdateResult, WriteResult
from fallback.client.errors import classify
from fallback.client.results import Op, Outcome, Row


class SingleSourceClient:
    name = "example_single_source"

    def __init__(self, sources: Sequence[SourceConfig]) -> None:
        self.source = sources[0]
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

    async def load(self, table: str) -> LoadResult:
        attempt, rows = await self._call("select", "GET", f"/{table}", params={"select": "*"})
        return LoadResult(table, tuple(rows), (attempt,), attempt.latency_ms)

    async def create(self, table: str, row: Row) -> WriteResult:
        body = {k: v for k, v in row.items() if k != "_db_source"}
        attempt, rows = await self._call("insert", "POST", f"/{table}", json=body)
        row_id, source = (str(rows[0]["id"]), self.source.name) if rows else (None, None)
        return WriteResult(table, row_id, source, _outcome(attempt, rows), (attempt,), attempt.latency_ms, *rows[:1])

    async def update(self, row: Row, changes: Mapping[str, Any], table: str = "user_challenges") -> UpdateResult:
        row_id = str(row["id"])
        path, query = f"/{table}", {"id": f"eq.{row_id}"}  # PostgREST filter: only this row
        attempt, rows = await self._call("update", "PATCH", path, row_id, params=query, json=dict(changes))
        outcome = _outcome(attempt, rows)
        return UpdateResult(table, row_id, self.source.name, outcome, (attempt,), attempt.latency_ms, *rows[:1])

    async def assign_mt5(self, row: Row, login: str, password: str, server: str) -> UpdateResult:
        return await self.update(row, {"mt5_login": login, "mt5_password": password, "mt5_server": server})

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        return ()  # no pending-write bookkeeping in this client

    def metrics(self) -> dict[str, Any]:
        return {}

    async def aclose(self) -> None:
        await self.http.aclose()


def _outcome(attempt: Attempt, rows: list[Any]) -> Outcome:
    """No row back: `indeterminate` if the request may have been applied (ambiguous), else `fail`."""
    return "ok" if rows else "indeterminate" if attempt.ambiguous else "fail"


def make_client(sources: Sequence[SourceConfig]) -> SingleSourceClient:
    """The factory `--client fallback.adapters.example_client:make_client` calls."""
    return SingleSourceClient(sources)
