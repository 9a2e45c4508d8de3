"""pytest plugin: a running three-source stack, Toxiproxy control and seeding for any test suite.

Loaded through the `pytest11` entry point, so a user's suite can write::

    def test_survives_primary_outage(fallback_stack, toxics):
        toxics.down("PRIMARY.api")
        ...

The stack is started once per session (or a healthy one is reused: `fallback-harness stack
up` in another terminal makes test runs fast) and stopped at the end if this session
started it. Toxics are reset after every test, and the fixture waits until every gateway
is ready again, so no fault leaks into the next test.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from fallback.stack import keys
from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

T = TypeVar("T")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fallback", "fallback-harness stack")
    group.addoption(
        "--fallback-state-dir",
        default=os.environ.get("FALLBACK_TEST_STATE_DIR", ".stack-test"),
        help="state dir of the test stack (default .stack-test, env FALLBACK_TEST_STATE_DIR)",
    )
    group.addoption(
        "--fallback-base-port",
        type=int,
        default=int(os.environ.get("FALLBACK_TEST_BASE_PORT", "25500")),
        help="first port of the test stack's layout (default 25500, env FALLBACK_TEST_BASE_PORT)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stack: needs the local Supabase-like stack")
    config.addinivalue_line("markers", "resilience: a resilience test that injects faults")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when called inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def fallback_stack(request: pytest.FixtureRequest) -> Iterator[StackState]:
    options = stack_lib.StackOptions(
        state_dir=Path(request.config.getoption("--fallback-state-dir")),
        base_port=request.config.getoption("--fallback-base-port"),
    )
    with stack_lib.running_stack(options) as state:
        yield state


@contextmanager
def clean_toxics(state: StackState) -> Iterator[Toxiproxy]:
    """Toxiproxy with no fault before the block and none after it; waits until every gateway is ready again."""
    with Toxiproxy(state.toxiproxy_url) as toxiproxy:
        toxiproxy.reset()
        try:
            yield toxiproxy
        finally:
            toxiproxy.reset()
            stack_lib.wait_until_healthy(state)


@pytest.fixture
def toxics(fallback_stack: StackState) -> Iterator[Toxiproxy]:
    """Toxiproxy control; every proxy is re-enabled and every toxic removed after the test."""
    with clean_toxics(fallback_stack) as toxiproxy:
        yield toxiproxy


@pytest.fixture
def fallback_seed(fallback_stack: StackState) -> Callable[[stack_lib.Seed], None]:
    """`seed({"user_challenges": {"PRIMARY": 45, ...}})`: truncate and reseed every source by SQL."""

    def seed(rows: stack_lib.Seed) -> None:
        stack_lib.reseed(fallback_stack, rows)

    return seed


@pytest.fixture
def fallback_sql(fallback_stack: StackState) -> Callable[..., Awaitable[list[asyncpg.Record]]]:
    """`await sql("BOLT", "select ...", *args)`: read a source directly, bypassing every client."""

    async def sql(source: str, query: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(fallback_stack.source(source).db_dsn, timeout=10)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return sql


@pytest.fixture
def user_token(fallback_stack: StackState) -> Callable[[str, object], str]:
    """`user_token("BOLT", user_id)`: an access token for a signed-in user of that source."""

    def mint(source: str, user_id: object) -> str:
        return keys.user_token(fallback_stack.source(source).jwt_secret, str(user_id))

    return mint
