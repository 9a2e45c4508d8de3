"""Fixtures for the gateway's integration tests: a real PostgreSQL, the gateway as a subprocess.

`pg` / `gateway` are shared by the session (tables are emptied before each test);
`outage_pg` / `outage_gateway` are private to one test, which may stop and restart the database.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from ._cluster import FaultyProxy, GatewayProcess, PgCluster, free_port, make_template, mint, run_sync


def _port_ranges() -> tuple[tuple[int, int], tuple[int, int]]:
    """`FALLBACK_GATEWAY_TEST_PORTS=low-high` (e.g. 29100-29399) moves both ranges, so that two checkouts can run
    these tests at once; the default is 26100-26299."""
    low, _, high = os.environ.get("FALLBACK_GATEWAY_TEST_PORTS", "26100-26299").partition("-")
    middle = (int(low) + int(high)) // 2
    return (int(low), middle), (middle + 1, int(high))


PG_PORTS, GATEWAY_PORTS = _port_ranges()


@dataclass(frozen=True)
class Source:
    """One local "Supabase project" as a test sees it."""

    pg: PgCluster
    gateway: GatewayProcess
    secret: str
    anon_key: str
    service_key: str
    proxy: FaultyProxy | None = None

    @property
    def rest_url(self) -> str:
        return f"{self.gateway.url}/rest/v1"

    def token(self, role: str, sub: str | None = None, exp_in: float = 3600) -> str:
        return mint(self.secret, role, sub, exp_in)

    async def asql(self, query: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.pg.superuser_dsn)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    def sql(self, query: str, *args: object) -> list[asyncpg.Record]:
        """Superuser SQL from synchronous code (use `asql` inside async tests)."""
        return run_sync(lambda: self.asql(query, *args))


@pytest.fixture(scope="session")
def pg_template() -> Iterator[Path]:
    root = make_template()
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _source(template: Path, *, start_db: bool = True, via_proxy: bool = False, **overrides: object) -> Iterator[Source]:
    pg = PgCluster(template, free_port(*PG_PORTS))
    gateway: GatewayProcess | None = None
    proxy: FaultyProxy | None = None
    try:
        pg.start()
        pg.apply_schema()
        if not start_db:
            pg.stop("fast")
        secret = secrets.token_urlsafe(32)
        anon, service = mint(secret, "anon", exp_in=86400), mint(secret, "service_role", exp_in=86400)
        dsn = pg.authenticator_dsn
        if via_proxy:
            proxy = FaultyProxy(free_port(PG_PORTS[0] + 50, PG_PORTS[1]), pg.port)
            dsn = dsn.replace(f":{pg.port}/", f":{proxy.port}/")
        config: dict[str, object] = {
            "name": "TEST",
            "db_dsn": dsn,
            "jwt_secret": secret,
            "api_keys": [anon, service],
            "reconnect_backoff_initial_s": 0.2,
            "reconnect_backoff_max_s": 1.0,
            **overrides,
        }
        gateway = GatewayProcess(pg.root, free_port(*GATEWAY_PORTS), config)
        gateway.start()
        if start_db:
            gateway.wait_ready()
        yield Source(pg, gateway, secret, anon, service, proxy)
    finally:
        if gateway is not None:
            gateway.stop()
        if proxy is not None:
            proxy.close()
        pg.destroy()


@pytest.fixture(scope="session")
def source(pg_template: Path) -> Iterator[Source]:
    yield from _source(pg_template)


@pytest.fixture
def clean(source: Source) -> Source:
    source.sql("TRUNCATE public.profiles, public.user_challenges")
    return source


@pytest.fixture
def make_source(pg_template: Path) -> Iterator[Callable[..., Source]]:
    """A private source with overrides; `start_db=False` starts the gateway while the database is down."""
    generators: list[Iterator[Source]] = []

    def make(**kwargs: object) -> Source:
        gen = _source(pg_template, **kwargs)  # type: ignore[arg-type]
        generators.append(gen)
        return next(gen)

    yield make
    for gen in generators:
        gen.close()
