"""The engine's row generator against real PostgreSQL: the spec's schema copy equals what introspection
reads, and rows generated for the second example's tables (enums, numeric, CHECKs, a composite key,
foreign keys) are accepted by its migrations as written."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import asyncpg

from fallback.engine.rows import RowContext, change_for, marker_column, new_row, table_keys
from fallback.engine.spec_schema import SPEC_SCHEMA
from fallback.project.introspect import introspect
from fallback.stack.state import StackState

ROOT = Path(__file__).resolve().parents[2]
SAAS = ROOT / "examples" / "saas-billing" / "supabase" / "migrations"
PARENTS_FIRST = ("organizations", "memberships", "invoices", "invoice_lines")


def test_the_spec_schema_copy_is_what_introspection_reads(stack: StackState) -> None:
    live = asyncio.run(introspect(stack.sources[0].db_dsn, ("public",)))
    for table in SPEC_SCHEMA.tables:
        assert live.table(table.name) == table


async def _insert(conn: asyncpg.Connection, table: Any, row: dict[str, Any]) -> dict[str, Any]:
    """As PostgREST does it: every value as JSON text, cast by PostgreSQL to the column's type."""
    columns = list(row)
    types = [table.column(c).type for c in columns]
    values = [
        None if v is None else json.dumps(v) if isinstance(v, dict | list | bool) else str(v) for v in row.values()
    ]
    cast = ", ".join(f"${i + 1}::text::{t}" for i, t in enumerate(types))
    names = ", ".join(f'"{c}"' for c in columns)
    record = await conn.fetchrow(f'INSERT INTO public."{table.name}" ({names}) VALUES ({cast}) RETURNING *', *values)
    assert record is not None
    return dict(record)


async def _saas_rows(dsn: str) -> dict[str, list[dict[str, Any]]]:
    base = dsn.rsplit("/", 1)[0]
    admin = await asyncpg.connect(dsn)
    await admin.execute("DROP DATABASE IF EXISTS rows_check")
    await admin.execute("CREATE DATABASE rows_check")
    await admin.close()
    inserted: dict[str, list[dict[str, Any]]] = {}
    try:
        conn = await asyncpg.connect(f"{base}/rows_check")
        try:
            await conn.execute((ROOT / "fallback" / "stack" / "sql" / "01_auth.sql").read_text())
            for path in sorted(SAAS.glob("*.sql")):
                await conn.execute(path.read_text())
            schema = await introspect(f"{base}/rows_check", ("public",))
            assert table_keys(schema)["memberships"].columns == ("org_id", "user_id")
            rng = random.Random(7)
            for name in PARENTS_FIRST:
                table = schema.table(name)
                for op_id in range(1, 4):
                    parents = {
                        (name, fk.name): rng.choice(inserted[fk.ref_table])
                        for fk in table.foreign_keys
                        if inserted.get(fk.ref_table)
                    }
                    row = new_row(table, op_id, rng, RowContext(None, parents))
                    stored = await _insert(conn, table, row)
                    marker = marker_column(table)
                    assert marker is None or stored[marker] == f"op-{op_id}@harness.test"
                    inserted.setdefault(name, []).append(stored)
                change = change_for(table, 99, rng)
                assert change and not set(change) & set(table.primary_key)
                key = {c: inserted[name][0][c] for c in table.primary_key}
                sets = ", ".join(f'"{c}" = ${i + 1}::text::{table.column(c).type}' for i, c in enumerate(change))
                where = " AND ".join(f'"{c}" = ${len(change) + i + 1}' for i, c in enumerate(key))
                await conn.execute(
                    f'UPDATE public."{name}" SET {sets} WHERE {where}', *map(str, change.values()), *key.values()
                )
        finally:
            await conn.close()
    finally:
        admin = await asyncpg.connect(dsn)
        await admin.execute("DROP DATABASE IF EXISTS rows_check")
        await admin.close()
    return inserted


def test_generated_rows_and_changes_fit_the_second_examples_schema(stack: StackState) -> None:
    inserted = asyncio.run(_saas_rows(stack.sources[0].db_dsn))
    assert {name: len(rows) for name, rows in inserted.items()} == {name: 3 for name in PARENTS_FIRST}
    orgs = {row["id"] for row in inserted["organizations"]}
    assert {row["org_id"] for row in inserted["memberships"]} <= orgs  # foreign keys point at real parents
