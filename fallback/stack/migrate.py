"""Loading a project's SQL into a source's database, as the Supabase CLI loads a `supabase/` folder.

For every source, in this order:
  1. the harness's own SQL (`fallback/stack/sql/*.sql`: Supabase's roles, its `auth` schema, its default
     grants and `extensions` schema, the schema-cache watch), idempotent, on every start;
  2. the project's `supabase/migrations/*.sql` in file-name order, then the source's own extra migrations;
  3. `supabase/seed.sql`, then the source's own seed file;
  4. the exposed schemas made usable by the API roles (created when no migration did).
Each migration and seed runs in its own transaction together with its record, kept where the Supabase
CLI keeps them: `supabase_migrations.schema_migrations (version, statements, name)` and
`supabase_migrations.seed_files (path, hash)`. A warm start applies only what the records lack
(`pending`); records that are not a prefix of today's plan (a migration edited or removed, one added
before the last applied one, a state dir that held another project) raise `NeedsRebuild`, and the
caller starts that source from a fresh cluster. A file that fails raises `MigrationFailed` naming the
file, the line (from PostgreSQL's error position, see `sqltext`) and PostgreSQL's message.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import asyncpg

from fallback.project.model import Project
from fallback.stack.errors import MigrationFailed, StackError
from fallback.stack.locate import error_line, failure
from fallback.stack.postgres import schema_files

__all__ = [
    "NeedsRebuild",
    "Records",
    "SqlStep",
    "StepKind",
    "apply_harness_sql",
    "expose_schemas",
    "load_source",
    "pending",
    "plan_for",
    "prepare_database",
]

_VERSIONED = re.compile(r"^(\d+)_(.*)\.sql$")
_RECORDS_SQL = """
CREATE SCHEMA IF NOT EXISTS supabase_migrations;
CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (
  version text PRIMARY KEY, statements text[], name text
);
CREATE TABLE IF NOT EXISTS supabase_migrations.seed_files (path text PRIMARY KEY, hash text NOT NULL);
"""
SEARCH_PATH = '"$user", public, extensions'
"""Supabase's search_path for the `postgres` role (and so for every migration): extensions resolve unqualified."""


class StepKind(StrEnum):
    migration = "migration"
    seed = "seed"


@dataclass(frozen=True)
class SqlStep:
    """One file to load: a migration (keyed by its version, as Supabase does) or a seed (by its path)."""

    kind: StepKind
    path: Path
    key: str
    """A migration's version (`20240101000000` of `20240101000000_name.sql`; the file's stem when it has none);
    a seed's path relative to the project."""
    name: str = ""

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sql_files(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given, folders expanded to their `*.sql` in file-name order."""
    found: list[Path] = []
    for path in paths:
        found += sorted(path.glob("*.sql"), key=lambda p: p.name) if path.is_dir() else [path]
    return found


def plan_for(project: Project, source: str) -> tuple[SqlStep, ...]:
    """What `source` is built from, in order; MigrationFailed when two of its migrations share a version."""
    spec = project.source(source)
    steps: list[SqlStep] = []
    seen: dict[str, Path] = {}
    for path in _sql_files(project.migrations) + _sql_files(spec.migrations):
        match = _VERSIONED.match(path.name)
        version, name = (match.group(1), match.group(2)) if match else (path.stem, "")
        if version in seen:
            message = f"{path}: migration version {version} is also {seen[version]}'s (versions key the migrations)"
            raise MigrationFailed(message, path=path, line=None, source=source)
        seen[version] = path
        steps.append(SqlStep(StepKind.migration, path, version, name))
    for seed in (project.seed, spec.seed):
        if seed is not None:
            key = str(seed.relative_to(project.root)) if seed.is_relative_to(project.root) else str(seed)
            steps.append(SqlStep(StepKind.seed, seed, key))
    return tuple(steps)


@dataclass(frozen=True)
class Records:
    """What a database says was loaded into it (the hashes of the files' texts)."""

    migrations: dict[str, str]
    seeds: dict[str, str]
    ours: bool = True
    """False: the harness's SQL ran there once but left no records (a cluster of an older harness)."""


def pending(plan: tuple[SqlStep, ...], records: Records) -> tuple[SqlStep, ...] | None:
    """The steps still to run, or None when the records are not a prefix of the plan (rebuild the source)."""
    if not records.ours:
        return None
    done = 0
    for step in plan:
        recorded = (records.migrations if step.kind is StepKind.migration else records.seeds).get(step.key)
        if recorded is None:
            break
        if recorded != sha256(step.text()):
            return None
        done += 1
    if done != len(records.migrations) + len(records.seeds):
        return None  # something recorded is not where the plan has it (or not in the plan at all)
    return plan[done:]


class NeedsRebuild(StackError):
    """The source's database was built from other SQL than the plan: start it from a fresh cluster."""


async def _records(conn: asyncpg.Connection) -> Records:
    if await conn.fetchval("SELECT to_regclass('supabase_migrations.schema_migrations') IS NOT NULL"):
        rows = await conn.fetch("SELECT version, statements FROM supabase_migrations.schema_migrations")
        seeds = await conn.fetch("SELECT path, hash FROM supabase_migrations.seed_files")
        migrations = {r["version"]: sha256("".join(r["statements"] or ())) for r in rows}
        return Records(migrations, {r["path"]: r["hash"] for r in seeds})
    harness_ran = await conn.fetchval("SELECT to_regnamespace('auth') IS NOT NULL")
    return Records({}, {}, ours=not harness_ran)


async def apply_harness_sql(conn: asyncpg.Connection, authenticator_password: str) -> None:
    """Supabase's roles, `auth` schema, default grants and extensions; the gateway's login password."""
    for path in schema_files():
        await conn.execute(path.read_text())
    # token_urlsafe passwords hold only [A-Za-z0-9_-]: no quoting issue; ALTER ROLE takes no parameters.
    if not authenticator_password.replace("-", "").replace("_", "").isalnum():
        raise ValueError("authenticator password must be URL-safe")
    await conn.execute(f"ALTER ROLE authenticator WITH LOGIN PASSWORD '{authenticator_password}'")
    await conn.execute(_RECORDS_SQL)
    await conn.execute(f"SET search_path TO {SEARCH_PATH}")


async def expose_schemas(conn: asyncpg.Connection, schemas: tuple[str, ...]) -> None:
    """The exposed schemas exist and the API roles may use them (as Supabase's `public`)."""
    for schema in schemas:
        ident = '"' + schema.replace('"', '""') + '"'
        grant = f"GRANT USAGE ON SCHEMA {ident} TO anon, authenticated, service_role"
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {ident}; {grant}")


async def _run_step(conn: asyncpg.Connection, step: SqlStep, source: str) -> None:
    try:
        text = step.text()
    except (OSError, UnicodeDecodeError) as exc:
        raise MigrationFailed(f"{step.path}: cannot read it: {exc}", path=step.path, line=None, source=source) from exc
    try:
        async with conn.transaction():
            await conn.execute(text)
            if step.kind is StepKind.migration:
                await conn.execute(
                    "INSERT INTO supabase_migrations.schema_migrations (version, statements, name) VALUES ($1, $2, $3)",
                    step.key,
                    [text],
                    step.name,
                )
            else:
                await conn.execute(
                    "INSERT INTO supabase_migrations.seed_files (path, hash) VALUES ($1, $2)", step.key, sha256(text)
                )
    except asyncpg.PostgresError as exc:
        line = await error_line(conn, text, exc)
        raise failure(step.path, line, exc, source, step.kind) from exc
    await conn.execute(f"SET search_path TO {SEARCH_PATH}")  # a migration may have changed it for the session


async def prepare_database(dsn: str, authenticator_password: str, schemas: tuple[str, ...] = ("public",)) -> None:
    """The harness's SQL and the exposed schemas, no project: a database any project's migrations can follow."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await apply_harness_sql(conn, authenticator_password)
        await expose_schemas(conn, schemas)
    finally:
        await conn.close()


async def load_source(
    dsn: str,
    plan: tuple[SqlStep, ...],
    *,
    source: str,
    authenticator_password: str,
    schemas: tuple[str, ...] = ("public",),
) -> tuple[SqlStep, ...]:
    """Load the harness's SQL and the plan's pending steps into the database at `dsn`; the steps run now.

    Raises MigrationFailed (ExtensionUnavailable) when a file fails, NeedsRebuild when the database's
    records do not fit the plan."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        todo = pending(plan, await _records(conn))
        if todo is None:
            raise NeedsRebuild(f"the database of {source} was built from other SQL than the project's")
        await apply_harness_sql(conn, authenticator_password)
        for step in todo:
            await _run_step(conn, step, source)
        await expose_schemas(conn, schemas)
        return todo
    finally:
        await conn.close()
