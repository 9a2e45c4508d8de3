"""The schema a project's migrations build, as the harness needs it: tables, columns, keys, owners.

Read from a live source by `fallback.project.introspect` (pg_catalog), cached as JSON next to a
stack's state and under `<project>/.fallback/`, so validating a scenario does not need a stack.
Row generation (`fallback.project.rows`), the seed, the workload and the history checker all take
their facts from here: a table's primary key, its foreign keys, which column RLS compares with the
signed-in user.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Column", "ForeignKey", "ProjectSchema", "TableSchema"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Column(_Frozen):
    name: str
    type: str
    """PostgreSQL's type name as `format_type` gives it: `uuid`, `text`, `numeric(12,2)`, `character varying(80)`,
    `timestamp with time zone`, `jsonb`, `integer[]`, or an enum's (schema-qualified when not in `public`)."""
    base_type: str
    """The type without modifiers or array brackets: `numeric`, `varchar`, `int4`, `my_enum` (pg_type.typname)."""
    nullable: bool
    has_default: bool
    """A default, identity or generated-by-default value: the column may be left out of an insert."""
    generated: bool = False
    """A GENERATED ALWAYS column (stored or identity ALWAYS): never written."""
    is_array: bool = False
    enum_values: tuple[str, ...] | None = None
    max_length: int | None = None
    """varchar(n) / char(n)."""
    numeric_precision: int | None = None
    numeric_scale: int | None = None
    checks: tuple[str, ...] = ()
    """CHECK constraints on this column alone, as `pg_get_constraintdef` prints them."""
    unique: bool = False
    """Part of a single-column UNIQUE constraint or unique index."""


class ForeignKey(_Frozen):
    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]


class TableSchema(_Frozen):
    schema_name: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    """Empty for a table without one (scenarios may read it, not write it)."""
    foreign_keys: tuple[ForeignKey, ...] = ()
    rls: bool = False
    owner_column: str | None = None
    """The column an RLS policy compares with `auth.uid()` (set to the signed-in user on generated rows)."""
    tenant_column: str | None = None
    """A column an RLS policy compares with a claim of the JWT other than the user (multi-tenant apps)."""

    @property
    def qualified(self) -> str:
        return f"{self.schema_name}.{self.name}"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name} has no column {name!r} (known: {', '.join(c.name for c in self.columns)})")


class ProjectSchema(_Frozen):
    tables: tuple[TableSchema, ...]
    migrations_digest: str = ""
    """sha256 over the migration files it was built from (the cache key)."""

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def table(self, name: str) -> TableSchema:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"no table {name!r} (known: {', '.join(self.table_names)})")
