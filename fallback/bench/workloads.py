"""The operations the benchmarks time, built on a running stack.

Each builder returns an `Op`: the call to time and how to close what it opened. Everything
goes through the `<SOURCE>.api` Toxiproxy proxies (so injected latency applies) unless it says
`direct`. The floor of a read is supabase-py with its defaults reading one source: the spec's
`supabase.from('user_challenges').select('*')`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from supabase import AsyncClient

from fallback.client.adaptive import AdaptiveCut
from fallback.client.breaker import State
from fallback.client.config import Deadline, SourceConfig
from fallback.client.merge import SourceRows, concat
from fallback.client.reference import ReferenceClient
from fallback.client.results import LoadResult, WriteResult
from fallback.client.source import Source
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy, latency

TABLE = "user_challenges"
Make = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Op:
    call: Make
    close: Callable[[], Awaitable[None]]


def inject_latency(toxics: Toxiproxy, state: StackState, ms: int) -> None:
    """The same downstream latency on every source's API link (a 0 ms toxic too: same code path)."""
    for source in state.sources:
        toxics.add(source.api_proxy, latency(ms))


def config(state: StackState, name: str) -> SourceConfig:
    source = state.source(name)
    return SourceConfig(source.name, source.api_url, source.service_role_key)


def default_client(state: StackState, name: str) -> AsyncClient:
    """supabase-py as `create_client(url, key)` sets it up: retries on, 120 s timeout."""
    source = state.source(name)
    return AsyncClient(source.api_url, source.service_role_key)


async def _close_supabase(client: AsyncClient) -> None:
    await client.postgrest.aclose()


def default_select(state: StackState, name: str, table: str = TABLE) -> Op:
    """One read of one source with supabase-py's defaults; returns `ok` or the exception's name."""
    client = default_client(state, name)

    async def call() -> str:
        try:
            await client.table(table).select("*").execute()
        except Exception as exc:  # a benchmark records what happened; it does not fail on it
            return type(exc).__name__
        return "ok"

    return Op(call, lambda: _close_supabase(client))


def tuned_select(state: StackState, name: str, table: str = TABLE) -> Op:
    """One read of one source as the reference client sets supabase-py up (no retries, deadline, no breaker)."""
    source = Source.tuned(config(state, name), Deadline(), None)
    return Op(lambda: source.select_all(table), source.aclose)


def direct_upsert(state: StackState, name: str, table: str = TABLE) -> Op:
    """One idempotent insert straight to one source: the floor of write failover."""
    source = Source.tuned(config(state, name), Deadline(), None)
    return Op(lambda: source.upsert(table, {"id": str(uuid.uuid4()), **new_challenge()}), source.aclose)


def new_challenge() -> dict[str, Any]:
    return {"user_id": str(uuid.uuid4()), "email": "bench@example.com", "account_size": 10000}


class RawGateway:
    """Plain httpx GETs against the gateways: what the clients cost on top of HTTP itself."""

    def __init__(self, state: StackState, *, direct: bool = False, table: str = TABLE) -> None:
        self.urls = [f"{s.direct_api_url if direct else s.api_url}/rest/v1/{table}?select=*" for s in state.sources]
        self.names = [s.name for s in state.sources]
        self.headers = [
            {"apikey": s.service_role_key, "Authorization": f"Bearer {s.service_role_key}"} for s in state.sources
        ]
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(30.0), limits=httpx.Limits(max_connections=50))

    async def get(self, index: int = 0) -> list[dict[str, Any]]:
        response = await self.http.get(self.urls[index], headers=self.headers[index])
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()
        return rows

    async def merged(self) -> int:
        """The three GETs in parallel, then the spec's concatenation."""
        answers = await asyncio.gather(*(self.get(i) for i in range(len(self.urls))))
        return len(concat([SourceRows(n, rows) for n, rows in zip(self.names, answers, strict=True)]).rows)

    async def batch(self, requests: int, concurrency: int = 10) -> int:
        """`requests` GETs to the first source, `concurrency` at a time; raises if one fails."""
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                await self.get(0)

        await asyncio.gather(*(one() for _ in range(requests)))
        return requests

    async def aclose(self) -> None:
        await self.http.aclose()


def trip(sources: Sequence[Source], name: str) -> None:
    """Open `name`'s breaker through its public API, as `minimum_calls` failed calls in a row would."""
    for source in sources:
        breaker = source.breaker
        if source.name != name or breaker is None:
            continue
        for _ in range(breaker.window_size + breaker.permitted_in_half_open):
            if breaker.state is State.OPEN:
                return
            if breaker.allow():
                breaker.record_failure()
        raise RuntimeError(f"could not open the breaker of {name} (state {breaker.state})")


class ReferenceRounds:
    """The reference client across the rounds of a faulted benchmark.

    `fresh=True`: a new client (all breakers closed, own cache dir) before every round, untimed,
    so each round is the first call after the fault began: what a deadline costs.
    `open_breaker="PRIMARY"`: one client whose PRIMARY breaker is open before every round:
    what a call costs once the breaker has learnt the source is down.
    """

    def __init__(
        self,
        state: StackState,
        cache_dir: Path,
        *,
        fresh: bool,
        open_breaker: str | None = None,
        adaptive: AdaptiveCut | None = None,
    ) -> None:
        """`adaptive`: the adaptive cut of loads (None: today's static deadline alone)."""
        self.state = state
        self.adaptive = adaptive
        self.cache_dir = cache_dir
        self.fresh = fresh
        self.open_breaker = open_breaker
        self.client: ReferenceClient | None = None
        self.rounds = 0

    async def setup(self) -> None:
        if self.client is not None and self.fresh:
            await self.client.aclose()
            self.client = None
        if self.client is None:
            self.rounds += 1
            self.client = ReferenceClient.from_stack(
                self.state, cache_dir=self.cache_dir / f"round-{self.rounds}", adaptive=self.adaptive
            )
        if self.open_breaker is not None:
            trip(self.client.sources, self.open_breaker)

    def _client(self) -> ReferenceClient:
        if self.client is None:
            raise RuntimeError("setup() first")
        return self.client

    async def load(self) -> LoadResult:
        return await self._client().load(TABLE)

    async def create(self) -> WriteResult:
        return await self._client().create(TABLE, new_challenge())

    async def loads_until(self, source: str, limit: int) -> str:
        """Loads, one after another, until one includes `source`: `included@N` (or `excluded@limit`)."""
        for n in range(1, limit + 1):
            result = await self._client().load(TABLE)
            if any(a.ok and a.source == source for a in result.attempts):
                return f"included@{n}"
        return f"excluded@{limit}"

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()
