"""The reference client: what the spec promises, built so that it holds during outages.

- `load`: every source queried in parallel, each under its own `Deadline` and breaker; rows
  merged by an explicit policy (default: one copy per id, highest priority wins, duplicates
  reported); all sources down -> the last-known-good snapshot (saved per source, at most every
  `snapshot_every` s), flagged `stale` with its age.
- `create`: idempotent failover PRIMARY -> BOLT -> OLD (see `fallback.client.writes`).
- `update` / `assign_mt5`: only the row's own source (`_db_source`); nothing elsewhere.
- supabase-py is configured not to defeat this: no postgrest retries, `httpx.Timeout` phases.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx

from fallback.client import console
from fallback.client.adaptive import AdaptiveCut, Answer, LatencyWindow, gather_with_cut
from fallback.client.breaker import CircuitBreaker
from fallback.client.cache import DEFAULT_CACHE_DIR, SnapshotCache
from fallback.client.config import Deadline, SourceConfig, sources_from_env, sources_from_stack
from fallback.client.errors import ConfigError, RoutingError
from fallback.client.merge import SOURCE_TAG, MergePolicy, SourceRows, dedup_by_id
from fallback.client.metrics import Metrics
from fallback.client.results import Attempt, LoadResult, PendingWrite, Resolution, Row, UpdateResult, WriteResult
from fallback.client.source import Rows, Source
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
        merge: MergePolicy = dedup_by_id,
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

    async def load(self, table: str) -> LoadResult:
        console.loading([s.name for s in self.sources])
        start = time.perf_counter()
        answers = await self._fan_out(table, lambda s: s.select_all(table))
        attempts = tuple(a for a, _ in answers)
        for attempt in attempts:
            console.source_answer(table, attempt)
        answered = [SourceRows(a.source, rows) for a, rows in answers if a.ok]
        for answer in answered:
            self._save_later(table, answer)
            self._settle_from_load(table, answer)
        if answered:
            merged = self.merge(answered)
            result = LoadResult(table, merged.rows, attempts, (time.perf_counter() - start) * 1000, merged.duplicates)
        else:
            result = await self._stale(table, attempts, start)
        console.merged(result)
        self._metrics.record_load(result)
        return result

    async def _fan_out(self, table: str, read: Callable[[Source], Awaitable[tuple[Attempt, Rows]]]) -> list[Answer]:
        """Every source at once: all awaited (static), or each up to its adaptive cut, a cut call
        running on in the background and refreshing the last-known-good snapshot when it answers."""
        if self.adaptive is None:
            return list(await asyncio.gather(*(read(s) for s in self.sources)))
        calls = [(s.name, s.window or LatencyWindow(self.adaptive), read(s)) for s in self.sources]
        hard = self.write_policy.call_time
        late = lambda attempt, rows: self._save_later(table, SourceRows(attempt.source, rows))  # noqa: E731
        return await gather_with_cut(calls, hard=hard, on_late=late, background=self._late, clock=self._clock)

    def _save_later(self, table: str, answer: SourceRows) -> None:
        """Snapshot a source's answer in the background, at most once per `snapshot_every` seconds
        per (table, source): writing SQLite on every load cost about half of a local load's time."""
        now = time.monotonic()
        if now - self._saved_at.get((table, answer.source), -self.snapshot_every) < self.snapshot_every:
            return
        self._saved_at[(table, answer.source)] = now
        task = asyncio.create_task(asyncio.to_thread(self.cache.save, table, answer.source, answer.rows))
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)

    def _settle_from_load(self, table: str, answer: SourceRows) -> None:
        """A pending write whose source just listed the row has landed there: no probe needed."""
        ids = {str(r.get("id")) for r in answer.rows}
        for key, pending in list(self._pending.items()):
            if pending.table == table and pending.source == answer.source and pending.row_id in ids:
                self._forget(key)

    async def _stale(self, table: str, attempts: tuple[Attempt, ...], start: float) -> LoadResult:
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)
        snapshots = await asyncio.to_thread(self.cache.load, table)
        latency = (time.perf_counter() - start) * 1000
        if not snapshots:
            return LoadResult(table, (), attempts, latency, error=f"no source answered and no snapshot of {table}")
        ordered = [snapshots[s.name] for s in self.sources if s.name in snapshots]
        merged = self.merge([SourceRows(s.source, s.rows) for s in ordered])
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
        result = await create(self.sources, table, row, self.write_policy)
        if result.pending is not None:
            self._pending[(table, result.pending.row_id)] = result.pending
            await asyncio.to_thread(self.cache.add_pending, result.pending)
        console.write_landed(table, result.source, result.outcome, result.row_id)
        self._metrics.record_write(result)
        return result

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        # Asked for explicitly, so the probes go out even through an open breaker.
        sources = [s.unguarded() for s in self.sources]
        resolutions = await asyncio.gather(*(resolve(sources, p) for p in self._pending.values()))
        for resolution in resolutions:
            if resolution.outcome == "ok":
                self._forget((resolution.pending.table, resolution.pending.row_id))
        return tuple(resolutions)

    def _forget(self, key: tuple[str, str]) -> None:
        pending = self._pending.pop(key, None)
        if pending is not None:
            self.cache.remove_pending(pending)

    async def update(self, row: Row, changes: Mapping[str, Any], table: str = "user_challenges") -> UpdateResult:
        source, row_id = self._route(row)
        start = time.perf_counter()
        attempts: list[Attempt] = []
        outcome: Literal["ok", "fail", "indeterminate"] = "fail"
        written: Row | None = None
        for _ in range(1 + self.update_retries):  # PATCH by id is idempotent: safe to re-send
            attempt, rows = await source.update(table, row_id, changes)
            if attempt.ok and not rows:
                attempt = Attempt(
                    source.name,
                    "update",
                    "not_found",
                    attempt.latency_ms,
                    row_id,
                    count=0,
                    status=attempt.status,
                    message=f"no row {row_id} in {table}",
                )
            attempts.append(attempt)
            if attempt.ok:
                outcome, written = "ok", {**rows[0], SOURCE_TAG: source.name}
                break
            if not attempt.ambiguous:
                outcome = "indeterminate" if any(a.ambiguous for a in attempts) else "fail"
                break
            outcome = "indeterminate"
        result = UpdateResult(
            table, row_id, source.name, outcome, tuple(attempts), (time.perf_counter() - start) * 1000, written
        )
        self._metrics.record_update(result)
        return result

    def _route(self, row: Row) -> tuple[Source, str]:
        tag, row_id = row.get(SOURCE_TAG), row.get("id")
        if not tag or not row_id:
            raise RoutingError(f"a row needs `{SOURCE_TAG}` and `id` to be routed (got keys {sorted(row)})")
        return self.source(str(tag)), str(row_id)

    async def assign_mt5(self, row: Row, login: str, password: str, server: str) -> UpdateResult:
        source, _ = self._route(row)
        console.assigning(source.name)
        changes = {"mt5_login": login, "mt5_password": password, "mt5_server": server}
        result = await self.update(row, changes)
        last = result.attempts[-1] if result.attempts else None
        console.assigned(source.name, result.outcome == "ok", last.label if last else "")
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
