"""Exposed schemas (PostgREST's `db-schemas`) and schema cache reloading on DDL, on a real PostgreSQL.

The ported MultipleSchemaSpec cases are in conformance/schemas.yaml; these tests cover what they do not:
the option's validation (gateway config and `stack up --schemas`), the stack creating the schemas it
exposes, Content-Profile with a single schema, and the event trigger that reloads the cache on DDL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
import httpx
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from fallback.cli import app
from fallback.gateway.config import GatewayConfig, parse_schemas
from fallback.stack.migrate import prepare_database

from ._cluster import AUTHENTICATOR_PASSWORD, run_sync
from .conftest import Source


def api(source: Source, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=source.rest_url, headers={"apikey": source.service_key, **headers}, timeout=10)


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


# --- the option --------------------------------------------------------------------------------------
def test_parse_schemas_keeps_order_and_strips() -> None:
    assert parse_schemas(" public, personal ") == ("public", "personal")
    assert parse_schemas('SPECIAL "@/\\#~_-') == ('SPECIAL "@/\\#~_-',)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "empty"),
        ("public,,personal", "empty"),
        ("public,public", "twice"),
        ("public,pg_catalog", "cannot be exposed"),
        ("information_schema", "cannot be exposed"),
        ("x" * 64, "longer than 63"),
    ],
)
def test_bad_schemas_are_refused(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_schemas(text)


def test_gateway_config_validates_schemas() -> None:
    base = {"name": "T", "port": 1, "db_dsn": "postgresql://x", "jwt_secret": "s", "api_keys": []}
    assert GatewayConfig.model_validate(base).schemas == ["public"]
    with pytest.raises(ValidationError, match="pg_catalog"):
        GatewayConfig.model_validate({**base, "schemas": ["pg_catalog"]})


@pytest.mark.parametrize("bad", ["", "public,pg_catalog", "a,a"])
def test_stack_up_refuses_bad_schemas_before_starting(bad: str, tmp_path: object) -> None:
    result = CliRunner().invoke(app, ["stack", "up", "--schemas", bad, "--state-dir", f"{tmp_path}/never"])
    assert result.exit_code == 2, result.output
    assert "--schemas" in result.output


def test_prepare_database_creates_the_exposed_schemas_for_the_api_roles(make_source: Callable[..., Source]) -> None:
    source = make_source()
    run_sync(lambda: prepare_database(source.pg.superuser_dsn, AUTHENTICATOR_PASSWORD, ("public", "personal")))
    rows = source.sql(
        "SELECT r.rolname FROM pg_roles r WHERE r.rolname IN ('anon', 'authenticated', 'service_role') "
        "AND has_schema_privilege(r.rolname, 'personal', 'USAGE') ORDER BY 1"
    )
    assert [r[0] for r in rows] == ["anon", "authenticated", "service_role"]


# --- profiles with one schema ----------------------------------------------------------------------
def test_single_schema_content_profile_only_when_negotiated(source: Source) -> None:
    with api(source) as c:
        plain = c.get("/profiles?select=id&limit=1")
        assert plain.status_code == 200 and "content-profile" not in plain.headers
        asked = c.get("/profiles?select=id&limit=1", headers={"Accept-Profile": "public"})
        assert asked.status_code == 200 and asked.headers["content-profile"] == "public"


def test_delete_chooses_its_schema_with_content_profile(source: Source) -> None:
    """PostgREST reads Content-Profile (not Accept-Profile) for DELETE, like POST, PATCH and PUT."""
    with api(source) as c:
        refused = c.delete("/profiles?id=eq.00000000-0000-0000-0000-000000000000", headers={"Content-Profile": "nope"})
        assert (refused.status_code, refused.json()["code"]) == (406, "PGRST106")
        assert refused.json()["hint"] == "Only the following schemas are exposed: public"
        ignored = c.delete("/profiles?id=eq.00000000-0000-0000-0000-000000000000", headers={"Accept-Profile": "nope"})
        assert ignored.status_code == 204


# --- reloading on DDL (the event trigger in fallback/stack/sql/03_schema_watch.sql) ----------------------
def test_ddl_reloads_the_schema_cache_without_notify(make_source: Callable[..., Source]) -> None:
    source = make_source()
    with api(source) as c:
        assert c.get("/ddl_table").json()["code"] == "PGRST205"
        source.sql("CREATE TABLE public.ddl_table (id int PRIMARY KEY)")
        source.sql("GRANT SELECT ON public.ddl_table TO service_role")
        wait_for(lambda: c.get("/ddl_table").status_code == 200, "CREATE TABLE never became visible")
        source.sql("ALTER TABLE public.ddl_table ADD COLUMN label text")
        wait_for(lambda: c.get("/ddl_table?select=label").status_code == 200, "ALTER TABLE never became visible")
        source.sql("DROP TABLE public.ddl_table")
        wait_for(lambda: c.get("/ddl_table").status_code == 404, "DROP TABLE never became visible")


def test_a_burst_of_ddl_ends_with_every_change_visible(make_source: Callable[..., Source]) -> None:
    """Twenty DDL transactions in a row NOTIFY twenty times; the reloads coalesce and the last one sees all."""
    source = make_source()
    for i in range(20):
        source.sql(f"CREATE TABLE public.burst_{i} (id int PRIMARY KEY)")
        source.sql(f"GRANT SELECT ON public.burst_{i} TO service_role")
    with api(source) as c:
        wait_for(lambda: c.get("/burst_19").status_code == 200, "the last table never became visible")
        assert all(c.get(f"/burst_{i}").status_code == 200 for i in range(20))
    assert httpx.get(f"{source.gateway.url}/ready").status_code == 200


def test_temporary_tables_do_not_notify(source: Source) -> None:
    """PostgREST's trigger skips pg_temp: a session's temporary table is no one's API, a real table is."""

    async def notices() -> tuple[list[str], list[str]]:
        listener = await asyncpg.connect(source.pg.superuser_dsn)
        ddl = await asyncpg.connect(source.pg.superuser_dsn)
        heard: list[str] = []
        try:
            await listener.add_listener("pgrst", lambda _c, _p, _ch, payload: heard.append(payload))
            await ddl.execute("CREATE TEMP TABLE scratch (id int)")
            await asyncio.sleep(0.3)
            after_temp = list(heard)
            await ddl.execute("CREATE TABLE public.watched_table (id int); DROP TABLE public.watched_table")
            await asyncio.sleep(0.3)
            return after_temp, heard
        finally:
            await ddl.close()
            await listener.close()

    after_temp, after_real = run_sync(notices)
    assert after_temp == []
    assert after_real == ["reload schema"]  # one NOTIFY per transaction: PostgreSQL folds the duplicates
