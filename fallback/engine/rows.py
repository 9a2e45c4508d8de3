"""What the workload writes on any table: new rows, changes, and the columns the checker reads.

From a table's schema (`fallback.project.TableSchema`):

- `marker_column`: the first free text column (not a key, foreign key, owner or tenant column, no
  enum, no CHECK other than a length bound, long enough for `op-<id>@harness.test`): a create writes
  `op_marker(op_id)` there (the spec's tables: `email`), so a row the database gave its own id is
  still tied to the create that wrote it. A table without one is checked by key only.
- `change_for`: an update's change to one non-key column: `op_token(op_id)` in a free text column
  other than the marker (the marker column itself when there is no other), else a drawn value for an
  enum, integer, numeric or boolean column.
- `new_row`: a row with every primary-key column (as the contract with `fallback.project.rows`
  says), every required column, the owner column set to the signed-in user and the marker.

`new_row` draws its row with `fallback.project.rows.generate_rows` (the generator the seed uses too).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fallback.client.keys import TableKey
from fallback.history import op_marker, op_token
from fallback.project import Column, ProjectSchema, TableSchema, rows

__all__ = ["RowContext", "change_for", "marker_column", "new_row", "table_key", "table_keys"]

TEXT_TYPES = frozenset({"text", "varchar", "citext", "bpchar", "name"})
INT_TYPES = frozenset({"int2", "int4", "int8"})
NUMERIC_TYPES = frozenset({"numeric", "float4", "float8"})
_MARKER_ROOM = len(op_marker(10**9))


@dataclass(frozen=True)
class RowContext:
    """What a generated row must agree with: the signed-in user (RLS owner column) and parent keys."""

    user_id: str | None = None
    parents: Mapping[tuple[str, str], Mapping[str, Any]] | None = None
    """(table, foreign key name) -> a parent row to point at (its referenced columns)."""


def table_key(table: TableSchema) -> TableKey:
    columns = {c.name: c for c in table.columns}
    return TableKey(table.primary_key, all(columns[c].has_default for c in table.primary_key if c in columns))


def table_keys(schema: ProjectSchema) -> dict[str, TableKey]:
    """Every table with a primary key (a view or a keyless table is read, never written)."""
    return {t.name: table_key(t) for t in schema.tables if t.primary_key}


def _reserved(table: TableSchema) -> set[str]:
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    return {*table.primary_key, *fk_columns, *(c for c in (table.owner_column, table.tenant_column) if c)}


def _free_text(table: TableSchema) -> list[Column]:
    reserved = _reserved(table)
    return [
        c
        for c in table.columns
        if c.base_type in TEXT_TYPES
        and not c.is_array
        and not c.generated
        and not c.unique
        and c.name not in reserved
        and c.enum_values is None
        and (c.max_length is None or c.max_length >= _MARKER_ROOM)
        and all("length" in check for check in c.checks)
    ]


def marker_column(table: TableSchema) -> str | None:
    free = _free_text(table)
    return free[0].name if free else None


def _drawn(column: Column, rng: random.Random) -> Any | None:
    """A value of the column's type that a plain column accepts (None: the harness has none to offer)."""
    if column.enum_values:
        return rng.choice(column.enum_values)
    if column.base_type in INT_TYPES:
        return rng.randint(1, 30_000)
    if column.base_type in NUMERIC_TYPES:
        digits = (column.numeric_precision or 6) - (column.numeric_scale or 0)
        return rng.randint(1, 10 ** min(max(digits, 1), 6) - 1)
    if column.base_type == "bool":
        return rng.random() < 0.5
    if column.base_type == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if column.base_type in TEXT_TYPES:
        return f"h{rng.getrandbits(40):x}"[: column.max_length or 12]
    if column.base_type in ("json", "jsonb"):
        return {}
    if column.base_type == "date":
        return "2024-01-01"
    if column.base_type.startswith("timestamp"):
        return "2024-01-01T00:00:00+00:00"
    return None


def change_for(table: TableSchema, op_id: int, rng: random.Random) -> dict[str, Any]:
    """One non-key column's new value; the op token when the table has a free text column."""
    free = [c.name for c in _free_text(table)]
    marker = free[0] if free else None
    text = [c for c in free if c != marker] or free
    if text:
        return {text[0]: op_token(op_id)}
    reserved = _reserved(table)
    for column in table.columns:
        if column.name in reserved or column.generated or column.unique or column.is_array or column.checks:
            continue
        if column.enum_values or column.base_type in INT_TYPES | NUMERIC_TYPES | {"bool"}:
            value = _drawn(column, rng)
            if value is not None:
                return {column.name: value}
    return {}


def new_row(table: TableSchema, op_id: int, rng: random.Random, context: RowContext | None = None) -> dict[str, Any]:
    """A row to create: `fallback.project.rows.generate_rows` (every key column, types, NOT NULL, simple CHECKs,
    enums, lengths; columns with a default left to it), drawn with a seed from the workload's RNG (so
    deterministic under the scenario seed), foreign keys to the given parents, the owner column set to the
    signed-in user, and the marker."""
    context = context or RowContext()
    parents: dict[str, list[tuple[Any, ...]]] = {}
    for fk in table.foreign_keys:
        parent = (context.parents or {}).get((table.name, fk.name))
        if parent is not None:
            parents[fk.name] = [tuple(parent[r] for r in fk.ref_columns)]
    wanted = rows.RowContext(user_id=context.user_id, parents=parents, strict_parents=False, default_share=1.0)
    row: dict[str, Any] = rows.generate_rows(table, 1, seed=rng.getrandbits(64), context=wanted)[0]
    marker = marker_column(table)
    if marker is not None:
        row[marker] = op_marker(op_id)
    return row
