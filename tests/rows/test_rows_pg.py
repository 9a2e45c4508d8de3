"""Generated rows go into a real PostgreSQL table with those constraints (property tests), and seeding works
on both example projects' migrations: counts, keys, owners, foreign keys, SQL files, bad seeds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings

from fallback.project.introspect import introspect
from fallback.project.keys import seed_id, seed_user_id
from fallback.project.rows import RowContext, generate_rows, rows_strategy
from fallback.stack.seed import SeedError, insert_rows, seed_source

from .conftest import MakeDb, migrations

EVERY_TYPE = """
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE parents (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE things (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parent_id   uuid NOT NULL REFERENCES parents (id),
  other_id    uuid REFERENCES parents (id),
  owner_id    uuid NOT NULL DEFAULT auth.uid(),
  label       varchar(12) NOT NULL UNIQUE,
  code        char(3) NOT NULL,
  handle      citext UNIQUE,
  body        text CHECK (length(body) <= 20),
  tiny        smallint NOT NULL,
  mid         integer NOT NULL CHECK (mid >= 0),
  big         bigint,
  price       numeric(8, 3) NOT NULL CHECK (price > 0),
  rating      integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
  status      text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'done', 'it''s')),
  ratio       real,
  precise     double precision NOT NULL,
  flag        boolean NOT NULL,
  born        date,
  seen        timestamp,
  at          timestamptz NOT NULL DEFAULT now(),
  alarm       time,
  doc         json,
  meta        jsonb NOT NULL DEFAULT '{}',
  numbers     integer[],
  words       text[] NOT NULL DEFAULT '{}',
  feeling     mood NOT NULL,
  blob        bytea,
  addr        inet,
  double_mid  bigint GENERATED ALWAYS AS (mid::bigint * 2) STORED,
  serial_no   bigserial
);
ALTER TABLE things ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON things FOR ALL TO authenticated USING (owner_id = auth.uid());
CREATE TABLE pairs (
  a integer NOT NULL,
  b text NOT NULL,
  parent_id uuid NOT NULL REFERENCES parents (id),
  PRIMARY KEY (a, b)
);
"""
PARENTS = [(f"00000000-0000-4000-8000-00000000000{i}",) for i in range(1, 4)]


async def _schema_and_conn(dsn: str) -> tuple[dict[str, object], asyncpg.Connection]:
    schema = await introspect(dsn, ("public",))
    conn = await asyncpg.connect(dsn)
    await conn.executemany("INSERT INTO parents VALUES ($1::uuid, 'p')", PARENTS)
    return {t.name: t for t in schema.tables}, conn


async def test_many_generated_rows_insert_cleanly(make_db: MakeDb) -> None:
    tables, conn = await _schema_and_conn(await make_db(EVERY_TYPE))
    try:
        things, pairs = tables["things"], tables["pairs"]
        context = RowContext(
            user_id="00000000-0000-4000-8000-0000000000aa",
            parents={"things_parent_id_fkey": PARENTS, "pairs_parent_id_fkey": PARENTS},
        )
        for table in (things, pairs):
            await insert_rows(conn, table, generate_rows(table, 1500, seed=5, context=context))  # type: ignore[arg-type]
        assert await conn.fetchval("SELECT count(*) FROM things") == 1500
        assert await conn.fetchval("SELECT count(DISTINCT owner_id) FROM things") == 1
        assert await conn.fetchval("SELECT count(*) FROM things WHERE other_id IS NOT NULL") == 0  # no parents given
        assert await conn.fetchval("SELECT count(*) FROM pairs") == 1500
    finally:
        await conn.close()


def test_strategy_rows_insert_cleanly(make_db: MakeDb) -> None:
    """Hypothesis draws batches; each goes in inside a transaction that is rolled back."""
    loop = asyncio.new_event_loop()
    try:
        tables, conn = loop.run_until_complete(_schema_and_conn(loop.run_until_complete(make_db(EVERY_TYPE))))
        context = RowContext(
            users=("00000000-0000-4000-8000-0000000000aa", "00000000-0000-4000-8000-0000000000bb"),
            parents={
                "things_parent_id_fkey": PARENTS,
                "things_other_id_fkey": PARENTS,
                "pairs_parent_id_fkey": PARENTS,
            },
        )

        async def insert(name: str, rows: list[dict[str, object]]) -> None:
            tx = conn.transaction()
            await tx.start()
            try:
                await insert_rows(conn, tables[name], rows)  # type: ignore[arg-type]
                assert await conn.fetchval(f"SELECT count(*) FROM {name}") == len(rows)
            finally:
                await tx.rollback()

        def property_for(name: str) -> Callable[[], None]:
            @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
            @given(rows_strategy(tables[name], context, max_size=8))  # type: ignore[arg-type]
            def check(rows: list[dict[str, object]]) -> None:
                loop.run_until_complete(insert(name, rows))

            return check

        for name in ("things", "pairs"):
            property_for(name)()
        loop.run_until_complete(conn.close())
    finally:
        loop.close()


async def test_spec_app_seeds_as_before(make_db: MakeDb) -> None:
    dsn = await make_db(*migrations("triple-fallback"))
    await seed_source(dsn, "BOLT", {"profiles": 30, "user_challenges": 25}, ordinal=1)
    conn = await asyncpg.connect(dsn)
    try:
        profiles = await conn.fetch("SELECT id, user_id FROM profiles")
        assert {(r["id"], r["user_id"]) for r in profiles} == {
            (seed_id("BOLT", "profiles", i), seed_user_id("BOLT", i)) for i in range(30)
        }
        challenges = await conn.fetch("SELECT id, user_id FROM user_challenges")
        assert {(r["id"], r["user_id"]) for r in challenges} == {
            (seed_id("BOLT", "user_challenges", i), seed_user_id("BOLT", i)) for i in range(25)
        }
        # Columns with a default take it, as the app's own rows would (a purchase is pending until assigned).
        assert [r["status"] for r in await conn.fetch("SELECT DISTINCT status FROM user_challenges")] == ["pending"]
        # Without profiles, user 0 owns every challenge (the scenario model's `seeded_users` rule).
        await seed_source(dsn, "BOLT", {"user_challenges": 5}, ordinal=1)
        owners = await conn.fetch("SELECT DISTINCT user_id FROM user_challenges")
        assert [r["user_id"] for r in owners] == [seed_user_id("BOLT", 0)]
        assert await conn.fetchval("SELECT count(*) FROM profiles") == 0  # a table left out is emptied
    finally:
        await conn.close()


async def test_saas_billing_seeds_parents_first_and_deterministically(make_db: MakeDb) -> None:
    dsn = await make_db(*migrations("saas-billing"))
    counts = {"invoice_lines": 40, "invoices": 20, "memberships": 12, "organizations": 4}
    conn = await asyncpg.connect(dsn)
    try:
        await seed_source(dsn, "REPLICA_EU", counts, ordinal=1)
        written = (
            "SELECT id, org_id, number, amount, currency, status, memo, metadata, paid_at FROM invoices ORDER BY id"
        )
        first = [tuple(r) for r in await conn.fetch(written)]
        for name, n in counts.items():
            assert await conn.fetchval(f"SELECT count(*) FROM {name}") == n
        orgs = {r["id"] for r in await conn.fetch("SELECT id FROM organizations")}
        assert orgs == {seed_id("REPLICA_EU", "organizations", i) for i in range(4)}
        assert {r["user_id"] for r in await conn.fetch("SELECT user_id FROM memberships")} == {
            seed_user_id("REPLICA_EU", i) for i in range(12)
        }  # no user table: as many users as the largest owner table's rows
        await seed_source(dsn, "REPLICA_EU", counts, ordinal=1)
        assert [tuple(r) for r in await conn.fetch(written)] == first
    finally:
        await conn.close()


async def test_a_foreign_key_into_an_unseeded_table_is_refused_before_writing(make_db: MakeDb) -> None:
    dsn = await make_db(*migrations("saas-billing"))
    await seed_source(dsn, "PRIMARY", {"organizations": 2})
    with pytest.raises(SeedError, match=r"invoices\.org_id references organizations, which the seed leaves empty"):
        await seed_source(dsn, "PRIMARY", {"invoices": 3})
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM organizations") == 2  # nothing was touched
    finally:
        await conn.close()


async def test_sql_file_first_then_generated_children_point_at_its_rows(make_db: MakeDb, tmp_path: Path) -> None:
    dsn = await make_db(*migrations("saas-billing"))
    seed_file = tmp_path / "orgs.sql"
    seed_file.write_text(
        "INSERT INTO organizations (id, name) VALUES ('11111111-1111-4111-8111-111111111111', 'Acme');"
    )
    await seed_source(dsn, "PRIMARY", {"invoices": 5}, files=(seed_file,))
    conn = await asyncpg.connect(dsn)
    try:
        assert [r["org_id"] for r in await conn.fetch("SELECT DISTINCT org_id::text FROM invoices")] == [
            "11111111-1111-4111-8111-111111111111"
        ]
    finally:
        await conn.close()
    broken = tmp_path / "broken.sql"
    broken.write_text("INSERT INTO nowhere VALUES (1);")
    with pytest.raises(SeedError, match=r"broken\.sql: UndefinedTableError"):
        await seed_source(dsn, "PRIMARY", {}, files=(broken,))


SUPABASE_USERS = """
CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY, email text, created_at timestamptz DEFAULT now());
CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id), username text UNIQUE NOT NULL);
CREATE TABLE public.posts (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  author_id uuid NOT NULL REFERENCES auth.users (id),
  body text NOT NULL
);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_profile ON public.profiles FOR ALL TO authenticated USING (auth.uid() = id);
CREATE POLICY own_posts ON public.posts FOR ALL TO authenticated USING (author_id = auth.uid());
"""


async def test_supabase_users_pattern_seeds_auth_users_first(make_db: MakeDb) -> None:
    """`profiles.id references auth.users` (Supabase's starter): one user per profile, in auth.users."""
    dsn = await make_db(SUPABASE_USERS)
    await seed_source(dsn, "OLD", {"posts": 7, "profiles": 3}, ordinal=2)
    conn = await asyncpg.connect(dsn)
    try:
        users = [seed_user_id("OLD", i) for i in range(3)]
        assert sorted(r["id"] for r in await conn.fetch("SELECT id FROM auth.users")) == sorted(users)
        assert await conn.fetchval("SELECT email FROM auth.users WHERE id = $1", users[1]) == "user1@old.example"
        assert sorted(r["id"] for r in await conn.fetch("SELECT id FROM profiles")) == sorted(users)
        authors = [r["author_id"] for r in await conn.fetch("SELECT author_id FROM posts ORDER BY id")]
        assert authors == [users[i % 3] for i in range(7)]  # posts keys are the OLD block's 0..6, in order
    finally:
        await conn.close()


LOOKUP = """
CREATE TABLE public.currencies (code char(3) PRIMARY KEY);
INSERT INTO public.currencies VALUES ('EUR'), ('USD');
CREATE TABLE public.prices (id uuid PRIMARY KEY, currency char(3) NOT NULL REFERENCES public.currencies (code));
"""


async def test_tables_outside_the_projects_tables_keep_their_migration_rows(make_db: MakeDb) -> None:
    dsn = await make_db(LOOKUP)
    await seed_source(dsn, "PRIMARY", {"prices": 6}, empty=("prices",))
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM currencies") == 2
        assert {r["currency"] for r in await conn.fetch("SELECT currency FROM prices")} <= {"EUR", "USD"}
        assert await conn.fetchval("SELECT count(*) FROM prices") == 6
    finally:
        await conn.close()
    with pytest.raises(SeedError, match=r"prices\.currency references currencies, which the seed leaves empty"):
        await seed_source(dsn, "PRIMARY", {"prices": 6})  # every table emptied: the lookup rows would be gone
