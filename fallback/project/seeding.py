"""What a seed means for a project's schema, before any SQL runs: table order, users, problems.

Users. Rows with an RLS owner column belong to seeded users, `seed_user_id(source, i)` for i below
`seeded_user_count`, and `auth: user:SOURCE:i` signs in as one of them. How many a source gets:
- the project's *user table* holds one row per user: a table whose owner column is unique (or its
  primary key, Supabase's `profiles.id references auth.users`), else a table named `profiles` with an
  owner column (Supabase's convention; the spec's app). Its seed count is the number of users, and row
  i of it belongs to user i; when it gets no rows but another owner table does, one user (user 0);
- a project without a user table gets as many users as its largest seeded table with an owner column.
Rows of other tables with an owner column belong to user `i mod users` (row i): the spec's rule.
When `auth.users` exists (Supabase's, or a migration's), the seeded users are inserted there first.

Order. Parents are seeded before children (foreign keys), so that every generated foreign key points
at a row of the same source. A NOT NULL foreign key into a table the seed leaves empty in a source that
gets child rows is an error (`seed_problems`), before anything starts: the child rows could not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fallback.project.model import Project
from fallback.project.schema import ProjectSchema, TableSchema

__all__ = ["project_seed_files", "seed_order", "seed_problems", "seeded_user_count", "user_table"]

AUTH_USERS = ("auth", "users")
Counts = Mapping[str, Mapping[str, int]]
"""Rows per table per source."""


def _required_parents(table: TableSchema) -> list[tuple[str, str]]:
    """(ref table, FK columns) of the NOT NULL foreign keys into other tables of the project."""
    found = []
    for fk in table.foreign_keys:
        if (fk.ref_schema, fk.ref_table) == AUTH_USERS or fk.ref_table == table.name:
            continue
        if all(not table.column(name).nullable for name in fk.columns):
            found.append((fk.ref_table, ",".join(fk.columns)))
    return found


def seed_order(schema: ProjectSchema, names: tuple[str, ...]) -> tuple[TableSchema, ...]:
    """`names`' tables, parents before children; a cycle is broken at its nullable foreign keys,
    and one of NOT NULL keys only is a ValueError (no order can seed it)."""
    wanted = {name: schema.table(name) for name in names}
    done: list[TableSchema] = []
    placed: set[str] = set()

    def parents(table: TableSchema, strict: bool) -> set[str]:
        found = set()
        for fk in table.foreign_keys:
            nullable = all(table.column(c).nullable for c in fk.columns)
            if fk.ref_table in wanted and fk.ref_table != table.name and (strict or not nullable):
                found.add(fk.ref_table)
        return found

    while len(done) < len(wanted):
        for strict in (True, False):
            ready = [t for n, t in wanted.items() if n not in placed and parents(t, strict) <= placed]
            if ready:
                break
        else:
            stuck = sorted(set(wanted) - placed)
            raise ValueError(f"tables {', '.join(stuck)} reference each other through NOT NULL foreign keys")
        done.append(ready[0])
        placed.add(ready[0].name)
    return tuple(done)


def user_table(schema: ProjectSchema) -> TableSchema | None:
    """The table with one row per user (see the module docstring), or None."""
    owned = [t for t in schema.tables if t.owner_column is not None]
    for table in owned:
        column = table.column(table.owner_column or "")
        if column.unique or tuple(table.primary_key) == (column.name,):
            return table
    return next((t for t in owned if t.name == "profiles"), None)


def seeded_user_count(schema: ProjectSchema, counts: Mapping[str, int]) -> int:
    """How many users one source's seed creates; `counts` is rows per table for that source."""
    owned = [t.name for t in schema.tables if t.owner_column is not None and counts.get(t.name, 0) > 0]
    users = user_table(schema)
    if users is not None:
        return counts.get(users.name, 0) or (1 if owned else 0)
    return max((counts[name] for name in owned), default=0)


def seed_problems(
    schema: ProjectSchema,
    counts: Counts,
    with_files: frozenset[str] = frozenset(),
    kept: frozenset[str] = frozenset(),
) -> list[tuple[str, str]]:
    """Why `counts` cannot be seeded, as (table, message): unknown tables, NOT NULL foreign keys into
    tables left empty, a cycle of NOT NULL foreign keys (table "").

    Sources in `with_files` also run a SQL file first, which may hold the parent rows: not checked; nor are
    foreign keys into `kept` tables (outside the project's `tables`: never emptied, their rows come from
    the migrations, e.g. lookup tables)."""
    problems = []
    known = set(schema.table_names)
    for name in counts:
        if name not in known:
            problems.append((name, f"no table {name!r} in the schema (known: {', '.join(schema.table_names)})"))
    for name, per_source in counts.items():
        if name not in known:
            continue
        for ref, columns in _required_parents(schema.table(name)):
            if ref in kept:
                continue
            empty = [
                s for s, n in per_source.items() if n > 0 and s not in with_files and not counts.get(ref, {}).get(s)
            ]
            if empty:
                problems.append(
                    (
                        name,
                        f"{name}.{columns} references {ref}, which the seed leaves empty in {', '.join(empty)}: "
                        f"seed {ref} there too (rows of {name} must point at rows of the same source)",
                    )
                )
    try:
        seed_order(schema, tuple(n for n in counts if n in known))
    except ValueError as exc:
        problems.append(("", str(exc)))
    return problems


def project_seed_files(project: Project) -> dict[str, tuple[Path, ...]]:
    """Per source, the project's own seed files (`supabase/seed.sql`, then the source's `seed`): the seed of
    a scenario that gives none, for a project other than the built-in example. Sources without any are left out."""
    found = {s.name: tuple(p for p in (project.seed, s.seed) if p is not None) for s in project.sources}
    return {name: files for name, files in found.items() if files}
