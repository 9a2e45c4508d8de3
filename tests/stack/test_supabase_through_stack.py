"""The unmodified `supabase` client against every source of the stack, through Toxiproxy.

What the client sees is compared with what SQL sees directly in each database.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from postgrest.exceptions import APIError
from supabase import AsyncClient, AsyncClientOptions, acreate_client

from fallback.names import source_names
from fallback.stack.seed import seed_id, seed_user_id
from fallback.stack.state import SourceEndpoints, StackState
from fallback.toxics import Toxiproxy, latency

pytestmark = pytest.mark.stack
SEED = {"profiles": {"PRIMARY": 5, "BOLT": 4, "OLD": 3}, "user_challenges": {"PRIMARY": 9, "BOLT": 6, "OLD": 4}}
Sql = Callable[..., Awaitable[list]]

SOURCE_NAMES = source_names()  # the built-in example's: these tests run on it


async def client_for(source: SourceEndpoints, key: str, token: str | None = None) -> AsyncClient:
    options = AsyncClientOptions(postgrest_client_timeout=httpx.Timeout(10.0), postgrest_client_retry=False)
    client = await acreate_client(source.api_url, key, options=options)
    if token is not None:
        client.postgrest.auth(token)
    return client


@pytest.fixture
def seeded(stack: StackState, seed: Callable[[dict], None]) -> StackState:
    seed(SEED)
    return stack


@pytest.fixture(params=SOURCE_NAMES)
async def admin(
    request: pytest.FixtureRequest, seeded: StackState
) -> AsyncIterator[tuple[SourceEndpoints, AsyncClient]]:
    source = seeded.source(request.param)
    client = await client_for(source, source.service_role_key)
    yield source, client


async def test_select_matches_sql(admin: tuple[SourceEndpoints, AsyncClient], sql: Sql) -> None:
    source, client = admin
    result = await client.table("user_challenges").select("*", count="exact").order("id").execute()
    rows = await sql(source.name, "select id::text from user_challenges order by id")
    assert [r["id"] for r in result.data] == [r["id"] for r in rows]
    assert result.count == SEED["user_challenges"][source.name]
    filtered = (
        await client.table("user_challenges")
        .select("id,email,account_size")
        .eq("user_id", str(seed_user_id(source.name, 0)))
        .gte("account_size", 10000)
        .limit(2)
        .execute()
    )
    expected = await sql(
        source.name,
        "select count(*) from user_challenges where user_id = $1 and account_size >= 10000",
        seed_user_id(source.name, 0),
    )
    assert len(filtered.data) == min(2, expected[0]["count"])
    assert all(set(row) == {"id", "email", "account_size"} for row in filtered.data)


async def test_insert_upsert_update_delete_match_sql(admin: tuple[SourceEndpoints, AsyncClient], sql: Sql) -> None:
    source, client = admin
    row_id = str(uuid.uuid4())
    user = str(uuid.uuid4())
    row = {"id": row_id, "user_id": user, "email": "new@example.com", "account_size": 25000}
    inserted = await client.table("user_challenges").insert(row).execute()
    assert inserted.data[0]["id"] == row_id and inserted.data[0]["status"] == "pending"  # default applied
    with pytest.raises(APIError) as duplicate:
        await client.table("user_challenges").insert(row).execute()
    assert duplicate.value.code == "23505"
    ignored = (
        await client.table("user_challenges")
        .upsert({**row, "email": "ignored@example.com"}, ignore_duplicates=True, on_conflict="id")
        .execute()
    )
    assert ignored.data == []
    merged = await client.table("user_challenges").upsert({**row, "email": "merged@example.com"}).execute()
    assert merged.data[0]["email"] == "merged@example.com"
    updated = (
        await client.table("user_challenges")
        .update({"mt5_login": "5001", "status": "active"})
        .eq("id", row_id)
        .execute()
    )
    assert updated.data[0]["mt5_login"] == "5001"
    db = await sql(source.name, "select email, mt5_login, status from user_challenges where id = $1", uuid.UUID(row_id))
    assert [dict(r) for r in db] == [{"email": "merged@example.com", "mt5_login": "5001", "status": "active"}]
    await client.table("user_challenges").delete().eq("id", row_id).execute()
    assert await sql(source.name, "select 1 from user_challenges where id = $1", uuid.UUID(row_id)) == []


async def test_rls_user_sees_only_own_rows_anon_sees_none(seeded: StackState, sql: Sql, user_token) -> None:
    for source in seeded.sources:
        user = seed_user_id(source.name, 1)
        own = await sql(source.name, "select id::text from user_challenges where user_id = $1 order by id", user)
        as_user = await client_for(source, source.anon_key, user_token(source.name, user))
        seen = await as_user.table("user_challenges").select("id").order("id").execute()
        assert [r["id"] for r in seen.data] == [r["id"] for r in own] and own
        as_anon = await client_for(source, source.anon_key)
        assert (await as_anon.table("user_challenges").select("id").execute()).data == []
        admin = await client_for(source, source.service_role_key)
        everything = await admin.table("user_challenges").select("id", count="exact").execute()
        assert everything.count == SEED["user_challenges"][source.name]
        # A user may not write a row for somebody else: RLS WITH CHECK refuses it (403 for authenticated).
        with pytest.raises(APIError) as refused:
            await (
                as_user.table("user_challenges")
                .insert({"user_id": str(uuid.uuid4()), "email": "x@example.com"})
                .execute()
            )
        assert refused.value.code == "42501"


async def test_each_source_rejects_another_sources_keys(seeded: StackState) -> None:
    primary, bolt = seeded.source("PRIMARY"), seeded.source("BOLT")
    async with httpx.AsyncClient() as http:
        wrong_key = await http.get(f"{bolt.api_url}/rest/v1/profiles", headers={"apikey": primary.anon_key})
        assert wrong_key.status_code == 401
        foreign_token = await http.get(
            f"{bolt.api_url}/rest/v1/profiles",
            headers={"apikey": bolt.anon_key, "Authorization": f"Bearer {primary.service_role_key}"},
        )
        assert foreign_token.status_code == 401 and foreign_token.json()["code"] == "PGRST301"


async def test_api_down_gives_a_connection_error(seeded: StackState, toxics: Toxiproxy) -> None:
    primary = seeded.source("PRIMARY")
    client = await client_for(primary, primary.service_role_key)
    toxics.down(primary.api_proxy)
    with pytest.raises(httpx.ConnectError):
        await client.table("profiles").select("id").execute()


async def test_db_down_gives_503_and_the_gateway_recovers_by_itself(seeded: StackState, toxics: Toxiproxy) -> None:
    primary = seeded.source("PRIMARY")
    headers = {"apikey": primary.service_role_key, "Authorization": f"Bearer {primary.service_role_key}"}
    url = f"{primary.api_url}/rest/v1/profiles?select=id"
    async with httpx.AsyncClient(timeout=15) as http:
        assert (await http.get(url, headers=headers)).status_code == 200
        toxics.down(primary.db_proxy)
        failed = await http.get(url, headers=headers)
        assert failed.status_code == 503
        assert failed.json()["code"] in {"PGRST000", "PGRST001", "PGRST002"}
        assert failed.headers["retry-after"] == "0"
        toxics.up(primary.db_proxy)
        deadline = time.monotonic() + 40
        while (response := await http.get(url, headers=headers)).status_code != 200:
            assert response.status_code == 503, response.text
            assert time.monotonic() < deadline, "gateway did not reconnect within 40 s"
            await asyncio.sleep(0.2)
        assert len(response.json()) == SEED["profiles"]["PRIMARY"]


async def test_latency_adds_the_configured_delay(seeded: StackState, toxics: Toxiproxy) -> None:
    bolt = seeded.source("BOLT")
    client = await client_for(bolt, bolt.service_role_key)

    async def median_ms() -> float:
        samples = []
        for _ in range(7):
            started = time.perf_counter()
            await client.table("profiles").select("id").limit(1).execute()
            samples.append((time.perf_counter() - started) * 1000)
        return sorted(samples)[len(samples) // 2]

    baseline = await median_ms()
    toxics.add(bolt.api_proxy, latency(200))
    delayed = await median_ms()
    assert 180 <= delayed - baseline <= 400, (baseline, delayed)


def test_seed_ids_are_distinct_across_sources() -> None:
    ids = {seed_id(s, "user_challenges", i) for s in SOURCE_NAMES for i in range(100)}
    assert len(ids) == 300
