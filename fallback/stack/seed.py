"""Schema set-up and seed rows, written with SQL straight to each source's database.

A seed is rows per table per source (`{"user_challenges": {"PRIMARY": 45, ...}}`), generated from
the source's own schema (`fallback.project.rows`, read with `introspect` so a legacy source's wider
schema is seeded as it is), optionally after SQL files (`SeedPlan.files`, a scenario's `seed: {file:}`).
The tables scenarios may touch (the project's `tables`, by default every base table of the exposed
schemas) are emptied first (`TRUNCATE ... RESTART IDENTITY CASCADE`), and `auth.users` too when it
exists; the others keep the rows their migrations wrote (lookup tables). Then, in one transaction per
source: the files, the seeded users (into `auth.users` when it exists), the tables parents first
(`fallback.project.seeding`).

Seed rows are deterministic: the same (source, table, index) always gives the same key (`seed_id`
for uuid keys), so a scenario can name a row, and rows of different sources never share an id (a real
multi-project setup has no shared ids either; duplicates are what the checker looks for). Rows go in
through `json_populate_recordset`, as PostgREST's inserts do, so every type takes the JSON form a
client would send.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from fallback.project.active import active
from fallback.project.introspect import introspect
from fallback.project.keys import SEED_NAMESPACE, KeyPlan, seed_id, seed_user_id
from fallback.project.model import Project
from fallback.project.rows import Row, RowContext, RowsError, generate_rows
from fallback.project.schema import ProjectSchema, TableSchema
from fallback.project.seeding import project_seed_files, seed_order, seed_problems, seeded_user_count, user_table
from fallback.project.values import JsonValue
from fallback.stack.errors import StackError
from fallback.stack.state import SourceEndpoints, StackState

__all__ = [
    "SEED_NAMESPACE",
    "SPEC_SEED",
    "TABLES",
    "Seed",
    "SeedError",
    "SeedPlan",
    "default_seed",
    "insert_rows",
    "reseed",
    "seed_all",
    "seed_id",
    "seed_source",
    "seed_user_id",
]

TABLES: tuple[str, ...] = ("profiles", "user_challenges")
"""The spec's app's tables (the built-in example's)."""
SPEC_SEED: dict[str, dict[str, int]] = {
    "profiles": {"PRIMARY": 50, "BOLT": 30, "OLD": 20},
    "user_challenges": {"PRIMARY": 45, "BOLT": 25, "OLD": 15},
}


class SeedError(StackError):
    """A seed that cannot be written: a table the source does not have, a foreign key into an empty table,
    a SQL file that fails (its name and PostgreSQL's message)."""


@dataclass(frozen=True)
class SeedPlan:
    counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Rows per table per source; a table left out is emptied."""
    files: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    """Per source, SQL files run (in order) before the generated rows."""


Seed = Mapping[str, Mapping[str, int]] | SeedPlan
"""Rows per table per source (`{"user_challenges": {"PRIMARY": 45, ...}, ...}`), or a whole `SeedPlan`."""


def default_seed(project: Project | None = None) -> SeedPlan:
    """What a source holds when nobody asks for rows (`stack up --seed spec`, drills): the spec's figures for
    the built-in example, the project's own seed files otherwise (`fallback.project.seeding.project_seed_files`)."""
    project = project if project is not None else active()
    if project.builtin:
        return SeedPlan(counts=SPEC_SEED)
    return SeedPlan(files=project_seed_files(project))


DRILL_ROWS = 20
"""Rows per source of a drill's table (and of the tables it needs) in a project other than the built-in example."""


def drill_seed(table: str, project: Project | None = None) -> SeedPlan:
    """What a drill reseeds: the spec's figures for the built-in example; otherwise the project's seed files plus
    `DRILL_ROWS` generated rows per source of `table` and of every table its NOT NULL foreign keys need."""
    from fallback.project.tables import with_parents  # lazy: reads the project's cached schema

    project = project if project is not None else active()
    if project.builtin:
        return SeedPlan(counts=SPEC_SEED)
    counts = {name: dict.fromkeys(project.source_names, DRILL_ROWS) for name in with_parents(project, table)}
    return SeedPlan(counts=counts, files=project_seed_files(project))


def _plan(seed: Seed) -> SeedPlan:
    return seed if isinstance(seed, SeedPlan) else SeedPlan(counts=seed)


def _email(source: str, user_index: int) -> str:
    return f"user{user_index}@{source.lower()}.example"


_BASE_TABLES = """
SELECT c.relname AS name, format('%I.%I', n.nspname, c.relname) AS qualified
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p') ORDER BY 1
"""
_AUTH_USERS_COLUMNS = """
SELECT array_agg(attname::text) FROM pg_attribute
WHERE attrelid = to_regclass('auth.users') AND attnum > 0 AND NOT attisdropped
"""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(table: TableSchema) -> str:
    return f"{_ident(table.schema_name)}.{_ident(table.name)}"


async def insert_rows(conn: asyncpg.Connection, table: TableSchema, rows: Sequence[Row]) -> None:
    """Insert generated rows, one statement per set of columns given (a column left out takes its default)."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for columns, group in groups.items():
        names = ", ".join(_ident(c) for c in columns)
        target = _qualified(table)
        await conn.execute(
            f"INSERT INTO {target} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{target}, $1::json)",
            json.dumps(group),
        )


async def _parent_keys(conn: asyncpg.Connection, table: TableSchema) -> dict[str, list[tuple[JsonValue, ...]]]:
    """Per foreign key: the referenced keys present in the source (rows of SQL files included), sorted."""
    found: dict[str, list[tuple[JsonValue, ...]]] = {}
    for fk in table.foreign_keys:
        if (fk.ref_schema, fk.ref_table) == ("auth", "users"):
            continue
        columns = ", ".join(_ident(c) for c in fk.ref_columns)
        ref = f"{_ident(fk.ref_schema)}.{_ident(fk.ref_table)}"
        text = await conn.fetchval(f"SELECT json_agg(json_build_array({columns}) ORDER BY {columns}) FROM {ref}")
        found[fk.name] = [tuple(key) for key in json.loads(text)] if text else []
    return found


async def _seed_users(conn: asyncpg.Connection, source: str, users: int) -> tuple[str, ...]:
    ids = tuple(str(seed_user_id(source, i)) for i in range(users))
    columns = await conn.fetchval(_AUTH_USERS_COLUMNS)
    if columns and users:
        emails = [_email(source, i) for i in range(users)]
        with_email = "email" in columns
        await conn.execute(
            "INSERT INTO auth.users (id" + (", email" if with_email else "") + ") "
            "SELECT * FROM unnest($1::uuid[]" + (", $2::text[]" if with_email else "") + ") ON CONFLICT DO NOTHING",
            *([list(ids), emails] if with_email else [list(ids)]),
        )
    return ids


async def seed_source(
    dsn: str,
    source: str,
    counts: Mapping[str, int],
    *,
    ordinal: int = 0,
    files: tuple[Path, ...] = (),
    schemas: tuple[str, ...] = ("public",),
    empty: tuple[str, ...] | None = None,
    schema: ProjectSchema | None = None,
    conn: asyncpg.Connection | None = None,
) -> None:
    """Empty the source's tables, run `files`, then insert `counts[table]` generated rows; one transaction.

    `ordinal` is the source's place in the project (0-7): it picks the block of integer keys. `empty`: the
    tables emptied first (the project's `tables`; None: every base table of `schemas`); the others keep
    the rows their migrations wrote (lookup tables), and foreign keys may point at them. `schema`: the
    source's, introspected earlier (None: read now); `conn`: a connection to use (and leave open)."""
    schema = schema if schema is not None else await introspect(dsn, schemas)
    wanted = {name: n for name, n in counts.items() if n > 0}
    kept = frozenset(() if empty is None else set(schema.table_names) - set(empty) - set(wanted))
    problems = seed_problems(
        schema, {name: {source: n} for name, n in wanted.items()}, frozenset({source} if files else ()), kept
    )
    if problems:
        raise SeedError(f"cannot seed {source}: " + "; ".join(message for _, message in problems))
    own = conn is None
    conn = conn if conn is not None else await asyncpg.connect(dsn, timeout=10)
    try:
        async with conn.transaction():
            tables = [r["qualified"] for r in await conn.fetch(_BASE_TABLES, list(schemas)) if r["name"] not in kept]
            has_auth_users = await conn.fetchval("SELECT to_regclass('auth.users') IS NOT NULL")
            if has_auth_users:
                tables.append("auth.users")
            if tables:
                await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            for path in files:
                try:
                    await conn.execute(path.read_text())
                except asyncpg.PostgresError as exc:
                    raise SeedError(f"{path}: {exc.__class__.__name__}: {exc} (seeding {source})") from exc
            await _seed_tables(conn, schema, source, ordinal, wanted)
    finally:
        if own:
            await conn.close()


async def _seed_tables(
    conn: asyncpg.Connection, schema: ProjectSchema, source: str, ordinal: int, counts: Mapping[str, int]
) -> None:
    users = await _seed_users(conn, source, seeded_user_count(schema, counts))
    home = user_table(schema)
    for table in seed_order(schema, tuple(counts)):
        context = RowContext(
            users=users if table is not home else users[: counts[table.name]],
            parents=await _parent_keys(conn, table),
            keys=KeyPlan(label=source, block=ordinal),
            default_share=1.0,
        )
        try:
            rows = generate_rows(table, counts[table.name], seed=f"seed:{source}", context=context)
        except RowsError as exc:
            raise SeedError(f"cannot seed {source}: {exc}") from exc
        try:
            await insert_rows(conn, table, rows)
        except asyncpg.PostgresError as exc:
            raise SeedError(f"cannot seed {table.name} in {source}: {exc}") from exc


async def seed_all(
    sources: tuple[SourceEndpoints, ...],
    seed: Seed,
    schemas: tuple[str, ...] = ("public",),
    *,
    introspected: dict[str, ProjectSchema] | None = None,
    connections: Mapping[str, asyncpg.Connection] | None = None,
) -> None:
    """Empty and seed every source at once (tables not named in `seed` are left empty); the active project's
    tables outside its `tables` keep their rows.

    For many reseeds of one running stack (`fallback.engine.fresh`): `introspected` keeps each source's schema
    by DSN (read once, at the first reseed: migrations do not change while the stack runs), `connections`
    are open connections by source name, used and left open (the caller reads the fresh tables on them)."""
    plan = _plan(seed)
    empty = active().tables
    known = introspected if introspected is not None else {}

    async def one(ordinal: int, s: SourceEndpoints) -> None:
        if s.db_dsn not in known:
            known[s.db_dsn] = await introspect(s.db_dsn, schemas)
        await seed_source(
            s.db_dsn,
            s.name,
            {table: per_source.get(s.name, 0) for table, per_source in plan.counts.items()},
            ordinal=ordinal,
            files=plan.files.get(s.name, ()),
            schemas=schemas,
            empty=empty,
            schema=known[s.db_dsn],
            conn=(connections or {}).get(s.name),
        )

    await asyncio.gather(*(one(ordinal, s) for ordinal, s in enumerate(sources)))


def reseed(state: StackState, seed: Seed) -> None:
    """Empty and reseed every source of a running stack (tables not named in `seed` are left empty)."""
    asyncio.run(seed_all(state.sources, seed, state.schemas))
