"""The throwaway cluster (`fallback.stack.scratch`): a real server for the block, nothing left after it."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from fallback.project import Project, SourceSpec
from fallback.project.builtin import builtin_project
from fallback.stack import process
from fallback.stack.ports import port_is_free
from fallback.stack.scratch import schema_from_scratch, scratch_postgres, scratch_postgres_sync

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def parent() -> Iterator[Path]:
    """A dir PostgreSQL can enter when it runs as `postgres` (pytest's parent lies under a 0700 dir)."""
    root = Path(tempfile.mkdtemp(prefix="scratch-test-"))
    root.chmod(0o711)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _port(dsn: str) -> int:
    match = re.search(r":(\d+)/", dsn)
    assert match is not None, dsn
    return int(match.group(1))


def test_a_scratch_cluster_answers_sql_and_is_gone_after_the_block(parent: Path) -> None:
    started = time.monotonic()
    with scratch_postgres_sync(parent=parent) as dsn:
        print(f"scratch cluster up in {time.monotonic() - started:.2f} s")

        async def ask() -> int:
            conn = await asyncpg.connect(dsn, timeout=10)
            try:
                value: int = await conn.fetchval("SELECT current_setting('server_version_num')::int")
                return value
            finally:
                await conn.close()

        assert asyncio.run(ask()) >= 150000
        assert not port_is_free(_port(dsn))
        assert list(parent.iterdir()), "its data lives under the parent given"
    assert port_is_free(_port(dsn))
    assert list(parent.iterdir()) == []
    assert not [r for r in process.spawned().values() if str(parent) in r.cmdline_hint], "stopped and reaped"


def test_the_async_form_stops_the_server_when_the_block_raises(parent: Path) -> None:
    seen: list[str] = []

    async def body() -> None:
        async with scratch_postgres(parent=parent) as dsn:
            seen.append(dsn)
            conn = await asyncpg.connect(dsn, timeout=10)
            await conn.close()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(body())
    assert port_is_free(_port(seen[0]))
    assert list(parent.iterdir()) == []


def _saas_billing() -> Project:
    """examples/saas-billing's sources and migrations, as its fallback.toml gives them (built here: its
    `scenarios` folder may not exist yet, which `load_project` refuses)."""
    root = REPO / "examples" / "saas-billing"
    names = ("PRIMARY", "REPLICA_EU", "REPLICA_US")
    sources = (*(SourceSpec(name=n) for n in names), SourceSpec("LEGACY", migrations=(root / "legacy" / "migrations",)))
    return Project(
        root=root,
        name="saas-billing",
        sources=sources,
        migrations=tuple(sorted((root / "supabase" / "migrations").glob("*.sql"))),
    )


def test_schema_from_scratch_reads_what_each_source_is_built_from(parent: Path) -> None:
    spec = asyncio.run(schema_from_scratch(builtin_project(), parent=parent))
    assert spec.table_names == ("profiles", "user_challenges")
    assert spec.table("profiles").owner_column == "user_id" and spec.migrations_digest
    saas = _saas_billing()
    primary = asyncio.run(schema_from_scratch(saas, parent=parent))
    legacy = asyncio.run(schema_from_scratch(saas, "LEGACY", parent=parent))
    assert "legacy_ref" in [c.name for c in legacy.table("invoices").columns]
    assert "legacy_ref" not in [c.name for c in primary.table("invoices").columns]
    assert primary.migrations_digest != legacy.migrations_digest
    assert list(parent.iterdir()) == []
