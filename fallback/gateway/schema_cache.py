"""The schema cache: tables, columns, column types and primary keys of the exposed schemas, and their
functions (routines.py).

Loaded from the catalog at start and after every reconnect, like PostgREST's. Every identifier
the gateway puts into SQL comes from here, quoted; nothing a client sends is interpolated.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from . import errors, routines
from .computed import COMPUTED_SQL, Computed, by_table
from .embed_computed import COMPUTED_RELATIONSHIPS_SQL, with_computed
from .embed_schema import FOREIGN_KEYS_SQL, Ident, Relationship
from .embed_views import VIEW_COLUMNS_SQL, all_relationships
from .routines import Routine

COLUMNS_SQL = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, NULL),
       CASE  -- PostgREST's column_default: a domain's default, an identity's sequence, else the DEFAULT
         WHEN t.typbasetype <> 0 AND d.adbin IS NULL THEN pg_get_expr(t.typdefaultbin, 0)
         WHEN a.attidentity = 'd' THEN format('nextval(%L)', seq.objid::regclass)
         WHEN a.attgenerated = 's' THEN NULL
         ELSE pg_get_expr(d.adbin, d.adrelid)
       END,
       a.attgenerated <> '' AS generated
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
LEFT JOIN pg_catalog.pg_depend seq
  ON seq.refobjid = a.attrelid AND seq.refobjsubid = a.attnum AND seq.deptype = 'i'
     AND seq.classid = 'pg_catalog.pg_class'::regclass
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
ORDER BY n.nspname, c.relname, a.attnum
"""

PRIMARY_KEYS_SQL = """
SELECT n.nspname, c.relname, a.attname
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
WHERE i.indisprimary AND n.nspname = ANY($1::text[])
ORDER BY n.nspname, c.relname, array_position(i.indkey::int2[], a.attnum)
"""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    """`format_type(atttypid, NULL)`: the base type without modifiers, e.g. `numeric`."""
    default: str | None = None
    """The DEFAULT expression as the catalog prints it (trusted: it comes from the database)."""
    generated: bool = False

    @property
    def sql(self) -> str:
        return quote_ident(self.name)


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: dict[str, Column]
    primary_key: tuple[str, ...] = ()
    computed: dict[str, Computed] = field(default_factory=dict)
    """Computed fields (computed.py): functions over the row type, by name."""

    @property
    def sql(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    def column(self, name: str) -> Column:
        """A select/filter/order column; PostgreSQL's 42703 when missing."""
        try:
            return self.columns[name]
        except KeyError:
            raise errors.undefined_column(self.name, name) from None

    def payload_column(self, name: str) -> Column:
        """A column named in a request body or `columns=`; PostgREST's PGRST204 when missing."""
        try:
            return self.columns[name]
        except KeyError:
            raise errors.unknown_payload_column(name, self.name) from None


@dataclass(frozen=True)
class SchemaCache:
    tables: dict[tuple[str, str], Table] = field(default_factory=dict)
    relationships: dict[Ident, tuple[Relationship, ...]] = field(default_factory=dict)
    """Each table's relationships (embed_schema.py), keyed by the origin table."""
    functions: dict[tuple[str, str], tuple[Routine, ...]] = field(default_factory=dict)
    """Overloads by (schema, name), see routines.py."""

    def table(self, schema: str, name: str) -> Table:
        found = self.tables.get((schema, name))
        if found is not None:
            return found
        candidates = [t for (s, t) in self.tables if s == schema]
        close = difflib.get_close_matches(name, candidates, n=1)
        raise errors.unknown_table(f"{schema}.{name}", f"{schema}.{close[0]}" if close else None)


class Fetcher(Protocol):
    async def fetch(self, query: str, *args: object) -> Sequence[Sequence[object]]: ...


def build(
    column_rows: Sequence[Sequence[object]],
    key_rows: Sequence[Sequence[object]],
    fk_rows: Sequence[Sequence[object]] = (),
    view_rows: Sequence[Sequence[object]] = (),
) -> SchemaCache:
    columns: dict[tuple[str, str], dict[str, Column]] = {}
    for schema, table, name, type_, default, generated in column_rows:
        columns.setdefault((str(schema), str(table)), {})[str(name)] = Column(
            str(name), str(type_), None if default is None else str(default), bool(generated)
        )
    keys: dict[tuple[str, str], list[str]] = {}
    for schema, table, name in key_rows:
        keys.setdefault((str(schema), str(table)), []).append(str(name))
    return SchemaCache(
        {ident: Table(ident[0], ident[1], cols, tuple(keys.get(ident, ()))) for ident, cols in columns.items()},
        all_relationships(fk_rows, view_rows, keys, columns.keys()),
    )


async def load(conn: Fetcher, schemas: list[str]) -> SchemaCache:
    cache = build(
        await conn.fetch(COLUMNS_SQL, schemas),
        await conn.fetch(PRIMARY_KEYS_SQL, schemas),
        await conn.fetch(FOREIGN_KEYS_SQL),
        await conn.fetch(VIEW_COLUMNS_SQL, schemas),
    )
    fields = by_table(await conn.fetch(COMPUTED_SQL, schemas))
    tables = {ident: dataclasses.replace(t, computed=fields.get(ident, {})) for ident, t in cache.tables.items()}
    relationships = with_computed(cache.relationships, await conn.fetch(COMPUTED_RELATIONSHIPS_SQL), tables.keys())
    return dataclasses.replace(
        cache, tables=tables, relationships=relationships, functions=await routines.load(conn, schemas)
    )
