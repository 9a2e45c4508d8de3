"""Computed fields: functions over a table's row type, used like columns (PostgREST's computed fields).

`CREATE FUNCTION full_name(people) RETURNS text` makes `full_name` a field of `people` for `select=`,
filters and `order=` (never part of `*`). PostgREST writes it as `people.full_name` (attribute notation,
resolved through its search_path); this gateway sets no search_path, so it calls the function by its
qualified name on the whole row: `"test"."full_name"(<row>.*)`. Only functions of the exposed schemas, with one
argument, that return one value (one returning rows of a relation is a computed relationship: embed_computed.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["COMPUTED_SQL", "Computed", "by_table"]

COMPUTED_SQL = """
SELECT tn.nspname, c.relname, p.proname, n.nspname, format_type(p.prorettype, NULL)
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_type t ON t.oid = p.proargtypes[0]
JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND p.prokind = 'f' AND p.pronargs = 1 AND NOT p.proretset
  AND p.prorettype <> 'pg_catalog.void'::regtype
ORDER BY p.oid
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Computed:
    schema: str
    function: str
    type: str
    """`format_type` of the result: what filter values are cast to."""

    def call(self, row: str) -> str:
        return f"{_quote(self.schema)}.{_quote(self.function)}({row}.*)"


def by_table(rows: Sequence[Sequence[object]]) -> dict[tuple[str, str], dict[str, Computed]]:
    """COMPUTED_SQL's rows → (table schema, table) → field name → its function."""
    found: dict[tuple[str, str], dict[str, Computed]] = {}
    for table_schema, table, function, schema, type_ in rows:
        found.setdefault((str(table_schema), str(table)), {})[str(function)] = Computed(
            str(schema), str(function), str(type_)
        )
    return found
