"""`fallback.project.introspect` against a real PostgreSQL: keys, types, enums, checks, policies."""

from __future__ import annotations

import asyncio

import asyncpg

from fallback.project import ProjectSchema
from fallback.project.introspect import introspect, policy_columns

from .conftest import Source

_SCHEMA = """
DROP SCHEMA IF EXISTS shop CASCADE;
CREATE SCHEMA shop;
CREATE TYPE shop.order_status AS ENUM ('open', 'paid', 'shipped');
CREATE TABLE shop.tenants (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), slug varchar(40) NOT NULL UNIQUE);
CREATE TABLE shop.orders (
  tenant_id uuid NOT NULL REFERENCES shop.tenants (id),
  number    integer NOT NULL,
  status    shop.order_status NOT NULL DEFAULT 'open',
  amount    numeric(12, 2) NOT NULL CHECK (amount >= 0),
  meta      jsonb,
  tags      text[],
  total     numeric GENERATED ALWAYS AS (amount * 2) STORED,
  PRIMARY KEY (tenant_id, number)
);
CREATE TABLE shop.notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, author uuid, body text);
CREATE VIEW shop.open_orders AS SELECT * FROM shop.orders WHERE status = 'open';
ALTER TABLE shop.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON shop.orders FOR ALL TO authenticated
  USING (tenant_id = ((auth.jwt() ->> 'tenant_id'))::uuid);
ALTER TABLE shop.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_notes ON shop.notes FOR ALL TO authenticated USING (author = auth.uid());
"""


async def _read(dsn: str) -> ProjectSchema:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(_SCHEMA)  # several statements: a simple-protocol execute, not a prepared fetch
        return await introspect(dsn, ("shop",))
    finally:
        await conn.execute("DROP SCHEMA IF EXISTS shop CASCADE")
        await conn.close()


def test_introspect_reads_keys_types_and_policies(source: Source) -> None:
    schema = asyncio.run(_read(source.pg.superuser_dsn))
    assert schema.table_names == ("notes", "open_orders", "orders", "tenants")
    orders = schema.table("orders")
    assert orders.primary_key == ("tenant_id", "number")
    assert [(fk.columns, fk.ref_table, fk.ref_columns) for fk in orders.foreign_keys] == [
        (("tenant_id",), "tenants", ("id",))
    ]
    assert orders.column("status").enum_values == ("open", "paid", "shipped")
    assert orders.column("status").has_default and not orders.column("status").nullable
    amount = orders.column("amount")
    assert (amount.base_type, amount.numeric_precision, amount.numeric_scale) == ("numeric", 12, 2)
    assert amount.checks == ("CHECK ((amount >= (0)::numeric))",)
    assert orders.column("meta").nullable and orders.column("meta").base_type == "jsonb"
    assert orders.column("tags").is_array and orders.column("tags").base_type == "text"
    assert orders.column("total").generated
    assert orders.rls and orders.tenant_column == "tenant_id" and orders.owner_column is None
    assert schema.table("tenants").column("slug").unique and schema.table("tenants").column("slug").max_length == 40
    notes = schema.table("notes")
    assert notes.column("id").generated and notes.owner_column == "author" and notes.tenant_column is None
    assert schema.table("open_orders").primary_key == ()


def test_policy_columns_reads_membership_subqueries() -> None:
    membership = "(org_id IN ( SELECT m.org_id FROM members m WHERE (m.user_id = auth.uid())))"
    assert policy_columns([membership], {"id", "org_id"}) == (None, "org_id")
    assert policy_columns(["(auth.uid() = owner)"], {"owner"}) == ("owner", None)
    assert policy_columns(["(user_id = auth.uid())"], {"id"}) == (None, None)  # not a column of the table
    assert policy_columns(["true"], {"id"}) == (None, None)
