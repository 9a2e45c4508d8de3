"""The spec's client as written, in Python: the baseline the reference client is measured against.

Reproduced from "How It Works" and "Data Flow Example":

- `load`: three awaits one after another (PRIMARY, then BOLT, then OLD; with another number of
  sources, one per source in priority order), each in its own try/except, then plain
  concatenation with `_db_source` tags. No deadlines beyond the client's
  defaults, no cache: when all fail it logs the spec's "showing cached data" line and returns
  nothing, which is what the spec's code does.
- `create`: plain insert (the database generates the id: key columns the database can fill are
  dropped from the row) on PRIMARY; on any error BOLT, then OLD, then an error. No idempotency: a
  lost reply followed by failover can leave two rows.
- `update`: routed by `_db_source` with the spec's ternary (PRIMARY, BOLT, anything else -> OLD;
  in general: any source but the last by name, anything else -> the last). `delete` (not in the
  spec) is routed the same way; `call("assign_mt5", ...)` is the spec's Test 3.
- supabase-py with its defaults (`create_client(url, key)`): postgrest retries on (a refused
  GET is retried after 1, 2 and 4 s), a 120 s timeout.

Differences from the JavaScript, and why:

- supabase-js returns `{data, error}` and does not throw, so the spec's `catch` blocks never
  run there, and `primaryData.length` is read from the response object, not its rows.
  supabase-py raises (`APIError`, httpx errors), so here the `except` does catch them, and we
  take `.data`: the evident intent of the spec's code.
- The spec's `update({...})` shows no filter; we add `.eq("id", row["id"])` (each key column
  of the table), as any real caller must (without it PostgREST refuses an unfiltered update, or updates every row).
- Results are recorded in the same types as the reference client (attempts, latencies,
  outcome kinds) so the harness can drive both; recording changes no behaviour.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from fallback.client import console
from fallback.client.config import SourceConfig, sources_from_env, sources_from_stack
from fallback.client.errors import ConfigError
from fallback.client.flows import ASSIGN_MT5, AssignMt5, as_call, unsupported
from fallback.client.keys import LoadQuery, RowKey, TableKeys, key_for
from fallback.client.merge import SOURCE_TAG, SourceRows, concat
from fallback.client.metrics import Metrics
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
from fallback.client.source import Source

if TYPE_CHECKING:
    from fallback.stack.state import StackState


class SpecFaithfulClient:
    name = "spec_faithful"

    def __init__(self, sources: Sequence[SourceConfig], *, tables: TableKeys | None = None) -> None:
        if not sources:
            raise ConfigError("a client needs at least one source")
        self.sources = tuple(Source.defaults(s) for s in sources)
        self.tables: TableKeys = dict(tables or {})
        self._metrics = Metrics([s.name for s in sources])

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SpecFaithfulClient:
        return cls(sources_from_env(env))

    @classmethod
    def from_stack(cls, state: StackState, key: Literal["service_role", "anon"] = "service_role") -> SpecFaithfulClient:
        return cls(sources_from_stack(state, key))

    async def load(
        self, table: str, *, select: str | None = None, filters: Sequence[str] = (), order: str | None = None
    ) -> LoadResult:
        query = LoadQuery.of(select, filters, order)
        console.loading([s.name for s in self.sources])
        start = time.perf_counter()
        attempts: list[Attempt] = []
        answered: list[SourceRows] = []
        for source in self.sources:  # Step 1, 2, 3: one await after another
            attempt, rows = await source.select(table, query)
            console.source_answer(table, attempt)
            attempts.append(attempt)
            if attempt.ok:
                answered.append(SourceRows(source.name, rows))
        merged = concat(answered)  # Step 4: MERGE all data
        error = None if answered else f"no source answered for {table} (the spec's code has no cache)"
        result = LoadResult(table, merged.rows, tuple(attempts), (time.perf_counter() - start) * 1000, error=error)
        console.merged(result)
        self._metrics.record_load(result)
        return result

    async def create(self, table: str, row: Row) -> WriteResult:
        start = time.perf_counter()
        key = key_for(self.tables, table)
        dropped = set(key.columns) if key.generated else set()  # the database chooses the id, as in the spec
        body = {k: v for k, v in row.items() if k != SOURCE_TAG and k not in dropped}
        attempts: list[Attempt] = []
        for source in self.sources:  # Tries PRIMARY, then BOLT, then OLD
            attempt, rows = await source.insert(table, body)
            attempts.append(attempt)
            if attempt.ok and rows:
                saved = {**rows[0], SOURCE_TAG: source.name}
                row_id = key.text_of(saved)
                result = WriteResult(
                    table, row_id, source.name, "ok", tuple(attempts), (time.perf_counter() - start) * 1000, saved
                )
                break
        else:
            result = WriteResult(table, None, None, "fail", tuple(attempts), (time.perf_counter() - start) * 1000)
        console.write_landed(table, result.source, result.outcome, result.row_id)
        self._metrics.record_write(result)
        return result

    def _route(self, table: str, row: Row) -> tuple[Source, RowKey]:
        key = key_for(self.tables, table).of(row)
        tag = row.get(SOURCE_TAG)
        for source in self.sources[:-1]:
            if source.name == tag:
                return source, key
        return self.sources[-1], key  # the spec's ternary: anything else -> oldSupabase

    async def update(self, table: str, row: Row, changes: Mapping[str, Any]) -> UpdateResult:
        source, key = self._route(table, row)
        start = time.perf_counter()
        attempt, rows = await source.update(table, key, changes)
        ok = attempt.ok and bool(rows)
        if attempt.ok and not rows:
            attempt = Attempt(source.name, "update", "not_found", attempt.latency_ms, key.text, count=0)
        result = UpdateResult(
            table,
            key.text,
            source.name,
            "ok" if ok else "fail",
            (attempt,),
            (time.perf_counter() - start) * 1000,
            {**rows[0], SOURCE_TAG: source.name} if ok else None,
        )
        self._metrics.record_update(result)
        return result

    async def delete(self, table: str, row: Row) -> DeleteResult:
        """Not in the spec; written like its routed update (the same ternary), sent once."""
        source, key = self._route(table, row)
        start = time.perf_counter()
        attempt, rows = await source.delete(table, key)
        ok = attempt.ok and bool(rows)
        if attempt.ok and not rows:
            attempt = Attempt(source.name, "delete", "not_found", attempt.latency_ms, key.text, count=0)
        result = DeleteResult(
            table,
            key.text,
            source.name,
            "ok" if ok else "fail",
            (attempt,),
            (time.perf_counter() - start) * 1000,
            {**rows[0], SOURCE_TAG: source.name} if ok else None,
        )
        self._metrics.record_update(result)
        return result

    async def call(self, name: str, args: Mapping[str, Any]) -> CallResult:
        if name != ASSIGN_MT5:
            return unsupported(name)
        flow = AssignMt5.parse(args)
        source, _ = self._route(flow.table, flow.row)
        console.assigning(source.name)
        result = await self.update(flow.table, flow.row, flow.changes())
        console.assigned(source.name, result.outcome == "ok", result.attempts[-1].label)
        return as_call(name, result)

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        return ()  # the spec's client does not know a write can be ambiguous

    def metrics(self) -> dict[str, Any]:
        return self._metrics.snapshot()

    async def aclose(self) -> None:
        for source in self.sources:
            await source.aclose()
