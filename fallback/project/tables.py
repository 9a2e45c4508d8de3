"""Which tables a project's scenarios may name: `[project] tables` of `fallback.toml`, else every table of
its exposed schemas.

The schema comes from `fallback.project.cache.cached_schema` (the migrations applied to a throwaway
PostgreSQL, cached under `<project>/.fallback/`) when that module is installed; without it, from the
`CREATE TABLE` statements of the migrations, read with a regular expression (enough to name tables;
nothing else relies on it).
"""

from __future__ import annotations

import re
from functools import cache

from fallback.project.model import Project

__all__ = ["declared_tables", "project_tables", "root_table", "with_parents"]

_CREATE_TABLE = re.compile(
    r"\bcreate\s+(?:(?:global\s+|local\s+)?(?:temp|temporary|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?"
    r'(?:"?(?P<schema>[A-Za-z_][\w$]*)"?\s*\.\s*)?"?(?P<name>[A-Za-z_][\w$]*)"?',
    re.IGNORECASE,
)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def declared_tables(project: Project) -> tuple[str, ...]:
    """Tables the shared migrations create in the exposed schemas, in order of appearance."""
    found: dict[str, None] = {}
    for path in project.migrations:
        text = _COMMENT.sub(" ", path.read_text(encoding="utf-8", errors="replace"))
        for match in _CREATE_TABLE.finditer(text):
            if (match.group("schema") or "public") in project.schemas:
                found.setdefault(match.group("name"))
    return tuple(found)


@cache
def project_tables(project: Project) -> tuple[str, ...]:
    """`project.tables` when set, else every table of the exposed schemas (cached per project)."""
    if project.tables is not None:
        return project.tables
    try:
        from fallback.project.cache import cached_schema  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return declared_tables(project)
    return tuple(cached_schema(project).table_names)


def root_table(project: Project, tables: tuple[str, ...] | None = None) -> str:
    """The first of `tables` (default: the project's) whose rows need no other table's (no NOT NULL foreign key):
    what `init`'s example and a drill use when told no table. The built-in example's is `user_challenges`."""
    names = tables if tables is not None else project_tables(project)
    if project.builtin and "user_challenges" in names:
        return "user_challenges"
    from fallback.project.cache import cached_schema  # lazy: starts a throwaway PostgreSQL when not cached

    schema = cached_schema(project)
    for name in names:
        if name not in schema.table_names:
            continue
        table = schema.table(name)
        if all(any(table.column(c).nullable for c in fk.columns) for fk in table.foreign_keys):
            return name
    return names[0]


def with_parents(project: Project, table: str) -> tuple[str, ...]:
    """`table` and every table its NOT NULL foreign keys lead to, parents first (what seeding `table` needs)."""
    from fallback.project.cache import cached_schema

    schema = cached_schema(project)
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or name not in schema.table_names:
            return
        found = schema.table(name)
        for fk in found.foreign_keys:
            if not any(found.column(c).nullable for c in fk.columns) and fk.ref_table != name:
                visit(fk.ref_table)
        order.append(name)

    visit(table)
    return tuple(order)
