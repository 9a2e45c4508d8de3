"""The reference client: what the spec promises, built so that it holds during outages.

- Sources: as many as given (1 to 8, any names), in priority order; nothing here names them.
- `load`: every source queried in parallel, each under its own `Deadline` and breaker; rows
  merged by an explicit policy (default: one copy per primary key, highest priority wins,
  duplicates reported); all sources down -> the last-known-good snapshot (saved per source and
  query, at most every `snapshot_every` s), flagged `stale` with its age.
- `create`: idempotent failover in priority order (see `fallback.client.writes`).
- `update` / `delete` / `call("assign_mt5", ...)`: only the row's own source (`_db_source`);
  nothing elsewhere. Rows are named by their table's key (`tables`, from the project's schema;
  `id` for a table not named).
- supabase-py is configured not to defeat this: no postgrest retries, `httpx.Timeout` phases.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx

from fallback.client import console
from fallback.client.adaptive import AdaptiveCut, Answer, LatencyWindow, gather_with_cut
from fallback.client.breaker import CircuitBreaker, State
from fallback.client.cache import DEFAULT_CACHE_DIR, SnapshotCache
from fallback.client.config import Deadline, SourceConfig, sources_from_env, sources_from_stack
from fallback.client.errors import ConfigError, RoutingError
from fallback.client.flows import ASSIGN_MT5, AssignMt5, as_call
from fallback.client.keys import LoadQuery, RowKey, TableKeys, key_for
from fallback.client.merge import SOURCE_TAG, MergePolicy, PriorityDedup, SourceRows
from fallback.client.metrics import Metrics
from fallback.client.results import (
    Attempt,
    CallResult,
    DeleteResult,
    LoadResult,
    Outcome,
    PendingWrite,
    Resolution,
    Row,
    UpdateResult,
    WriteResult,
)
from fallback.client.source import Decoded, Rows, Source
from fallback.client.writes import WritePolicy, create, resolve

if TYPE_CHECKING:
    from fallback.stack.state import StackState

BreakerFactory = Callable[[str], CircuitBreaker]
DEFAULT_DEADLINE = Deadline()
DEFAULT_WRITE_POLICY = WritePolicy()
DEFAULT_ADAPTIVE = AdaptiveCut()


class ReferenceClient:
    name = "reference"

    def __init__(
        self,
        sources: Sequence[SourceConfig],
        *,
        deadline: Deadline = DEFAULT_DEADLINE,
        merge: MergePolicy | None = None,
        tables: TableKeys | None = None,
        breaker: BreakerFactory | None = CircuitBreaker,
        cache_dir: Path | str = DEFAULT_CACHE_DIR,
        write_policy: WritePolicy = DEFAULT_WRITE_POLICY,
        update_retries: int = 2,
        snapshot_every: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        adaptive: AdaptiveCut | None = DEFAULT_ADAPTIVE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`adaptive`: loads stop waiting for a source late for itself (`fallback.client.adaptive`);
        None keeps the static `deadline` alone. `clock` times the cut (tests inject one)."""
        if not sources:
            raise ConfigError("a client needs at least one source")
        names = [s.name for s in sources]
        if len(set(names)) != len(names):
            raise ConfigError(f"source names must be unique, got {names}")
        self.sources = tuple(
            Source.tuned(s, deadline, breaker(s.name) if breaker is not None else None, transport) for s in sources
        )
        self.merge = merge
        self.tables: TableKeys = dict(tables or {})
        self.write_policy = dataclasses.replace(write_policy, call_time=deadline.total)
        self.update_retries = update_retries
        self.snapshot_every = snapshot_every
        self._saved_at: dict[tuple[str, str], float] = {}
        self.cache = SnapshotCache(cache_dir)
        self._metrics = Metrics(names)
        self._pending: dict[tuple[str, str], PendingWrite] = {(p.table, p.row_id): p for p in self.cache.pending()}
        self._saving: set[asyncio.Task[None]] = set()
        self.adaptive = adaptive
        self._clock = clock
        self._late: set[asyncio.Task[Any]] = set()
        if adaptive is not None:
            for source in self.sources:
                source.window = LatencyWindow(adaptive)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> ReferenceClient:
        return cls(sources_from_env(env), **options)

    @classmethod
    def from_stack(
        cls, state: StackState, key: Literal["service_role", "anon"] = "service_role", **options: Any
    ) -> ReferenceClient:
        return cls(sources_from_stack(state, key), **options)

    @property
    def breakers(self) -> dict[str, CircuitBreaker]:
        return {s.name: s.breaker for s in self.sources if s.breaker is not None}

    @property
    def pending(self) -> tuple[PendingWrite, ...]:
        return tuple(self._pending.values())

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise RoutingError(f"no source named {name!r} (known: {', '.join(s.name for s in self.sources)})")

    async def load(
        self, table: str, *, select: str | None = None, filters: Sequence[str] = (), order: str | None = None
    ) -> LoadResult:
        query = LoadQuery.of(select, filters, order)
        snapshot = _snapshot_name(table, query)
        console.loading([s.name for s in self.sources])
        start = time.perf_counter()
        answers = await self._fan_out(snapshot, lambda s: s.select(table, query))
        attempts = tuple(a for a, _ in answers)
        for attempt in attempts:
            console.source_answer(table, attempt)
        # The rows were decoded from this load's responses: the client's own, so the merge tags them in place
        # (the snapshot takes the responses' JSON text, or a copy made before the merge: see `_save_later`).
        answered = [SourceRows(a.source, rows, owned=True) for a, rows in answers if a.ok]
        for answer in answered:
            self._save_later(snapshot, answer)
            self._settle_from_load(table, answer)
        merge = self._merge_for(table)
        if answered:
            merged = merge(answered)
            result = LoadResult(table, merged.rows, attempts, (time.perf_counter() - start) * 1000, merged.duplicates)
        else:
            result = await self._stale(table, snapshot, merge, attempts, start)
        console.merged(result)
        self._metrics.record_load(result)
        return result

    async def _fan_out(self, snapshot: str, read: Callable[[Source], Awaitable[tuple[Attempt, Rows]]]) -> list[Answer]:
        """Every source at once: all awaited (static), or each up to its adaptive cut, a cut call
        running on in the background and refreshing the last-known-good snapshot when it answers."""
        if self.adaptive is None:
            return list(await asyncio.gather(*(read(s) for s in self.sources)))
        calls = [
            (s.name, s.window if s.window is not None else LatencyWindow(self.adaptive), read(s)) for s in self.sources
        ]
        hard = self.write_policy.call_time
        late = lambda attempt, rows: self._save_later(snapshot, SourceRows(attempt.source, rows))  # noqa: E731
        return await gather_with_cut(calls, hard=hard, on_late=late, background=self._late, clock=self._clock)

    def _merge_for(self, table: str) -> MergePolicy:
        """The merge policy given, else one copy per primary key (highest priority wins)."""
        return self.merge if self.merge is not None else PriorityDedup(key_for(self.tables, table).columns)

    def _save_later(self, table: str, answer: SourceRows) -> None:
        """Snapshot a source's answer in the background, at most once per `snapshot_every` seconds
        per (table, source): writing SQLite on every load cost about half of a local load's time.
        What is saved is fixed now: the response's JSON text as it came (`Decoded.body`), else a JSON copy
        made here, never the rows themselves (the merge tags them in place and the caller gets them)."""
        now = time.monotonic()
        if now - self._saved_at.get((table, answer.source), -self.snapshot_every) < self.snapshot_every:
            return
        self._saved_at[(table, answer.source)] = now
        rows = answer.rows
        body = rows.body if isinstance(rows, Decoded) else None
        payload = body if body is not None else json.dumps([dict(r) for r in rows], default=str)
        task = asyncio.create_task(asyncio.to_thread(self.cache.save_json, table, answer.source, payload))
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)

    def _settle_from_load(self, table: str, answer: SourceRows) -> None:
        """A pending write whose source just listed the row has landed there: no probe needed."""
        if not any(p.table == table and p.source == answer.source for p in self._pending.values()):
            return  # the usual case: no key texts to compute for every row of every load
        table_key = key_for(self.tables, table)
        ids = {table_key.text_of(r) for r in answer.rows}
        for key, pending in list(self._pending.items()):
            if pending.table == table and pending.source == answer.source and pending.row_id in ids:
                self._forget(key)

    async def _stale(
        self, table: str, snapshot: str, merge: MergePolicy, attempts: tuple[Attempt, ...], start: float
    ) -> LoadResult:
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)
        snapshots = await asyncio.to_thread(self.cache.load, snapshot)
        latency = (time.perf_counter() - start) * 1000
        if not snapshots:
            return LoadResult(table, (), attempts, latency, error=f"no source answered and no snapshot of {table}")
        ordered = [snapshots[s.name] for s in self.sources if s.name in snapshots]
        merged = merge([SourceRows(s.source, s.rows, owned=True) for s in ordered])  # fresh from SQLite
        age = max(self.cache.age(s) for s in ordered)
        return LoadResult(
            table,
            merged.rows,
            attempts,
            latency,
            merged.duplicates,
            stale=True,
            stale_age_s=age,
            error="no source answered: showing the last-known-good snapshot",
        )

    async def create(self, table: str, row: Row) -> WriteResult:
        result = await create(self.sources, table, row, self.write_policy, key_for(self.tables, table))
        if result.pending is not None:
            self._pending[(table, result.pending.row_id)] = result.pending
            await asyncio.to_thread(self.cache.add_pending, result.pending)
        console.write_landed(table, result.source, result.outcome, result.row_id)
        self._metrics.record_write(result)
        return result

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        # Asked for explicitly, so the probes go out even through an open breaker.
        sources = [s.unguarded() for s in self.sources]
        resolutions = await asyncio.gather(
            *(resolve(sources, p, key_for(self.tables, p.table)) for p in self._pending.values())
        )
        for resolution in resolutions:
            if resolution.outcome == "ok":
                self._forget((resolution.pending.table, resolution.pending.row_id))
        return tuple(resolutions)

    def _forget(self, key: tuple[str, str]) -> None:
        pending = self._pending.pop(key, None)
        if pending is not None:
            self.cache.remove_pending(pending)

    async def update(self, table: str, row: Row, changes: Mapping[str, Any]) -> UpdateResult:
        source, key = self._route(table, row)
        outcome, attempts, written, latency = await self._routed(source, key, table, "update", changes)
        result = UpdateResult(table, key.text, source.name, outcome, attempts, latency, written)
        self._metrics.record_update(result)
        return result

    async def delete(self, table: str, row: Row) -> DeleteResult:
        source, key = self._route(table, row)
        outcome, attempts, removed, latency = await self._routed(source, key, table, "delete", None)
        result = DeleteResult(table, key.text, source.name, outcome, attempts, latency, removed)
        self._metrics.record_update(result)
        return result

    async def _routed(
        self,
        source: Source,
        key: RowKey,
        table: str,
        op: Literal["update", "delete"],
        changes: Mapping[str, Any] | None,
    ) -> tuple[Outcome, tuple[Attempt, ...], Row | None, float]:
        """One PATCH or DELETE by key to the row's own source, re-sent after an ambiguous failure
        (both are idempotent). A DELETE that finds no row after an ambiguous one: the row is gone, ok."""
        start = time.perf_counter()
        attempts: list[Attempt] = []
        outcome: Outcome = "fail"
        written: Row | None = None
        for _ in range(1 + self.update_retries):
            attempt, rows = await (
                source.update(table, key, changes or {}) if op == "update" else source.delete(table, key)
            )
            gone_already = op == "delete" and any(a.ambiguous for a in attempts)
            if attempt.ok and not rows and not gone_already:
                attempt = dataclasses.replace(
                    attempt, kind="not_found", count=0, message=f"no row {key.text} in {table}"
                )
            attempts.append(attempt)
            if attempt.ok:
                outcome, written = "ok", ({**rows[0], SOURCE_TAG: source.name} if rows else None)
                break
            if not attempt.ambiguous:
                outcome = "indeterminate" if any(a.ambiguous for a in attempts) else "fail"
                break
            outcome = "indeterminate"
        return outcome, tuple(attempts), written, (time.perf_counter() - start) * 1000

    def _route(self, table: str, row: Row) -> tuple[Source, RowKey]:
        tag = row.get(SOURCE_TAG)
        if not tag:
            raise RoutingError(f"a row needs `{SOURCE_TAG}` to be routed (got keys {sorted(row)})")
        return self.source(str(tag)), key_for(self.tables, table).of(row)

    async def call(self, name: str, args: Mapping[str, Any]) -> CallResult:
        """`assign_mt5` (the spec's Test 3); any other flow is the database function of that name
        (`POST /rpc/<name>`), sent once to the row's own source when `args` carry a `row`, else to the
        highest-priority source whose breaker lets it through: a flow may write, so it never fails over."""
        if name != ASSIGN_MT5:
            return await self._rpc(name, args)
        flow = AssignMt5.parse(args)
        source, _ = self._route(flow.table, flow.row)
        console.assigning(source.name)
        result = await self.update(flow.table, flow.row, flow.changes())
        last = result.attempts[-1] if result.attempts else None
        console.assigned(source.name, result.outcome == "ok", last.label if last else "")
        return as_call(name, result)

    async def _rpc(self, name: str, args: Mapping[str, Any]) -> CallResult:
        row, table = args.get("row"), args.get("table")
        params = {k: v for k, v in args.items() if k not in ("row", "table")}
        start = time.perf_counter()
        if isinstance(row, Mapping):
            source, key = self._route(str(table or ""), row)
            row_id: str | None = key.text if table else None
        else:
            allowed = [s for s in self.sources if s.breaker is None or s.breaker.state is not State.OPEN]
            source, row_id = (allowed or list(self.sources))[0], None
        attempt, rows = await source.rpc(name, params)
        result = CallResult(
            name,
            "ok" if attempt.ok else "indeterminate" if attempt.ambiguous else "fail",
            (attempt,),
            (time.perf_counter() - start) * 1000,
            source=source.name,
            table=str(table) if table else None,
            row_id=row_id,
            row={**rows[0], SOURCE_TAG: source.name} if len(rows) == 1 else None,
            value=rows,
        )
        self._metrics.record_update(result)
        return result

    def metrics(self) -> dict[str, Any]:
        data = self._metrics.snapshot()
        data["breakers"] = {name: b.state.value for name, b in self.breakers.items()}
        data["pending_writes"] = len(self._pending)
        data["adaptive"] = {s.name: s.window.snapshot() for s in self.sources if s.window is not None}
        return data

    async def aclose(self) -> None:
        if self._late:  # cut calls end by their hard deadline at the latest
            await asyncio.gather(*self._late, return_exceptions=True)
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)
        await asyncio.gather(*(s.aclose() for s in self.sources))

    async def __aenter__(self) -> ReferenceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _snapshot_name(table: str, query: LoadQuery) -> str:
    """Snapshots are kept per table and query: a filtered load must not be served the whole table."""
    if query.plain:
        return table
    return f"{table}?select={query.columns}&" + "&".join(f"{k}={v}" for k, v in query.params())
