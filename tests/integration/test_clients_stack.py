"""Both clients on the real stack (PostgreSQL + gateway + Toxiproxy): the spec's tests and the outages
it does not describe. What ends up in the databases is checked with SQL, bypassing every client.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from fallback.client import (
    AllSourcesFailed,
    CircuitBreaker,
    Deadline,
    ReferenceClient,
    SourceUnavailable,
    SpecFaithfulClient,
    WritePolicy,
)
from fallback.client.adaptive import AdaptiveCut
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy, reset_peer, timeout

pytestmark = pytest.mark.stack
SPEC_SEED = {
    "profiles": {"PRIMARY": 50, "BOLT": 30, "OLD": 20},
    "user_challenges": {"PRIMARY": 45, "BOLT": 25, "OLD": 15},
}
DEADLINE = Deadline(connect=0.5, read=1.0, write=1.0, pool=0.5, total=1.0)
POLICY = WritePolicy(budget=3.0, probes=3, backoff=0.05)
NAMES = ("PRIMARY", "BOLT", "OLD")
Sql = Callable[..., Awaitable[list[Any]]]


@pytest.fixture
def seeded(stack: StackState, seed: Callable[[Any], None]) -> StackState:
    seed(SPEC_SEED)  # sync fixture: the seeder runs its own event loop
    return stack


@pytest.fixture
async def client(seeded: StackState, tmp_path: Path) -> AsyncIterator[ReferenceClient]:
    async with ReferenceClient.from_stack(seeded, deadline=DEADLINE, write_policy=POLICY, cache_dir=tmp_path) as client:
        yield client


def purchase() -> dict[str, Any]:
    return {"user_id": str(uuid.uuid4()), "email": f"buyer-{uuid.uuid4().hex[:8]}@example.com", "account_size": 10000}


async def copies(sql: Sql, row_id: str) -> dict[str, int]:
    return {name: len(await sql(name, "select 1 from user_challenges where id = $1::uuid", row_id)) for name in NAMES}


async def test_spec_test_1_primary_down_loads_bolt_and_old(
    client: ReferenceClient, toxics: Toxiproxy, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, "fallback.client")
    toxics.down("PRIMARY.api")
    result = await client.load("user_challenges")
    assert result.counts() == {"PRIMARY": 0, "BOLT": 25, "OLD": 15}
    assert result.degraded and result.attempts[0].kind == "refused"
    assert any(m.startswith("⚠ PRIMARY Database unavailable") for m in caplog.messages)
    assert " MERGED: Total challenges: 40" in caplog.messages
    assert "⚠ System using fallback databases" in caplog.messages


async def test_spec_test_2_all_up_all_three_tagged(client: ReferenceClient, caplog: Any) -> None:
    caplog.set_level(logging.INFO, "fallback.client")
    result = await client.load("user_challenges")
    assert result.counts() == {"PRIMARY": 45, "BOLT": 25, "OLD": 15}
    assert {r["_db_source"] for r in result.rows} == set(NAMES) and not result.degraded
    for name, count in (("PRIMARY", 45), ("BOLT", 25), ("OLD", 15)):
        assert f"✅ {name} Database: Found {count} challenges" in caplog.messages
    profiles = await client.load("profiles")
    assert profiles.counts() == {"PRIMARY": 50, "BOLT": 30, "OLD": 20}


async def test_spec_test_3_assign_mt5_to_a_bolt_row_writes_bolt_only(
    client: ReferenceClient, sql: Sql, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, "fallback.client")
    rows = (await client.load("user_challenges")).rows
    bolt_row = next(r for r in rows if r["_db_source"] == "BOLT")
    args = {"row": bolt_row, "login": "50001", "password": "s3cret-pw", "server": "MT5-Demo"}
    result = await client.call("assign_mt5", args)
    assert result.outcome == "ok" and result.source == "BOLT"
    assert " Assigning credentials to BOLT DB..." in caplog.messages
    assert "✅ Credentials assigned successfully in BOLT DB" in caplog.messages
    assert "s3cret-pw" not in caplog.text
    for name in NAMES:
        found = await sql(name, "select id::text from user_challenges where mt5_login = '50001'")
        assert [r["id"] for r in found] == ([bolt_row["id"]] if name == "BOLT" else [])


async def test_purchase_falls_through_primary_bolt_old_then_error(
    client: ReferenceClient, toxics: Toxiproxy, sql: Sql
) -> None:
    toxics.down("PRIMARY.api")
    to_bolt = await client.create("user_challenges", purchase())
    assert to_bolt.source == "BOLT" and [a.kind for a in to_bolt.attempts] == ["refused", "ok"]
    toxics.down("BOLT.api")
    to_old = await client.create("user_challenges", purchase())
    assert to_old.source == "OLD"
    toxics.down("OLD.api")
    nowhere = await client.create("user_challenges", purchase())
    assert nowhere.outcome == "fail"
    with pytest.raises(AllSourcesFailed):
        nowhere.raise_for_outcome()
    assert await copies(sql, to_bolt.row_id or "") == {"PRIMARY": 0, "BOLT": 1, "OLD": 0}
    assert await copies(sql, to_old.row_id or "") == {"PRIMARY": 0, "BOLT": 0, "OLD": 1}
    assert await copies(sql, nowhere.row_id or "") == {"PRIMARY": 0, "BOLT": 0, "OLD": 0}
    assert client.metrics()["fallback"]["writes_to_fallbacks"] == {"BOLT": 1, "OLD": 1}


async def test_all_down_shows_the_stale_snapshot(client: ReferenceClient, toxics: Toxiproxy, caplog: Any) -> None:
    fresh = await client.load("user_challenges")
    for name in NAMES:
        toxics.down(f"{name}.api")
    caplog.set_level(logging.INFO, "fallback.client")
    stale = await client.load("user_challenges")
    assert stale.stale and stale.stale_age_s is not None and stale.stale_age_s < 60
    assert sorted(r["id"] for r in stale.rows) == sorted(r["id"] for r in fresh.rows)
    assert any(m.startswith("⚠ No databases available - showing cached data") for m in caplog.messages)


async def test_update_while_its_source_is_down_writes_nothing_anywhere(
    client: ReferenceClient, toxics: Toxiproxy, sql: Sql
) -> None:
    rows = (await client.load("user_challenges")).rows
    bolt_row = next(r for r in rows if r["_db_source"] == "BOLT")
    toxics.down("BOLT.api")
    result = await client.call(
        "assign_mt5", {"row": bolt_row, "login": "60001", "password": "pw", "server": "MT5-Live"}
    )
    assert result.outcome == "fail" and [a.source for a in result.attempts] == ["BOLT"]
    with pytest.raises(SourceUnavailable, match="BOLT"):
        result.raise_for_outcome()
    for name in NAMES:
        assert await sql(name, "select 1 from user_challenges where mt5_login = '60001'") == []


async def test_hanging_primary_does_not_delay_the_load_past_its_deadline(
    seeded: StackState, toxics: Toxiproxy, tmp_path: Path
) -> None:
    """The static deadline alone (`adaptive=None`): the load waits the hung call's whole deadline."""
    toxics.add("PRIMARY.api", timeout(0))
    async with ReferenceClient.from_stack(
        seeded, deadline=DEADLINE, write_policy=POLICY, cache_dir=tmp_path, adaptive=None
    ) as client:
        start = time.perf_counter()
        result = await client.load("user_challenges")
        elapsed = time.perf_counter() - start
        assert elapsed < DEADLINE.total + 0.5
        assert result.attempts[0].kind in ("hung", "timeout")
        assert result.counts() == {"PRIMARY": 0, "BOLT": 25, "OLD": 15}


async def test_hung_primary_costs_the_first_load_its_cut_not_its_deadline(
    seeded: StackState, toxics: Toxiproxy, tmp_path: Path
) -> None:
    """Issue 16: the adaptive cut stops waiting for a hung PRIMARY on the very first load."""
    toxics.add("PRIMARY.api", timeout(0))
    async with ReferenceClient.from_stack(
        seeded, deadline=DEADLINE, write_policy=POLICY, cache_dir=tmp_path, adaptive=AdaptiveCut()
    ) as client:
        start = time.perf_counter()
        result = await client.load("user_challenges")
        elapsed = time.perf_counter() - start
    assert elapsed < DEADLINE.total / 2, f"{elapsed:.3f} s: waited for the hung PRIMARY"
    assert result.latency_ms < DEADLINE.total * 1000 / 2, f"{result.latency_ms:.0f} ms: waited for the hung PRIMARY"
    assert result.attempts[0].kind == "cut" and "cut at" in result.attempts[0].message
    assert result.degraded and result.counts() == {"PRIMARY": 0, "BOLT": 25, "OLD": 15}


@pytest.mark.parametrize("fault", [reset_peer(0), timeout(0)], ids=["reset_peer", "blackhole"])
async def test_lost_reply_leaves_exactly_one_copy(
    client: ReferenceClient, toxics: Toxiproxy, sql: Sql, fault: Any
) -> None:
    """The request reaches the gateway and commits; the reply is lost on the way back."""
    toxics.add("PRIMARY.api", fault)
    result = await client.create("user_challenges", purchase())
    assert result.attempts[0].ambiguous
    assert result.outcome == "indeterminate" and result.pending is not None
    assert result.pending.source == "PRIMARY" and all(a.source == "PRIMARY" for a in result.attempts)
    toxics.reset()
    resolutions = await client.resolve_pending()
    assert [(r.outcome, r.source) for r in resolutions] == [("ok", "PRIMARY")]
    assert await copies(sql, result.row_id or "") == {"PRIMARY": 1, "BOLT": 0, "OLD": 0}
    assert client.pending == ()


async def test_hung_primary_writes_go_to_bolt_once_the_breaker_opens(
    seeded: StackState, toxics: Toxiproxy, sql: Sql, tmp_path: Path
) -> None:
    def breaker(name: str) -> CircuitBreaker:
        return CircuitBreaker(name, window_size=2, minimum_calls=2, wait_in_open=60)

    async with ReferenceClient.from_stack(
        seeded, deadline=DEADLINE, write_policy=POLICY, breaker=breaker, cache_dir=tmp_path
    ) as client:
        toxics.add("PRIMARY.api", timeout(0))
        first = await client.create("user_challenges", purchase())
        assert first.outcome == "indeterminate"
        start = time.perf_counter()
        second = await client.create("user_challenges", purchase())
        assert time.perf_counter() - start < 0.5
        assert second.source == "BOLT" and second.attempts[0].kind == "breaker_open"
        toxics.reset()
        await client.resolve_pending()
        assert await copies(sql, first.row_id or "") == {"PRIMARY": 1, "BOLT": 0, "OLD": 0}
        assert await copies(sql, second.row_id or "") == {"PRIMARY": 0, "BOLT": 1, "OLD": 0}


async def test_spec_faithful_client_duplicates_a_write_whose_reply_is_lost(
    seeded: StackState, toxics: Toxiproxy, sql: Sql
) -> None:
    """The baseline's hazard, shown on the stack: insert without an id, then blind failover."""
    client = SpecFaithfulClient.from_stack(seeded)
    try:
        toxics.add("PRIMARY.api", reset_peer(0))
        row = purchase()
        result = await client.create("user_challenges", row)
        assert result.source == "BOLT" and result.attempts[0].kind == "reset"
        found = {n: len(await sql(n, "select 1 from user_challenges where email = $1", row["email"])) for n in NAMES}
        assert found == {"PRIMARY": 1, "BOLT": 1, "OLD": 0}
    finally:
        await client.aclose()


async def test_spec_faithful_client_loads_like_the_spec(seeded: StackState, caplog: Any) -> None:
    caplog.set_level(logging.INFO, "fallback.client")
    client = SpecFaithfulClient.from_stack(seeded)
    try:
        result = await client.load("user_challenges")
        assert result.counts() == {"PRIMARY": 45, "BOLT": 25, "OLD": 15}
        assert " MERGED: Total challenges: 85" in caplog.messages
    finally:
        await client.aclose()
