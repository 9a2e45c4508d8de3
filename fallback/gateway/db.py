"""Connections, the pool and the failure state machine (PostgREST's AppState, in small).

    loading ──(connect + schema cache)──▶ ready ──(connection error)──▶ loading ...

While *loading* (schema cache absent) every request is answered 503 PGRST002 without touching
the database; a background task reconnects with exponential backoff (initial, doubling, capped, forever)
and reloads the schema cache. A connect failure is PGRST000, a connection lost mid-query PGRST001;
both drop the cache and start that task. No free slot within the acquisition timeout is PGRST003.
Every database round trip is bounded on the client side too, so a blackholed link cannot hang.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TypeVar

import asyncpg

from . import errors, schema_cache
from .config import GatewayConfig
from .dsn import describe_connect_failure
from .schema_cache import SchemaCache

log = logging.getLogger("fallback.gateway")
T = TypeVar("T")
Connector = Callable[[], Awaitable[asyncpg.Connection]]
Sleeper = Callable[[float], Awaitable[None]]


@dataclass
class _Pooled:
    conn: asyncpg.Connection
    generation: int


class Database:
    def __init__(
        self, config: GatewayConfig, *, connect: Connector | None = None, sleep: Sleeper = asyncio.sleep
    ) -> None:
        self.config = config
        self.schema: SchemaCache | None = None
        self.last_error: str | None = None
        self._connect_raw = connect or self._default_connect
        self._sleep = sleep
        self._idle: list[_Pooled] = []
        self._slots = asyncio.Semaphore(config.pool_size)
        self._generation = 0
        self._reconnect_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._listener: asyncpg.Connection | None = None
        self._closing = False
        self._busy = 0
        self._reloading = False
        self._reload_again = False
        self.io_timeout_s = config.statement_timeout_ms / 1000 + config.io_grace_s

    # --- lifecycle ---------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.schema is not None

    def start(self) -> None:
        self._begin_reconnect()

    async def close(self) -> None:
        self._closing = True
        tasks = [t for t in (self._reconnect_task, *self._background) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._drop_connections()

    def mark_failed(self, reason: str, generation: int | None = None) -> None:
        """A connection failed: drop the schema cache and the pool, reconnect in the background."""
        if generation is not None and generation != self._generation:
            return  # a failure from before the last reconnect says nothing about the new connections
        if self.schema is not None:
            log.warning("%s: database connection lost (%s); reconnecting", self.config.name, reason)
        self.schema = None
        self.last_error = reason
        self._generation += 1
        self._drop_connections()
        self._begin_reconnect()

    def _drop_connections(self) -> None:
        idle, self._idle = self._idle, []
        for pooled in idle:
            pooled.conn.terminate()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.terminate()

    def _begin_reconnect(self) -> None:
        if self._closing or (self._reconnect_task is not None and not self._reconnect_task.done()):
            return
        self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        delay = self.config.reconnect_backoff_initial_s
        while not self._closing:
            try:
                await self._establish()
                log.warning("%s: connected; schema cache loaded", self.config.name)
                return
            except errors.GatewayError as exc:
                self.last_error = exc.details or exc.message
            except Exception as exc:  # a schema query failed in an unexpected way: keep trying
                self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("%s: reconnect failed (%s); next attempt in %.1fs", self.config.name, self.last_error, delay)
            await self._sleep(delay)
            delay = min(delay * 2, self.config.reconnect_backoff_max_s)

    async def _establish(self) -> None:
        conn = await self._connect()
        try:
            async with asyncio.timeout(self.io_timeout_s):
                cache = await schema_cache.load(conn, self.config.schemas)
            if self.config.db_channel_enabled:
                await self._listen()
        except BaseException:
            conn.terminate()
            raise
        self._idle.append(_Pooled(conn, self._generation))
        self.schema = cache
        self.last_error = None
        self._spawn(self._warm(self._generation))

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _warm(self, generation: int) -> None:
        """Open the whole pool now, so that a slow link later (a latency toxic) does not also
        slow down connection setup; a failure here is left for a request to discover."""
        while generation == self._generation and len(self._idle) + self._busy < self.config.pool_size:
            try:
                conn = await self._connect()
            except errors.GatewayError:
                return
            if generation != self._generation:
                conn.terminate()
                return
            self._idle.append(_Pooled(conn, generation))

    # --- LISTEN pgrst (PostgREST's db-channel) ----------------------------------------------------
    async def _listen(self) -> None:
        conn = await self._connect()
        try:
            async with asyncio.timeout(self.io_timeout_s):
                await conn.add_listener("pgrst", self._on_notify)
        except BaseException:
            conn.terminate()
            raise
        generation = self._generation
        conn.add_termination_listener(lambda _c: self._on_listener_lost(conn, generation))
        self._listener = conn

    def _on_listener_lost(self, conn: asyncpg.Connection, generation: int) -> None:
        if self._listener is conn and not self._closing:
            self._listener = None
            self.mark_failed("the LISTEN connection was closed", generation)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        if payload not in ("", "reload schema"):
            return
        # DDL NOTIFYs once per transaction (the event trigger, sql/03_schema_watch.sql): a burst of them
        # coalesces into the reload running now plus one more that starts after it and sees every change.
        if self._reloading:
            self._reload_again = True
        else:
            self._reloading = True
            self._spawn(self._reload_schema())

    async def _reload_schema(self) -> None:
        try:
            while True:
                self._reload_again = False
                try:
                    cache = await self.run(lambda conn: schema_cache.load(conn, self.config.schemas))
                except errors.GatewayError:
                    return
                if self.schema is not None:
                    self.schema = cache
                if not self._reload_again:
                    return
        finally:
            self._reloading = False

    # --- connections ---------------------------------------------------------------------------
    async def _default_connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            self.config.db_dsn,
            timeout=self.config.connect_timeout_s,
            server_settings={"application_name": f"fallback-gateway {self.config.name}"},
        )

    async def _connect(self) -> asyncpg.Connection:
        try:
            async with asyncio.timeout(self.config.connect_timeout_s + 1):
                return await self._connect_raw()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, EOFError) as exc:
            raise errors.connection_error(describe_connect_failure(self.config.db_dsn, exc)) from None

    async def _take(self) -> _Pooled:
        while self._idle:
            pooled = self._idle.pop()
            if not pooled.conn.is_closed():
                return pooled
        generation = self._generation
        try:
            conn = await self._connect()
        except errors.GatewayError as exc:
            self.mark_failed(exc.details or exc.message, generation)
            raise
        return _Pooled(conn, generation)

    def _give_back(self, pooled: _Pooled) -> None:
        conn = pooled.conn
        stale = pooled.generation != self._generation or len(self._idle) >= self.config.pool_size
        if stale or conn.is_closed() or conn.is_in_transaction():
            conn.terminate()
        else:
            self._idle.append(pooled)

    async def run(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run `work` on a pooled connection; outage failures come back as GatewayErrors."""
        if self.schema is None:
            raise errors.schema_cache_missing()
        if self._slots.locked():  # a free slot is taken at once; only a wait needs the bound (and its timer)
            try:
                async with asyncio.timeout(self.config.pool_acquisition_timeout_s):
                    await self._slots.acquire()
            except TimeoutError:
                raise errors.pool_timeout() from None
        else:
            await self._slots.acquire()
        self._busy += 1
        try:
            pooled = await self._take()
            try:
                return await work(pooled.conn)
            except asyncpg.ConnectionDoesNotExistError as exc:
                raise self._lost(pooled, str(exc)) from None
            except asyncpg.PostgresError as exc:
                if exc.sqlstate.startswith("08") or exc.sqlstate in errors.CONNECTION_LOST_STATES:
                    self._lost(pooled, str(exc))
                raise
            except TimeoutError:
                raise self._lost(pooled, "timed out waiting for the database to answer") from None
            except (OSError, EOFError, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
                if pooled.conn.is_closed() or isinstance(exc, OSError | EOFError):
                    raise self._lost(pooled, f"{type(exc).__name__}: {exc}") from None
                raise
            except BaseException:
                pooled.conn.terminate()  # cancelled or unexpected: the session state is unknown
                raise
            finally:
                self._give_back(pooled)
        finally:
            self._busy -= 1
            self._slots.release()

    def _lost(self, pooled: _Pooled, details: str) -> errors.GatewayError:
        pooled.conn.terminate()
        self.mark_failed(details, pooled.generation)
        return errors.client_error(details)
