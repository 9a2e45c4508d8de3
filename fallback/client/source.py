"""One source = one supabase-py client behind a small interface (as httpx's transports are).

Every call returns `(Attempt, rows)` and never raises for a source failure: third-party errors
are classified at this boundary (`fallback.client.errors.classify`). Two configurations:

- `Source.tuned(...)`: what the reference client uses. postgrest-py's retries off
  (`AsyncClientOptions(postgrest_client_retry=False)`; with them on a refused GET sleeps
  1+2+4 s), httpx phase timeouts passed as an `httpx.Timeout` (a float would be truncated by
  `int()`), `asyncio.timeout(deadline.total)` around each call, and a circuit breaker.
- `Source.defaults(...)`: supabase-py exactly as `create_client(url, key)` sets it up
  (retries on, 120 s timeout), for the spec-faithful client.

The HTTP status is read from a response hook: postgrest-py's `APIError` keeps only the code.
The same hook keeps the response, so a select's rows come back as `Decoded`: the rows postgrest-py
decoded from this response (each a dict nobody else holds: the client's own, to tag in place) with
the response's JSON text, which the last-known-good snapshot stores as it is (nothing to serialize,
and nothing a caller can mutate under it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from postgrest import APIResponse
from postgrest.base_request_builder import BaseFilterRequestBuilder
from supabase import AsyncClient, AsyncClientOptions

from fallback.client.adaptive import LatencyWindow
from fallback.client.breaker import CircuitBreaker
from fallback.client.config import Deadline, SourceConfig
from fallback.client.errors import Failure, classify
from fallback.client.keys import DEFAULT_KEY, LoadQuery, RowKey, TableKey
from fallback.client.results import Attempt, Op, Row
from fallback.tls import shared_context

Rows = list[dict[str, Any]]
PLAIN = LoadQuery()


@dataclass
class _Seen:
    status: int | None = None
    response: httpx.Response | None = None


class Decoded(list[dict[str, Any]]):
    """A select's rows as decoded from its response, each a dict of its own; `body` is the response's
    JSON array as sent (None when the rows are not exactly it)."""

    __slots__ = ("body",)

    def __init__(self, rows: list[dict[str, Any]], body: bytes | None = None) -> None:
        super().__init__(rows)
        self.body = body


_seen: ContextVar[_Seen | None] = ContextVar("fallback_client_seen", default=None)


def _sign_in(client: AsyncClient, config: SourceConfig) -> None:
    """Send the user's access token instead of the key as the bearer token, as supabase-js does once signed in."""
    if config.access_token:
        client.postgrest.auth(config.access_token)


async def _remember_status(response: httpx.Response) -> None:
    seen = _seen.get()
    if seen is not None:
        seen.status = response.status_code
        seen.response = response


def counts_against_health(failure: Failure) -> bool:
    """A 4xx means the source is up and said no (bad row, RLS): not a reason to open its breaker."""
    return not (failure.status is not None and 400 <= failure.status < 500)


class Source:
    def __init__(
        self,
        config: SourceConfig,
        client: AsyncClient,
        *,
        deadline: Deadline | None,
        breaker: CircuitBreaker | None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.deadline = deadline
        self.breaker = breaker
        self._client = client
        self._http = http
        self.window: LatencyWindow | None = None
        """Recent successful latencies, for the adaptive cut of loads (set by the reference client)."""

    @classmethod
    def tuned(
        cls,
        config: SourceConfig,
        deadline: Deadline,
        breaker: CircuitBreaker | None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Source:
        """`transport` replaces the network (tests pass an `httpx.MockTransport`)."""
        http = httpx.AsyncClient(
            transport=transport,
            verify=shared_context(),  # built once: httpx would load the CA bundle again per client (~25 ms)
            timeout=deadline.httpx_timeout(),
            follow_redirects=True,
            event_hooks={"response": [_remember_status]},
        )
        options = AsyncClientOptions(httpx_client=http, postgrest_client_retry=False)
        client = AsyncClient(config.url, config.key, options)
        _sign_in(client, config)
        return cls(config, client, deadline=deadline, breaker=breaker, http=http)

    @classmethod
    def defaults(cls, config: SourceConfig) -> Source:
        client = AsyncClient(config.url, config.key)
        _sign_in(client, config)
        client.postgrest.session.event_hooks["response"].append(_remember_status)
        return cls(config, client, deadline=None, breaker=None)

    def unguarded(self) -> Source:
        """This source without its breaker (same connection pool): for probes asked for explicitly."""
        return Source(self.config, self._client, deadline=self.deadline, breaker=None)

    async def aclose(self) -> None:
        await self._client.postgrest.aclose()
        if self._http is not None:
            await self._http.aclose()

    async def call(
        self, op: Op, make: Callable[[], Awaitable[APIResponse]], row_id: str | None = None
    ) -> tuple[Attempt, Rows]:
        """Run one request under the breaker and the deadline; classify whatever happens."""
        if self.breaker is not None and not self.breaker.allow():
            return Attempt(self.name, op, "breaker_open", 0.0, row_id, message="circuit breaker open"), []
        if self.window is not None and self.window.overdue and op in ("insert", "upsert"):
            why = f"not sent: {self.window.overdue} call(s) still running past their adaptive cut"
            return Attempt(self.name, op, "cut", 0.0, row_id, message=why), []
        seen = _Seen()
        token = _seen.set(seen)
        start = time.perf_counter()
        try:
            async with asyncio.timeout(self.deadline.total if self.deadline else None):
                response = await make()
        except asyncio.CancelledError:
            if self.breaker is not None:
                self.breaker.record_failure()
            raise
        except Exception as exc:
            failure = classify(exc, seen.status, secrets=(self.config.key,))
            if self.breaker is not None:
                if counts_against_health(failure):
                    self.breaker.record_failure()
                else:
                    self.breaker.record_success()
            latency = (time.perf_counter() - start) * 1000
            return self._failed(op, failure, latency, row_id), []
        finally:
            _seen.reset(token)
        latency = (time.perf_counter() - start) * 1000
        if self.breaker is not None:
            self.breaker.record_success()
        if self.window is not None:
            self.window.record(latency / 1000)
        rows = _rows_of(response.data, seen.response if op == "select" else None)
        return Attempt(self.name, op, "ok", latency, row_id, count=len(rows), status=seen.status), rows

    def _failed(self, op: Op, failure: Failure, latency_ms: float, row_id: str | None) -> Attempt:
        return Attempt(
            self.name,
            op,
            failure.kind,
            latency_ms,
            row_id,
            ambiguous=failure.ambiguous and op in ("insert", "upsert", "update", "delete", "rpc"),
            status=failure.status,
            code=failure.code,
            message=failure.message,
        )

    # The operations the clients need, each one request.

    async def select(self, table: str, query: LoadQuery = PLAIN) -> tuple[Attempt, Rows]:
        """`select=*` (or the query's columns, filters and order, passed through as PostgREST's syntax)."""

        def make() -> Awaitable[APIResponse]:
            builder = self._client.table(table).select(query.columns)
            for name, value in query.params():
                builder.request.params = builder.request.params.add(name, value)
            return builder.execute()

        return await self.call("select", make)

    async def select_all(self, table: str) -> tuple[Attempt, Rows]:
        return await self.select(table)

    async def probe(self, table: str, key: RowKey) -> tuple[Attempt, Rows]:
        return await self.call("probe", lambda: _where(self._client.table(table).select("*"), key).execute(), key.text)

    async def upsert(self, table: str, row: Row, key: TableKey = DEFAULT_KEY) -> tuple[Attempt, Rows]:
        """Insert, or do nothing if a row with this key exists (`ON CONFLICT (key) DO NOTHING`)."""
        body = dict(row)
        target = key.conflict_target
        return await self.call(
            "upsert",
            lambda: self._client.table(table).upsert(body, ignore_duplicates=True, on_conflict=target).execute(),
            key.text_of(row),
        )

    async def insert(self, table: str, row: Row) -> tuple[Attempt, Rows]:
        body = dict(row)
        return await self.call("insert", lambda: self._client.table(table).insert(body).execute())

    async def update(self, table: str, key: RowKey, changes: Mapping[str, Any]) -> tuple[Attempt, Rows]:
        body = dict(changes)
        return await self.call(
            "update", lambda: _where(self._client.table(table).update(body), key).execute(), key.text
        )

    async def delete(self, table: str, key: RowKey) -> tuple[Attempt, Rows]:
        return await self.call("delete", lambda: _where(self._client.table(table).delete(), key).execute(), key.text)

    async def rpc(self, name: str, params: Mapping[str, Any]) -> tuple[Attempt, Rows]:
        """`POST /rpc/<name>` with `params` (a database function as the app's flow); one row or several back."""
        body = dict(params)

        async def make() -> APIResponse:
            response = await self._client.rpc(name, body).execute()
            if isinstance(response.data, dict):  # a function returning one row (or a scalar: no rows)
                response.data = [response.data]
            return response

        return await self.call("rpc", make)


def _rows_of(data: Any, response: httpx.Response | None) -> Rows:
    """The rows of an answer. postgrest-py decoded them from this response alone and nobody keeps its
    `APIResponse`, so plain dicts are kept as they are (no copy); anything else becomes a dict."""
    if not isinstance(data, list):
        return []
    if not all(type(r) is dict for r in data):
        return [dict(r) for r in data]
    body = response.content if response is not None and response.is_success else None
    return Decoded(data, body if body is not None and body.startswith(b"[") else None)


_Filtered = TypeVar("_Filtered", bound=BaseFilterRequestBuilder[Any])


def _where(builder: _Filtered, key: RowKey) -> _Filtered:
    """`col=eq.value` for every key column: exactly this row."""
    for column, value in key.parts:
        builder = builder.eq(column, value)
    return builder
