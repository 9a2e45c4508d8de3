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

__all__ = ["declared_tables", "project_tables"]

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
