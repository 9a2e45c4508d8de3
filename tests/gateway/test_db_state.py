"""The connection state machine with a fake connector and an injected sleep (no database, no waiting)."""

from __future__ import annotations

import asyncio

import pytest

from fallback.gateway import errors
from fallback.gateway.config import GatewayConfig
from fallback.gateway.db import Database


class FakeConn:
    def __init__(self) -> None:
        self.closed = False

    async def fetch(self, query: str, *args: object) -> list[object]:
        return []

    def terminate(self) -> None:
        self.closed = True

    def is_closed(self) -> bool:
        return self.closed

    def is_in_transaction(self) -> bool:
        return False


class Flaky:
    """Refuses while `down`, counting every attempt."""

    def __init__(self, down: bool) -> None:
        self.down = down
        self.attempts = 0

    async def __call__(self) -> FakeConn:
        self.attempts += 1
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        return FakeConn()


def config(**overrides: object) -> GatewayConfig:
    base: dict[str, object] = {
        "name": "FAKE",
        "port": 1,
        "db_dsn": "postgresql://a:b@127.0.0.1:5999/postgres",
        "jwt_secret": "s",
        "api_keys": ["k"],
        "db_channel_enabled": False,
        "pool_size": 2,
    }
    return GatewayConfig.model_validate({**base, **overrides})


async def settle() -> None:
    for _ in range(200):
        await asyncio.sleep(0)


async def test_backoff_doubles_up_to_the_cap_then_loads_the_cache() -> None:
    sleeps: list[float] = []
    link = Flaky(down=True)

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 8:
            link.down = False

    db = Database(config(), connect=link, sleep=sleep)  # type: ignore[arg-type]
    db.start()
    await settle()
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 32.0, 32.0]
    assert db.ready
    await db.close()


async def test_no_schema_cache_means_pgrst002_without_touching_the_database() -> None:
    link = Flaky(down=True)
    never = asyncio.Event()

    async def sleep(_seconds: float) -> None:
        await never.wait()

    db = Database(config(), connect=link, sleep=sleep)  # type: ignore[arg-type]
    db.start()
    await settle()
    attempts = link.attempts
    with pytest.raises(errors.GatewayError) as caught:
        await db.run(lambda conn: asyncio.sleep(0))
    assert (caught.value.status, caught.value.code) == (503, "PGRST002")
    assert link.attempts == attempts
    await db.close()


async def test_connect_failure_is_pgrst000_and_drops_the_cache() -> None:
    link = Flaky(down=False)
    db = Database(config(pool_size=1), connect=link, sleep=lambda s: asyncio.sleep(3600))  # type: ignore[arg-type]
    db.start()
    await settle()
    assert db.ready
    db._idle.clear()  # the pooled connection went away
    link.down = True
    with pytest.raises(errors.GatewayError) as caught:
        await db.run(lambda conn: asyncio.sleep(0))
    assert caught.value.code == "PGRST000" and "Connection refused" in (caught.value.details or "")
    assert caught.value.response_headers()["Retry-After"] == "0"
    assert not db.ready
    await db.close()


async def test_lost_connection_is_pgrst001_and_reconnects() -> None:
    link = Flaky(down=False)
    db = Database(config(), connect=link, sleep=asyncio.sleep)  # type: ignore[arg-type]
    db.start()
    await settle()

    async def broken(conn: FakeConn) -> None:
        conn.terminate()
        raise ConnectionResetError("reset by peer")

    with pytest.raises(errors.GatewayError) as caught:
        await db.run(broken)  # type: ignore[arg-type]
    assert caught.value.code == "PGRST001"
    await settle()  # the first reconnect attempt is immediate
    assert db.ready
    await db.close()


async def test_pool_exhaustion_is_pgrst003() -> None:
    link = Flaky(down=False)
    db = Database(config(pool_size=1, pool_acquisition_timeout_s=0.05), connect=link)  # type: ignore[arg-type]
    db.start()
    await settle()
    release = asyncio.Event()

    async def hold(_conn: object) -> None:
        await release.wait()

    holder = asyncio.create_task(db.run(hold))
    await settle()
    with pytest.raises(errors.GatewayError) as caught:
        await db.run(lambda conn: asyncio.sleep(0))
    assert (caught.value.status, caught.value.code) == (504, "PGRST003")
    assert "Retry-After" not in caught.value.response_headers()
    release.set()
    await holder
    await db.close()
