"""A real PostgreSQL for the row-generation and seeding tests: one cluster per session, a fresh database per test.

The cluster is the gateway tests' throwaway one (`tests/gateway/_cluster.py`), on a port of
`FALLBACK_GATEWAY_TEST_PORTS`; each test gets its own database with the harness's SQL (Supabase's
roles and `auth`) and whatever migrations it loads.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from gateway._cluster import SQL_DIR, PgCluster, free_port, make_template

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
_numbers = itertools.count()

MakeDb = Callable[..., Awaitable[str]]


@pytest.fixture(scope="session")
def cluster() -> Iterator[PgCluster]:
    template = make_template()
    pg = PgCluster(template, free_port(26100, 26299))
    try:
        pg.start()
        pg.apply_schema()
        yield pg
    finally:
        pg.destroy()
        shutil.rmtree(template, ignore_errors=True)


@pytest.fixture
def make_db(cluster: PgCluster) -> MakeDb:
    """`await make_db(sql_or_paths...)`: a new database with the harness SQL and then each SQL text or file; its DSN."""

    async def make(*parts: str | Path) -> str:
        name = f"rows_{next(_numbers)}"
        admin = await asyncpg.connect(cluster.superuser_dsn)
        try:
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
        dsn = cluster.superuser_dsn.rsplit("/", 1)[0] + f"/{name}"
        conn = await asyncpg.connect(dsn)
        try:
            for path in sorted(SQL_DIR.glob("*.sql")):
                if path.name != "02_tables.sql":  # the spec's tables come from the example's migration instead
                    await conn.execute(path.read_text())
            for part in parts:
                await conn.execute(part.read_text() if isinstance(part, Path) else part)
        finally:
            await conn.close()
        return dsn

    return make


def migrations(example: str) -> list[Path]:
    return sorted((EXAMPLES / example / "supabase" / "migrations").glob("*.sql"))
