"""RPC through the real gateway on a real PostgreSQL: JWT roles and RLS as for tables, writes and their
rollback, the outage answers, and the real supabase-py client's `rpc(...)`.

(PostgREST's own request/response cases are in conformance/; these are about our stack's Supabase setup.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from postgrest.exceptions import APIError
from supabase import AsyncClientOptions, acreate_client

from fallback.gateway import routines

from ._cluster import run_sync
from .conftest import Source, _source
from .test_gateway_outage import assert_503, wait_until

ALICE = "11111111-1111-1111-1111-111111111111"
BOB = "22222222-2222-2222-2222-222222222222"
FUNCTIONS = """
CREATE OR REPLACE FUNCTION public.my_profiles() RETURNS SETOF public.profiles
  LANGUAGE sql STABLE AS $$ SELECT * FROM public.profiles ORDER BY email $$;
CREATE OR REPLACE FUNCTION public.whoami() RETURNS json
  LANGUAGE sql STABLE AS $$
  SELECT json_build_object('role', current_user, 'uid', auth.uid(),
                           'claim', current_setting('request.jwt.claims', true)::json->>'role') $$;
CREATE OR REPLACE FUNCTION public.add_profile(email text, full_name text DEFAULT NULL) RETURNS public.profiles
  LANGUAGE sql AS $$
  INSERT INTO public.profiles (user_id, email, full_name) VALUES (auth.uid(), email, full_name) RETURNING * $$;
CREATE OR REPLACE FUNCTION public.add_then_fail(email text) RETURNS void
  LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO public.profiles (user_id, email) VALUES (auth.uid(), email);
    RAISE SQLSTATE 'PT409' USING MESSAGE = 'duplicate request', HINT = 'send it once';
  END $$;
CREATE OR REPLACE FUNCTION public.touch(note text) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE OR REPLACE FUNCTION public.add_them(a integer, b integer DEFAULT 10) RETURNS integer
  LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
CREATE OR REPLACE FUNCTION public.slow(seconds float) RETURNS integer
  LANGUAGE sql STABLE AS $$ SELECT 1 FROM pg_sleep(seconds) $$;
NOTIFY pgrst, 'reload schema';
"""


def install(source: Source) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(source.pg.superuser_dsn)
        try:
            await conn.execute(FUNCTIONS)  # a script: several statements, no parameters
        finally:
            await conn.close()

    run_sync(run)
    deadline = time.monotonic() + 10
    while api(source).post("/rpc/add_them", json={"a": 1}).status_code != 200:
        assert time.monotonic() < deadline, "the schema cache never saw the functions"
        time.sleep(0.05)


def api(source: Source, key: str | None = None, token: str | None = None) -> httpx.Client:
    headers = {"apikey": key or source.service_key}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=source.rest_url, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def rpc_source(pg_template: Path) -> Iterator[Source]:
    generator = _source(pg_template)
    source = next(generator)
    try:
        install(source)
        yield source
    finally:
        generator.close()


@pytest.fixture
def fresh(rpc_source: Source) -> Source:
    rpc_source.sql("TRUNCATE public.profiles")
    rpc_source.sql("INSERT INTO public.profiles (user_id, email) VALUES ($1, 'a@x'), ($2, 'b@x')", ALICE, BOB)
    return rpc_source


def test_role_claims_and_rls_as_for_tables(fresh: Source) -> None:
    alice = api(fresh, fresh.anon_key, fresh.token("authenticated", ALICE))
    assert alice.get("/rpc/whoami").json() == {"role": "authenticated", "uid": ALICE, "claim": "authenticated"}
    assert [r["email"] for r in alice.get("/rpc/my_profiles").json()] == ["a@x"]
    anon = api(fresh, fresh.anon_key)
    assert anon.get("/rpc/whoami").json()["role"] == "anon"
    assert anon.post("/rpc/my_profiles").json() == []
    service = api(fresh)
    assert service.get("/rpc/my_profiles", params={"select": "email"}).json() == [{"email": "a@x"}, {"email": "b@x"}]
    rows = service.get("/rpc/my_profiles", params={"select": "email", "user_id": f"eq.{BOB}"}).json()
    assert rows == [{"email": "b@x"}]
    bad = api(fresh, fresh.anon_key, "not.a.jwt").get("/rpc/whoami")
    assert (bad.status_code, bad.json()["code"]) == (401, "PGRST301")


def test_writes_commit_and_a_raise_rolls_back(fresh: Source) -> None:
    alice = api(fresh, fresh.anon_key, fresh.token("authenticated", ALICE))
    made = alice.post("/rpc/add_profile", json={"email": "new@x"})
    assert made.status_code == 200 and made.json()["user_id"] == ALICE and made.json()["full_name"] is None
    assert fresh.sql("SELECT count(*) FROM public.profiles WHERE email = 'new@x'")[0][0] == 1
    refused = alice.get("/rpc/add_profile", params={"email": "via-get@x"})  # GET runs READ ONLY
    assert (refused.status_code, refused.json()["code"]) == (405, "25006")
    failed = alice.post("/rpc/add_then_fail", json={"email": "ghost@x"})
    assert failed.status_code == 409
    assert failed.json() == {"code": "PT409", "message": "duplicate request", "details": None, "hint": "send it once"}
    assert fresh.sql("SELECT count(*) FROM public.profiles WHERE email IN ('ghost@x', 'via-get@x')")[0][0] == 0
    void = alice.post("/rpc/touch", json={"note": "x"})
    assert (void.status_code, void.content, "content-type" in void.headers) == (204, b"", False)
    anon = api(fresh, fresh.anon_key)  # no policy lets anon insert: PostgreSQL's 42501, 401 for anon
    denied = anon.post("/rpc/add_profile", json={"email": "anon@x"})
    assert (denied.status_code, denied.json()["code"]) == (401, "42501")


def test_outage_answers_like_tables(make_source: Callable[..., Source]) -> None:
    source = make_source()
    install(source)
    source.pg.stop("immediate")
    assert_503(api(source).post("/rpc/add_them", json={"a": 1}))
    wait_until(lambda: httpx.get(f"{source.gateway.url}/ready", timeout=5).status_code == 503, 5)
    assert_503(api(source).get("/rpc/add_them", params={"a": "1"}), {"PGRST002"})
    source.pg.start()
    wait_until(lambda: api(source).get("/rpc/add_them", params={"a": "1"}).status_code == 200, 10)
    assert api(source).get("/rpc/add_them", params={"a": "1", "b": "2"}).json() == 3


def test_statement_timeout_applies(make_source: Callable[..., Source]) -> None:
    source = make_source(statement_timeout_ms=300)
    install(source)
    response = api(source).get("/rpc/slow", params={"seconds": "2"})
    assert (response.status_code, response.json()["code"]) == (500, "57014")
    assert api(source).get("/rpc/slow", params={"seconds": "0"}).json() == 1


# --- the real supabase-py client -------------------------------------------------------------------
async def supabase(source: Source, key: str, token: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    options = AsyncClientOptions(postgrest_client_timeout=httpx.Timeout(10), headers=headers)
    return await acreate_client(source.gateway.url, key, options=options)


async def test_supabase_client_rpc(fresh: Source) -> None:
    service = await supabase(fresh, fresh.service_key)
    assert (await service.rpc("add_them", {"a": 2, "b": 3}).execute()).data == 5
    assert (await service.rpc("add_them", {"a": 2}).execute()).data == 12  # DEFAULT honoured
    page = await service.rpc("my_profiles", count="exact").select("email").neq("email", "a@x").execute()
    assert page.data == [{"email": "b@x"}] and page.count == 1
    one = await service.rpc("my_profiles").eq("user_id", ALICE).single().execute()
    assert one.data["email"] == "a@x"
    got = await service.rpc("add_them", {"a": 1}, get=True).execute()
    assert got.data == 11
    with pytest.raises(APIError) as missing:
        await service.rpc("add_them", {"a": 1, "c": 2}).execute()
    assert missing.value.code == "PGRST202"
    assert missing.value.hint == "Perhaps you meant to call the function public.add_them(a, b)"
    alice = await supabase(fresh, fresh.anon_key, fresh.token("authenticated", ALICE))
    assert [r["email"] for r in (await alice.rpc("my_profiles").execute()).data] == ["a@x"]
    made = await alice.rpc("add_profile", {"email": "c@x", "full_name": "C"}).execute()
    assert made.data["user_id"] == ALICE and made.data["full_name"] == "C"
    with pytest.raises(APIError) as raised:
        await alice.rpc("add_then_fail", {"email": "d@x"}).execute()
    assert (raised.value.code, raised.value.message) == ("PT409", "duplicate request")


def test_functions_catalog_query_is_never_jit_compiled(rpc_source: Source) -> None:
    """Regression: walking every type for domain bases made PostgreSQL estimate the query so high that it
    JIT-compiled it, about a second added to every reconnect (outage recovery). Checked on the plan, not a clock."""
    plan = rpc_source.sql(f"EXPLAIN (FORMAT JSON) {routines.FUNCTIONS_SQL}", ["public"])[0][0]
    cost = json.loads(plan)[0]["Plan"]["Total Cost"]
    jit_above = float(rpc_source.sql("SELECT current_setting('jit_above_cost')")[0][0])
    assert cost < jit_above, f"planned cost {cost} reaches jit_above_cost {jit_above}"
