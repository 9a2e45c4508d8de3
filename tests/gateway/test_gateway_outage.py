"""Outage semantics against a real PostgreSQL: what PostgREST answers while its database is gone.

503 PGRST000 (cannot connect), PGRST001 (connection lost mid-query), then 503 PGRST002 without
touching the database until the background reconnect succeeds; Retry-After: 0 on every 503;
504 PGRST003 when no pooled connection frees up; never a refused or hung HTTP request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
import httpx

from .conftest import Source

OUTAGE_CODES = {"PGRST000", "PGRST001", "PGRST002"}


def get(source: Source, path: str = "/profiles", timeout: float = 10) -> httpx.Response:
    return httpx.get(f"{source.rest_url}{path}", headers={"apikey": source.service_key}, timeout=timeout)


def ready(source: Source) -> int:
    return httpx.get(f"{source.gateway.url}/ready", timeout=5).status_code


def assert_503(response: httpx.Response, codes: set[str] = OUTAGE_CODES) -> str:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "0"
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["code"] in codes, body
    assert response.headers["proxy-status"] == f"PostgREST; error={body['code']}"
    return str(body["code"])


def wait_until(predicate: Callable[[], bool], timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s")


def test_database_stop_then_recovery(make_source: Callable[..., Source]) -> None:
    source = make_source()
    assert get(source).status_code == 200
    source.pg.stop("immediate")
    assert_503(get(source))
    wait_until(lambda: ready(source) == 503, 5)
    started = time.monotonic()
    assert_503(get(source), {"PGRST002"})
    assert time.monotonic() - started < 0.5, "PGRST002 must not wait on the database"
    assert httpx.get(f"{source.gateway.url}/live").status_code == 200
    source.pg.start()
    wait_until(lambda: get(source).status_code == 200, 5)  # backoff capped at 1 s in these tests
    assert ready(source) == 200


def test_connect_failure_is_pgrst000_then_pgrst002(make_source: Callable[..., Source]) -> None:
    source = make_source(db_channel_enabled=False, reconnect_backoff_initial_s=30, reconnect_backoff_max_s=30)
    assert get(source).status_code == 200
    source.pg.stop("fast")
    time.sleep(0.2)
    first = get(source)
    assert assert_503(first, {"PGRST000"}) == "PGRST000"
    assert first.json()["message"] == "Database connection error. Retrying the connection."
    assert "Connection refused" in first.json()["details"]
    assert_503(get(source), {"PGRST002"})
    source.pg.start()
    time.sleep(0.5)
    assert_503(get(source), {"PGRST002"})  # still waiting for the next reconnect attempt (30 s)


async def test_connection_lost_mid_query_is_pgrst001(make_source: Callable[..., Source]) -> None:
    source = make_source(db_channel_enabled=False, reconnect_backoff_initial_s=30)
    locker = await asyncpg.connect(source.pg.superuser_dsn)
    async with httpx.AsyncClient(headers={"apikey": source.service_key}, timeout=10) as http:
        try:
            await locker.execute("BEGIN; LOCK TABLE public.profiles IN ACCESS EXCLUSIVE MODE")
            pending = asyncio.create_task(http.get(f"{source.rest_url}/profiles"))
            await asyncio.sleep(0.5)
            assert not pending.done()
            await asyncio.to_thread(source.pg.stop, "immediate")
            response = await pending
        finally:
            locker.terminate()
        code = assert_503(response, {"PGRST001", "57P01", "57P02"})
        if code == "PGRST001":
            assert response.json()["message"] == "Database client error. Retrying the connection."
        after = await http.get(f"{source.rest_url}/profiles")
    assert_503(after, {"PGRST002"})


def test_gateway_starts_while_database_is_down(make_source: Callable[..., Source]) -> None:
    source = make_source(start_db=False)
    assert httpx.get(f"{source.gateway.url}/live").status_code == 200
    assert ready(source) == 503
    assert_503(get(source), {"PGRST002"})
    source.pg.start()
    wait_until(lambda: ready(source) == 200, 5)
    assert get(source).json() == []


async def test_pool_timeout_and_statement_timeout(make_source: Callable[..., Source]) -> None:
    source = make_source(pool_size=1, pool_acquisition_timeout_s=0.3, statement_timeout_ms=1500)
    locker = await asyncpg.connect(source.pg.superuser_dsn)
    async with httpx.AsyncClient(headers={"apikey": source.service_key}, timeout=10) as http:
        try:
            await locker.execute("BEGIN; LOCK TABLE public.profiles IN ACCESS EXCLUSIVE MODE")
            blocked = asyncio.create_task(http.get(f"{source.rest_url}/profiles"))
            await asyncio.sleep(0.2)
            started = time.monotonic()
            starved = await http.get(f"{source.rest_url}/user_challenges")
            assert 0.25 < time.monotonic() - started < 1.2
            assert (starved.status_code, starved.json()["code"]) == (504, "PGRST003")
            assert starved.json()["message"] == "Timed out acquiring connection from connection pool."
            assert "retry-after" not in starved.headers
            timed_out = await blocked
            assert (timed_out.status_code, timed_out.json()["code"]) == (500, "57014")
        finally:
            await locker.close()
        assert (await http.get(f"{source.rest_url}/profiles")).status_code == 200
    assert ready(source) == 200, "a statement timeout is not an outage"


def test_blackholed_link_never_hangs(make_source: Callable[..., Source]) -> None:
    source = make_source(
        via_proxy=True, statement_timeout_ms=500, io_grace_s=0.5, connect_timeout_s=0.5, db_channel_enabled=False
    )
    assert source.proxy is not None
    assert get(source).status_code == 200
    source.proxy.mode = "blackhole"
    started = time.monotonic()
    assert_503(get(source), {"PGRST001"})
    assert time.monotonic() - started < 3
    assert_503(get(source), {"PGRST002"})
    source.proxy.mode = "forward"
    wait_until(lambda: get(source).status_code == 200, 6)


def test_upstream_accepts_then_closes(make_source: Callable[..., Source]) -> None:
    source = make_source(via_proxy=True)
    assert source.proxy is not None
    assert get(source).status_code == 200
    source.proxy.mode = "close"
    source.proxy.cut()
    wait_until(lambda: ready(source) == 503, 5)  # the LISTEN connection noticed
    assert_503(get(source), {"PGRST002"})
    source.proxy.mode = "forward"
    wait_until(lambda: ready(source) == 200, 5)
    assert get(source).status_code == 200


def test_no_listener_close_gives_pgrst000_with_libpq_text(make_source: Callable[..., Source]) -> None:
    source = make_source(via_proxy=True, db_channel_enabled=False, reconnect_backoff_initial_s=30)
    assert source.proxy is not None
    assert get(source).status_code == 200
    source.proxy.mode = "close"
    source.proxy.cut()
    time.sleep(0.2)
    first = get(source)
    assert assert_503(first, {"PGRST000"}) == "PGRST000"
    assert "server closed the connection unexpectedly" in first.json()["details"]
