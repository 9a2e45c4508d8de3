"""The gateway against a real PostgreSQL, driven by raw httpx and by the real supabase client."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from postgrest.exceptions import APIError
from supabase import AsyncClientOptions, acreate_client

from .conftest import Source

ALICE = "11111111-1111-1111-1111-111111111111"
BOB = "22222222-2222-2222-2222-222222222222"


def seed(source: Source) -> None:
    source.sql(
        """INSERT INTO public.profiles (id, user_id, email, full_name, role) VALUES
        ('00000000-0000-0000-0000-000000000001', $1, 'alice@example.com', 'Alice A', 'admin'),
        ('00000000-0000-0000-0000-000000000002', $1, 'alice2@example.com', NULL, 'user'),
        ('00000000-0000-0000-0000-000000000003', $2, 'bob@example.com', 'Bob, B', 'user'),
        ('00000000-0000-0000-0000-000000000004', $2, 'o''brien@example.com', 'O''Brien', 'user')""",
        ALICE,
        BOB,
    )


def api(source: Source, key: str | None = None, token: str | None = None, **headers: str) -> httpx.Client:
    base: dict[str, str] = {"apikey": key or source.service_key, **headers}
    if token:
        base["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=source.rest_url, headers=base, timeout=10)


# --- select ----------------------------------------------------------------------------------------
def test_select_filters_order_limit_and_count(clean: Source) -> None:
    seed(clean)
    with api(clean) as c:
        r = c.get(
            "/profiles",
            params={"select": "email", "order": "email.desc", "limit": "2"},
            headers={"Prefer": "count=exact"},
        )
        assert r.status_code == 206
        assert r.json() == [{"email": "o'brien@example.com"}, {"email": "bob@example.com"}]
        assert r.headers["content-range"] == "0-1/4"
        assert r.headers["content-type"] == "application/json; charset=utf-8"

        def emails(**params: str) -> list[str]:
            resp = c.get("/profiles", params={"select": "email", "order": "email", **params})
            assert resp.status_code == 200, resp.text
            return [row["email"] for row in resp.json()]

        assert emails(user_id=f"eq.{BOB}") == ["bob@example.com", "o'brien@example.com"]
        assert emails(role="neq.user") == ["alice@example.com"]
        assert emails(full_name="is.null") == ["alice2@example.com"]
        assert emails(full_name="not.is.null") == ["alice@example.com", "bob@example.com", "o'brien@example.com"]
        assert emails(full_name='in.("Bob, B",O\'Brien)') == ["bob@example.com", "o'brien@example.com"]
        assert emails(email="like.alice*") == ["alice2@example.com", "alice@example.com"]
        assert emails(email="ilike.*BOB*") == ["bob@example.com"]
        assert emails(id="gt.00000000-0000-0000-0000-000000000002", email="not.eq.bob@example.com") == [
            "o'brien@example.com"
        ]
        assert emails(id="lte.00000000-0000-0000-0000-000000000001") == ["alice@example.com"]
        assert emails(**{"or": '(role.eq.admin,full_name.eq."Bob, B")'}) == ["alice@example.com", "bob@example.com"]
        assert emails(**{"and": "(user_id.eq." + ALICE + ",or(role.eq.admin,full_name.is.null))"}) == [
            "alice2@example.com",
            "alice@example.com",
        ]
        assert emails(offset="3") == ["o'brien@example.com"]
        assert emails(full_name="eq.' OR 1=1 --") == []


def test_select_renames_nulls_order_and_range_header(clean: Source) -> None:
    seed(clean)
    with api(clean) as c:
        r = c.get(
            "/profiles",
            params={"select": "mail:email,full_name", "order": "full_name.asc.nullsfirst"},
            headers={"Range": "0-1"},
        )
        assert r.json() == [
            {"mail": "alice2@example.com", "full_name": None},
            {"mail": "alice@example.com", "full_name": "Alice A"},
        ]
        assert r.headers["content-range"] == "0-1/*"
        empty = c.get("/profiles", params={"email": "eq.nobody"}, headers={"Prefer": "count=exact"})
        assert empty.json() == [] and empty.headers["content-range"] == "*/0"
        head = c.head("/profiles", headers={"Prefer": "count=exact"})
        assert head.status_code == 200 and head.content == b"" and head.headers["content-range"] == "0-3/4"
        beyond = c.get("/profiles", params={"offset": "10"}, headers={"Prefer": "count=exact"})
        assert beyond.status_code == 416 and beyond.json()["code"] == "PGRST103"


def test_single_object(clean: Source) -> None:
    seed(clean)
    with api(clean, Accept="application/vnd.pgrst.object+json") as c:
        one = c.get("/profiles", params={"email": "eq.bob@example.com", "select": "email,account:role"})
        assert one.status_code == 200 and one.json() == {"email": "bob@example.com", "account": "user"}
        many = c.get("/profiles")
        assert many.status_code == 406 and many.json()["code"] == "PGRST116"
        assert many.json()["details"] == "The result contains 4 rows"


def test_types_serialize_as_postgres_prints_them(clean: Source) -> None:
    with api(clean) as c:
        r = c.post(
            "/user_challenges",
            json={"user_id": ALICE, "email": "a@x", "account_size": 25000.5},
            headers={"Prefer": "return=representation"},
        )
        assert r.status_code == 201, r.text
        row = r.json()[0]
        assert row["account_size"] == 25000.50 and row["challenge_type"] == "CLASSIC 2-STEP"
        assert row["created_at"].endswith("+00:00") and uuid.UUID(row["id"])


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"select": "nope"}, 400, "42703"),
        ({"nope": "eq.1"}, 400, "42703"),
        ({'email";drop table public.profiles;--': "eq.1"}, 400, "42703"),
        ({"order": "nope.desc"}, 400, "42703"),
        ({"id": "eq.not-a-uuid"}, 400, "22P02"),
        ({"email": "zz.1"}, 400, "PGRST100"),
        ({"limit": "-1"}, 400, "PGRST100"),
        ({"select": "email::text;drop"}, 400, "PGRST100"),
        ({"select": "*,user_challenges(*)"}, 400, "PGRST200"),
    ],
)
def test_bad_requests(clean: Source, params: dict[str, str], status: int, code: str) -> None:
    with api(clean) as c:
        r = c.get("/profiles", params=params)
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert set(r.json()) == {"code", "details", "hint", "message"}
    assert r.headers["proxy-status"] == f"PostgREST; error={code}"
    assert clean.sql("SELECT count(*) FROM public.profiles")[0][0] == 0


def test_unknown_table_and_schema(clean: Source) -> None:
    with api(clean) as c:
        r = c.get("/profile")
        assert r.status_code == 404
        assert r.json() == {
            "code": "PGRST205",
            "details": None,
            "hint": "Perhaps you meant the table 'public.profiles'",
            "message": "Could not find the table 'public.profile' in the schema cache",
        }
        r = c.get("/profiles", headers={"Accept-Profile": "auth"})
        assert r.status_code == 406 and r.json()["code"] == "PGRST106"


# --- apikey and JWT --------------------------------------------------------------------------------
def test_apikey_and_jwt_errors(clean: Source) -> None:
    url = f"{clean.rest_url}/profiles"
    r = httpx.get(url)
    assert r.status_code == 401 and r.json() == {"message": "No API key found in request"}
    r = httpx.get(url, headers={"apikey": "nope"})
    assert r.status_code == 401 and r.json()["message"] == "Invalid API key"
    assert httpx.get(url, params={"apikey": clean.anon_key}).status_code == 200

    def with_token(token: str) -> httpx.Response:
        return httpx.get(url, headers={"apikey": clean.anon_key, "Authorization": f"Bearer {token}"})

    r = with_token("not-a-jwt")
    assert (r.status_code, r.json()["code"]) == (401, "PGRST301")
    assert r.json()["message"] == "Expected 3 parts in JWT; got 1"
    assert r.headers["www-authenticate"].startswith("Bearer")
    foreign = Source(clean.pg, clean.gateway, "another-project-secret-0123456789abcdef", "", "")
    r = with_token(foreign.token("authenticated", ALICE))
    assert (r.status_code, r.json()["code"]) == (401, "PGRST301")
    r = with_token(clean.token("authenticated", ALICE, exp_in=-120))
    assert (r.status_code, r.json()["code"], r.json()["message"]) == (401, "PGRST303", "JWT expired")
    assert "JWT expired" in r.headers["www-authenticate"]


# --- row-level security ------------------------------------------------------------------------------
def test_rls_per_role(clean: Source) -> None:
    seed(clean)
    with api(clean, clean.anon_key, clean.token("authenticated", ALICE)) as alice:
        rows = alice.get("/profiles", params={"select": "email", "order": "email"}).json()
        assert rows == [{"email": "alice2@example.com"}, {"email": "alice@example.com"}]
        stolen = alice.post("/profiles", json={"user_id": BOB, "email": "x"})
        assert (stolen.status_code, stolen.json()["code"]) == (403, "42501")
        assert alice.patch("/profiles", params={"user_id": f"eq.{BOB}"}, json={"role": "x"}).status_code == 204
        assert alice.post("/profiles", json={"user_id": ALICE, "email": "new"}).status_code == 201
    with api(clean, clean.anon_key) as anon:
        assert anon.get("/profiles").json() == []
        refused = anon.post("/profiles", json={"user_id": ALICE, "email": "x"})
        assert (refused.status_code, refused.json()["code"]) == (401, "42501")
        assert refused.headers["www-authenticate"] == "Bearer"
    with api(clean) as service:
        assert len(service.get("/profiles").json()) == 5
    assert clean.sql("SELECT count(*) FROM public.profiles WHERE role = 'x'")[0][0] == 0


# --- mutations with raw HTTP --------------------------------------------------------------------------
def test_insert_update_delete_headers(clean: Source) -> None:
    with api(clean) as c:
        r = c.post("/profiles", json={"user_id": ALICE, "email": "a"})
        assert (r.status_code, r.content, r.headers["content-range"]) == (201, b"", "*/*")
        r = c.post(
            "/profiles",
            params={"columns": "user_id,email"},
            json=[{"user_id": ALICE, "email": "b", "ignored": 1}, {"user_id": BOB, "email": "c"}],
            headers={"Prefer": "return=representation,count=exact"},
        )
        assert r.status_code == 201 and [row["email"] for row in r.json()] == ["b", "c"]
        assert r.headers["preference-applied"] == "return=representation, count=exact"
        assert r.headers["content-range"] == "*/2"
        r = c.post("/profiles", json={"user_id": ALICE, "email": "d", "bogus": 1})
        assert (r.status_code, r.json()["code"]) == (400, "PGRST204")
        assert r.json()["message"] == "Could not find the 'bogus' column of 'profiles' in the schema cache"
        r = c.post("/profiles", json=[{"user_id": ALICE, "email": "e"}, {"email": "f"}])
        assert (r.status_code, r.json()["code"]) == (400, "PGRST102")
        r = c.post("/profiles", content=b"{nope", headers={"Content-Type": "application/json"})
        assert (r.status_code, r.json()["code"]) == (400, "PGRST102")
        r = c.post("/profiles", json={"email": "g"})
        assert (r.status_code, r.json()["code"]) == (400, "23502")
        r = c.patch(
            "/profiles",
            params={"email": "in.(a,b)"},
            json={"full_name": "AB"},
            headers={"Prefer": "return=representation"},
        )
        assert r.status_code == 200 and sorted(row["email"] for row in r.json()) == ["a", "b"]
        r = c.patch("/profiles", params={"email": "eq.c"}, json={"full_name": "C"})
        assert (r.status_code, r.headers["content-range"]) == (204, "0-0/*")
        r = c.delete("/profiles", params={"full_name": "eq.AB"}, headers={"Prefer": "return=representation"})
        assert r.status_code == 200 and len(r.json()) == 2
        assert c.delete("/profiles", params={"email": "eq.c"}).status_code == 204
    assert clean.sql("SELECT count(*) FROM public.profiles")[0][0] == 0


# --- the real supabase client ----------------------------------------------------------------------
async def client(source: Source, key: str, token: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    options = AsyncClientOptions(postgrest_client_timeout=httpx.Timeout(10), headers=headers)
    return await acreate_client(source.gateway.url, key, options=options)


async def test_supabase_client_crud_and_upsert(clean: Source) -> None:
    sb = await client(clean, clean.service_key)
    pid = str(uuid.uuid4())
    made = await sb.table("profiles").insert({"id": pid, "user_id": ALICE, "email": "a@x"}).execute()
    assert made.data[0]["id"] == pid and made.data[0]["role"] == "user"
    with pytest.raises(APIError) as dup:
        await sb.table("profiles").insert({"id": pid, "user_id": ALICE, "email": "dup"}).execute()
    assert dup.value.code == "23505"

    merged = await sb.table("profiles").upsert({"id": pid, "user_id": ALICE, "email": "merged"}).execute()
    assert merged.data[0]["email"] == "merged"
    ignored = (
        await sb.table("profiles")
        .upsert({"id": pid, "user_id": ALICE, "email": "ignored"}, ignore_duplicates=True, on_conflict="id")
        .execute()
    )
    assert ignored.data == []
    rows = (
        await sb.table("profiles")
        .insert(
            [{"user_id": BOB, "email": "b@x"}, {"user_id": BOB, "email": "c@x", "full_name": "C"}],
            default_to_null=False,
        )
        .execute()
    )
    assert [r["full_name"] for r in rows.data] == [None, "C"] and rows.data[0]["role"] == "user"
    with pytest.raises(APIError) as nulls:  # without missing=default an absent NOT NULL column is NULL
        await sb.table("profiles").insert([{"user_id": BOB, "email": "d@x"}, {"user_id": BOB}]).execute()
    assert nulls.value.code == "23502"

    page = await sb.table("profiles").select("email", count="exact").eq("user_id", BOB).order("email").execute()
    assert [r["email"] for r in page.data] == ["b@x", "c@x"] and page.count == 2
    one = await sb.table("profiles").select("*").eq("id", pid).single().execute()
    assert one.data["email"] == "merged"
    none = await sb.table("profiles").select("*").eq("email", "nobody").maybe_single().execute()
    assert none is None
    updated = await sb.table("profiles").update({"full_name": "Bobby"}).eq("user_id", BOB).execute()
    assert len(updated.data) == 2
    deleted = await sb.table("profiles").delete().eq("id", pid).execute()
    assert deleted.data[0]["id"] == pid
    with pytest.raises(APIError) as missing:
        await sb.table("nope").select("*").execute()
    assert missing.value.code == "PGRST205"


async def test_supabase_client_rls(clean: Source) -> None:
    await clean.asql("INSERT INTO public.profiles (user_id, email) VALUES ($1, 'a'), ($2, 'b')", ALICE, BOB)
    alice = await client(clean, clean.anon_key, clean.token("authenticated", ALICE))
    mine = await alice.table("profiles").select("email").execute()
    assert mine.data == [{"email": "a"}]
    anon = await client(clean, clean.anon_key)
    assert (await anon.table("profiles").select("*").execute()).data == []
    with pytest.raises(APIError) as refused:
        await anon.table("user_challenges").insert({"user_id": ALICE, "email": "a"}).execute()
    assert refused.value.code == "42501"
    service = await client(clean, clean.service_key)
    assert len((await service.table("profiles").select("*").execute()).data) == 2


# --- schema cache reload, root and rpc ---------------------------------------------------------------
def test_notify_reloads_schema_cache(make_source: Callable[..., Source]) -> None:
    source = make_source()
    with api(source) as c:
        assert c.get("/late_table").json()["code"] == "PGRST205"
        source.sql("CREATE TABLE public.late_table (id int PRIMARY KEY, label text)")
        source.sql("GRANT SELECT ON public.late_table TO service_role")
        source.sql("NOTIFY pgrst, 'reload schema'")
        deadline = time.monotonic() + 5
        while c.get("/late_table").status_code != 200:
            assert time.monotonic() < deadline, "the schema cache was not reloaded"
            time.sleep(0.05)
        root = c.get("/")
        assert root.status_code == 200 and "/late_table" in root.json()["paths"]
        rpc = c.post("/rpc/anything", json={})
        assert (rpc.status_code, rpc.json()["code"]) == (404, "PGRST202")
    assert httpx.get(f"{source.gateway.url}/live").status_code == 200
    assert httpx.get(f"{source.gateway.url}/ready").status_code == 200
