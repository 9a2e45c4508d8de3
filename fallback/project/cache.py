"""The project's schema without a stack (for `validate`): built once in a throwaway PostgreSQL, cached as JSON.

    schema = cached_schema(project)       # <project>/.fallback/schema-<digest>.json, or built and saved

Building it (cold): a scratch cluster (`fallback.stack.scratch`, the stack's own initdb/start/stop), one
database per distinct list of migrations among the sources (the shared ones, plus a source's own), each
loaded as `stack up` loads a source (`fallback.stack.migrate`: the harness's SQL, Supabase's roles and
`auth`, then the migrations; no seed files: they add rows, not tables), then `introspect`. The sources'
schemas are merged by table name, the first source's definition winning (a legacy source's extra tables
are added). A migration that fails raises the stack's `MigrationFailed` (file, line, PostgreSQL's message).

The digest covers the harness's SQL, every migration file (names and contents) and the exposed schemas:
editing any of them builds anew; older cache files of the project are removed. `.fallback/` holds a
`.gitignore` of `*`, so the cache is never committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
from pathlib import Path

import asyncpg

from fallback.project.introspect import introspect
from fallback.project.model import Project
from fallback.project.schema import ProjectSchema, TableSchema

# The stack's own loading order and scratch cluster. Imported here, not lazily: without them this module
# cannot work, and callers that can do without it (`fallback.project.tables`) test for ImportError.
from fallback.stack.migrate import StepKind, load_source, plan_for
from fallback.stack.postgres import schema_files
from fallback.stack.scratch import scratch_postgres

__all__ = ["CACHE_DIR", "build_schema", "cache_path", "cached_schema", "schema_digest"]

CACHE_DIR = ".fallback"


def _migration_lists(project: Project) -> dict[tuple[Path, ...], str]:
    """Each distinct list of migration files among the sources, with the first source that has it."""
    lists: dict[tuple[Path, ...], str] = {}
    for name in project.source_names:
        paths = tuple(step.path for step in plan_for(project, name) if step.kind is StepKind.migration)
        lists.setdefault(paths, name)
    return lists


def schema_digest(project: Project) -> str:
    """sha256 over the harness's SQL, each source's migrations (names and contents) and the exposed schemas."""
    hasher = hashlib.sha256(",".join(project.schemas).encode() + b"\0")
    for path in schema_files():
        hasher.update(b"harness:" + path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for paths, source in _migration_lists(project).items():
        hasher.update(source.encode() + b"\0")
        for path in paths:
            hasher.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()


def cache_path(project: Project, digest: str) -> Path:
    return project.root / CACHE_DIR / f"schema-{digest}.json"


def _merge(schemas: list[ProjectSchema], digest: str) -> ProjectSchema:
    tables: dict[str, TableSchema] = {}
    for schema in schemas:
        for table in schema.tables:
            tables.setdefault(table.qualified, table)
    return ProjectSchema(tables=tuple(tables.values()), migrations_digest=digest)


async def _database(admin_dsn: str, name: str) -> str:
    conn = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_dsn.rsplit("/", 1)[0] + f"/{name}"


async def build_schema(project: Project, digest: str = "") -> ProjectSchema:
    """The project's schema, built now in a scratch cluster (see the module docstring)."""
    found: list[ProjectSchema] = []
    if not any(_migration_lists(project)):
        return _merge(found, digest)  # no migration: no table, no cluster to start
    async with scratch_postgres() as admin_dsn:
        for index, source in enumerate(_migration_lists(project).values()):
            dsn = await _database(admin_dsn, f"source_{index}")
            plan = tuple(step for step in plan_for(project, source) if step.kind is StepKind.migration)
            await load_source(
                dsn, plan, source=source, authenticator_password=secrets.token_urlsafe(16), schemas=project.schemas
            )
            found.append(await introspect(dsn, project.schemas))
    return _merge(found, digest)


def _save(path: Path, schema: ProjectSchema) -> None:
    """Write the cache file; a project directory that is missing or read-only just goes without a cache."""
    if not path.parent.parent.is_dir():
        return
    with contextlib.suppress(OSError):  # the schema is still returned; the next run builds it again
        _write(path, schema)


def _write(path: Path, schema: ProjectSchema) -> None:
    path.parent.mkdir(exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# the harness's cache (fallback.project.cache): never committed\n*\n")
    for stale in path.parent.glob("schema-*.json"):
        if stale != path:
            stale.unlink(missing_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(schema.model_dump_json(indent=1))
    tmp.replace(path)


def cached_schema(project: Project) -> ProjectSchema:
    """The project's schema from its cache file, or built (cold: a few seconds) and cached."""
    digest = schema_digest(project)
    path = cache_path(project, digest)
    if path.is_file():
        try:
            return ProjectSchema.model_validate_json(path.read_text())
        except ValueError:
            pass  # a cache file of another harness version, or cut short: build it again
    schema = asyncio.run(build_schema(project, digest))
    _save(path, schema)
    return schema
