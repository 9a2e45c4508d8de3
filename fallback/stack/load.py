"""Every source's database loaded at once, and the schema they ended with written beside the state.

    rebuild = load_all(dsns, plans, passwords, schemas)   # names whose records did not fit their plan
    write_schemas(state_dir, sources, plans, schemas)     # <state_dir>/schema.json and <SOURCE>/schema.json

`schema.json` is the first source's schema (the one scenarios are checked against: the shared migrations,
plus its own extra ones if any); `<state_dir>/<SOURCE>/schema.json` is each source's own, for sources
whose extra migrations make them differ (`StackState.project_schema(source)`).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from pathlib import Path

from fallback.project.introspect import digest, introspect
from fallback.project.schema import ProjectSchema
from fallback.stack.migrate import NeedsRebuild, SqlStep, StepKind, load_source
from fallback.stack.process import interrupts_deferred
from fallback.stack.state import SourceEndpoints, schema_path

__all__ = ["load_all", "migrations_digest", "plans_digest", "write_schemas"]


def load_all(
    dsns: Mapping[str, str],
    plans: Mapping[str, tuple[SqlStep, ...]],
    passwords: Mapping[str, str],
    schemas: tuple[str, ...],
) -> list[str]:
    """Load every source (at once); the names to rebuild. The first source's error (in `dsns`' order) is raised."""

    async def each() -> list[BaseException | tuple[SqlStep, ...]]:
        loads = (
            load_source(dsn, plans[name], source=name, authenticator_password=passwords[name], schemas=schemas)
            for name, dsn in dsns.items()
        )
        return await asyncio.gather(*loads, return_exceptions=True)

    with interrupts_deferred():  # a Ctrl-C takes effect once the loads are done (seconds), not inside asyncpg
        found = asyncio.run(each())
    outcomes = dict(zip(dsns, found, strict=True))
    for outcome in outcomes.values():
        if isinstance(outcome, BaseException) and not isinstance(outcome, NeedsRebuild):
            raise outcome
    return [name for name, outcome in outcomes.items() if isinstance(outcome, NeedsRebuild)]


def migrations_digest(plan: tuple[SqlStep, ...]) -> str:
    """The cache key of the schema a plan builds (`ProjectSchema.migrations_digest`): its migration files."""
    return digest(step.path for step in plan if step.kind is StepKind.migration)


def plans_digest(plans: Mapping[str, tuple[SqlStep, ...]]) -> str:
    """One digest over every source's files, migrations and seeds (what a running stack was built from)."""
    hasher = hashlib.sha256()
    for name, plan in plans.items():
        hasher.update(f"{name}\0{digest(step.path for step in plan)}\0".encode())
    return hasher.hexdigest()


def write_schemas(
    state_dir: Path,
    sources: tuple[SourceEndpoints, ...],
    plans: Mapping[str, tuple[SqlStep, ...]],
    schemas: tuple[str, ...],
) -> dict[str, ProjectSchema]:
    """Introspect every source (superuser DSN) and write the schema files; the schemas by source."""

    async def each() -> list[ProjectSchema]:
        return await asyncio.gather(*(introspect(s.db_dsn, schemas) for s in sources))

    with interrupts_deferred():
        read = asyncio.run(each())
    found: dict[str, ProjectSchema] = {}
    for source, schema in zip(sources, read, strict=True):
        schema = schema.model_copy(update={"migrations_digest": migrations_digest(plans[source.name])})
        found[source.name] = schema
        _write(schema_path(state_dir, source.name), schema)
    if sources:
        _write(schema_path(state_dir), found[sources[0].name])
    return found


def _write(path: Path, schema: ProjectSchema) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(schema.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(path)
