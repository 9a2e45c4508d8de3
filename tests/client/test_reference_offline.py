"""The reference client against in-process fake sources (httpx.MockTransport): no servers."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fallback.client import CircuitBreaker, Deadline, FallbackClient, ReferenceClient, SourceConfig, SpecFaithfulClient
from fallback.client.merge import concat

KEYS = {"PRIMARY": "eyJ0.primary-secret-key.sig", "BOLT": "bolt-secret-key", "OLD": "old-secret-key"}
CONFIGS = [SourceConfig(name, f"http://{name.lower()}.test", key) for name, key in KEYS.items()]
DEADLINE = Deadline(connect=0.2, read=0.2, write=0.2, pool=0.2, total=0.3)


class FakeProjects:
    """Three fake PostgREST projects; `mode[name]` is ok, refused, hang or 503."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {
            "PRIMARY": [{"id": f"p{i}"} for i in range(3)],
            "BOLT": [{"id": f"b{i}"} for i in range(2)] + [{"id": "p0"}],
            "OLD": [{"id": "o0"}],
        }
        self.mode = {name: "ok" for name in KEYS}
        self.patches: list[tuple[str, str]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        name = request.url.host.split(".")[0].upper()
        mode = self.mode[name]
        if mode == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if mode == "hang":
            await asyncio.sleep(30)
        if mode == "503":
            body = {"code": "PGRST000", "message": "Database connection error", "details": None, "hint": None}
            return httpx.Response(503, json=body)
        if request.method == "PATCH":
            row_id = request.url.params["id"].removeprefix("eq.")
            self.patches.append((name, row_id))
            found = [r for r in self.rows[name] if r["id"] == row_id]
            return httpx.Response(200, json=[{**r, **json.loads(request.content)} for r in found])
        return httpx.Response(200, json=self.rows[name])


@pytest.fixture
def projects() -> FakeProjects:
    return FakeProjects()


@pytest.fixture
async def client(projects: FakeProjects, tmp_path: Path) -> AsyncIterator[ReferenceClient]:
    async with ReferenceClient(
        CONFIGS, deadline=DEADLINE, cache_dir=tmp_path, transport=httpx.MockTransport(projects)
    ) as client:
        yield client


async def test_all_up_merges_three_sources_dedup_reported(client: ReferenceClient, caplog: Any) -> None:
    caplog.set_level(logging.INFO, "fallback.client")
    result = await client.load("user_challenges")
    assert result.counts() == {"PRIMARY": 3, "BOLT": 2, "OLD": 1}
    assert [(d.key, d.kept, d.dropped) for d in result.duplicates] == [("p0", "PRIMARY", ("BOLT",))]
    assert not result.degraded and not result.stale
    lines = caplog.messages
    assert lines[0] == " Loading data from ALL databases (PRIMARY + BOLT + OLD)..."
    assert "✅ PRIMARY Database: Found 3 challenges" in lines
    assert "✅ BOLT Database: Found 3 challenges" in lines
    assert " MERGED: Total challenges: 6" in lines
    assert "   - From BOLT DB: 2" in lines


async def test_concat_policy_reproduces_the_spec(projects: FakeProjects, tmp_path: Path) -> None:
    async with ReferenceClient(
        CONFIGS, merge=concat, cache_dir=tmp_path, transport=httpx.MockTransport(projects)
    ) as client:
        result = await client.load("user_challenges")
    assert len(result.rows) == 7 and result.duplicates == ()


async def test_primary_down_warns_and_keeps_no_key_in_logs(
    client: ReferenceClient, projects: FakeProjects, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, "fallback.client")
    projects.mode["PRIMARY"] = "refused"
    result = await client.load("user_challenges")
    assert result.degraded and result.counts() == {"PRIMARY": 0, "BOLT": 3, "OLD": 1}
    assert result.attempts[0].kind == "refused"
    assert any(m.startswith("⚠ PRIMARY Database unavailable: refused") for m in caplog.messages)
    assert "⚠ System using fallback databases" in caplog.messages
    assert not any(key in caplog.text for key in KEYS.values())


async def test_hanging_source_costs_only_its_deadline(projects: FakeProjects, tmp_path: Path) -> None:
    """The static deadline alone (`adaptive=None`); the adaptive cut's version is in test_adaptive.py."""
    projects.mode["PRIMARY"] = "hang"
    async with ReferenceClient(
        CONFIGS, deadline=DEADLINE, cache_dir=tmp_path, transport=httpx.MockTransport(projects), adaptive=None
    ) as client:
        start = time.perf_counter()
        result = await client.load("user_challenges")
        assert time.perf_counter() - start < DEADLINE.total + 0.2
        assert result.attempts[0].kind in ("hung", "timeout")
        assert result.counts()["BOLT"] == 3


async def test_all_down_serves_the_stale_snapshot(client: ReferenceClient, projects: FakeProjects, caplog: Any) -> None:
    fresh = await client.load("user_challenges")
    caplog.set_level(logging.INFO, "fallback.client")
    projects.mode.update(PRIMARY="refused", BOLT="503", OLD="hang")
    stale = await client.load("user_challenges")
    assert stale.stale and stale.outcome == "fail" and stale.stale_age_s is not None
    assert stale.rows == fresh.rows
    assert (stale.attempts[1].kind, stale.attempts[1].status, stale.attempts[1].code) == ("http", 503, "PGRST000")
    assert any(m.startswith("⚠ No databases available - showing cached data") for m in caplog.messages)


async def test_all_down_without_snapshot_is_empty_with_an_error(
    client: ReferenceClient, projects: FakeProjects
) -> None:
    projects.mode.update(PRIMARY="refused", BOLT="refused", OLD="refused")
    result = await client.load("profiles")
    assert result.rows == () and not result.stale and result.error


async def test_breaker_opens_and_stops_paying_the_timeout(projects: FakeProjects, tmp_path: Path) -> None:
    def breaker(name: str) -> CircuitBreaker:
        return CircuitBreaker(name, window_size=2, minimum_calls=2, wait_in_open=60)

    projects.mode["PRIMARY"] = "hang"
    async with ReferenceClient(  # static deadline: each load waits for the hung call's failure
        CONFIGS,
        deadline=DEADLINE,
        breaker=breaker,
        cache_dir=tmp_path,
        transport=httpx.MockTransport(projects),
        adaptive=None,
    ) as client:
        for _ in range(2):
            await client.load("user_challenges")
        start = time.perf_counter()
        result = await client.load("user_challenges")
        assert time.perf_counter() - start < 0.1
        assert result.attempts[0].kind == "breaker_open"
        assert client.metrics()["breakers"]["PRIMARY"] == "open"


async def test_update_goes_to_the_rows_source_only(client: ReferenceClient, projects: FakeProjects) -> None:
    row = {"id": "b1", "_db_source": "BOLT"}
    result = await client.call("assign_mt5", {"row": row, "login": "1001", "password": "pw", "server": "MT5-Demo"})
    assert result.outcome == "ok" and result.source == "BOLT"
    assert projects.patches == [("BOLT", "b1")]
    projects.mode["BOLT"] = "refused"
    down = await client.update("user_challenges", row, {"status": "active"})
    assert down.outcome == "fail" and projects.patches == [("BOLT", "b1")]
    with pytest.raises(Exception, match="nothing was written to any other source"):
        down.raise_for_outcome()


async def test_both_clients_implement_the_protocol(client: ReferenceClient) -> None:
    spec = SpecFaithfulClient(CONFIGS)
    try:
        assert isinstance(client, FallbackClient) and isinstance(spec, FallbackClient)
        assert (client.name, spec.name) == ("reference", "spec_faithful")
    finally:
        await spec.aclose()


async def test_result_rows_do_not_alias_the_snapshot(client: ReferenceClient, projects: FakeProjects) -> None:
    """The merge tags the decoded rows in place (issue 16: no copy per row); the snapshot saved in the
    background must still be the source's answer as it came, whatever the caller does to the rows."""
    result = await client.load("user_challenges")
    for row in result.rows:
        row["status"] = "changed by the caller"  # type: ignore[index]
    await asyncio.gather(*client._saving)
    saved = client.cache.load("user_challenges")
    assert {s: list(snap.rows) for s, snap in saved.items()} == projects.rows
    assert result.rows[0]["_db_source"] == "PRIMARY"
