"""PostgREST's preference and mutation cases (prefs.yaml: PreferencesSpec, InsertSpec, UpdateSpec, DeleteSpec,
UpsertSpec, SingularSpec, RangeSpec, ...) against the real gateway on a real PostgreSQL.

The source is private to this module (schema `test` from prefs_fixture.sql, `db_tx_end =
commit-allow-override` as in PostgREST's spec run). PostgREST runs every case in a transaction it rolls
back; here the rows of prefs_data.sql are loaded again before every case that writes, so a read case
placed right after a write case sees what that write left (the file says where a case relies on it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from .._cluster import run_sync
from ..conftest import Source, _source
from .cases import Case, load
from .conftest import load_fixture, record

HERE = Path(__file__).resolve().parent
CASES = load("prefs.yaml")
READS = ("GET", "HEAD", "OPTIONS")


def _reload_data(source: Source) -> None:
    async def apply() -> None:
        conn = await asyncpg.connect(source.pg.superuser_dsn)
        try:
            await conn.execute((HERE / "prefs_data.sql").read_text(encoding="utf-8"))
        finally:
            await conn.close()

    run_sync(apply)


def _wait_for_tables(source: Source, timeout: float = 20) -> None:
    """The schema cache reloads in the background after NOTIFY; wait until it serves the fixture."""
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{source.rest_url}/tiobe_pls", headers={"apikey": source.anon_key}, timeout=5)
        if response.status_code == 200:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the gateway never served the fixture's tables (last answer: {response.text})")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def prefs_source(pg_template: Path) -> Iterator[Source]:
    generator = _source(pg_template, schemas=["test"], db_tx_end="commit-allow-override")
    source = next(generator)
    try:
        load_fixture(source, HERE / "prefs_fixture.sql")
        _reload_data(source)
        _wait_for_tables(source)
        yield source
    finally:
        generator.close()


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=f"{case.spec}:{case.method} {case.path[:50]} | {case.it[:60]}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_prefs_case(prefs_source: Source, case: Case) -> None:
    if case.method not in READS:
        _reload_data(prefs_source)
    headers = {"apikey": prefs_source.anon_key, **case.headers}
    with httpx.Client(base_url=prefs_source.rest_url, timeout=15) as client:
        response = client.request(case.method, case.path, headers=headers, content=case.content())
    mismatches = case.mismatches(response)
    record(case.spec, "xfail" if case.xfail else ("failed" if mismatches else "passed"))
    assert not mismatches, "\n".join(mismatches)


def test_supabase_py_upsert_count_single(prefs_source: Source) -> None:
    """The real supabase-py client (postgrest-py) against the gateway: upsert, count and single as apps use them."""
    from postgrest.exceptions import APIError
    from supabase import ClientOptions, create_client

    _reload_data(prefs_source)
    client = create_client(prefs_source.gateway.url, prefs_source.anon_key, options=ClientOptions(schema="test"))
    upserted = (
        client.table("tiobe_pls")
        .upsert([{"name": "Java", "rank": 3}, {"name": "Go", "rank": 19}], count="exact", default_to_null=False)
        .execute()
    )
    assert sorted(upserted.data, key=lambda row: row["name"]) == [
        {"name": "Go", "rank": 19},
        {"name": "Java", "rank": 3},
    ]
    assert upserted.count == 2
    ignored = client.table("tiobe_pls").upsert({"name": "C", "rank": 99}, ignore_duplicates=True).execute()
    assert ignored.data == []
    rows = client.table("tiobe_pls").select("name,rank").order("name").execute()
    assert rows.data == [
        {"name": "C", "rank": 2},
        {"name": "Go", "rank": 19},
        {"name": "Java", "rank": 3},
        {"name": "Python", "rank": 4},
    ]

    counted = client.table("items").select("id", count="exact").lt("id", 4).order("id").limit(2).execute()
    assert (counted.data, counted.count) == ([{"id": 1}, {"id": 2}], 3)
    head = client.table("items").select("*", count="exact", head=True).execute()
    assert (head.data, head.count) == ([], 15)

    single = client.table("items").select("id").eq("id", 5).single().execute()
    assert single.data == {"id": 5}
    with pytest.raises(APIError) as refused:
        client.table("items").select("id").lt("id", 3).single().execute()
    assert refused.value.code == "PGRST116"
    assert client.table("items").select("id").eq("id", 999).maybe_single().execute() is None
