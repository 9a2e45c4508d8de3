"""Short names for the plugin's fixtures in our own tests (the plugin is `fallback.pytest_plugin`)."""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable, Iterator

import asyncpg
import pytest

from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState


@pytest.fixture(autouse=True)
def _sigint_restored() -> Iterator[None]:
    """Every test starts and ends with Python's own Ctrl-C handler. Found in CI (tests in random order): one test
    saw SIGINT ignored, left so by an earlier test (the drill's `Interrupts.installed(ignore_after=True)` ignores it
    on purpose once the command is done), and two tests whose subprocesses inherited the ignored signal (it is
    kept across exec) sent them a Ctrl-C that did nothing. Each passes alone."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def stack(fallback_stack: StackState) -> StackState:
    return fallback_stack


@pytest.fixture
def seed(fallback_seed: Callable[[stack_lib.Seed], None]) -> Callable[[stack_lib.Seed], None]:
    return fallback_seed


@pytest.fixture
def sql(
    fallback_sql: Callable[..., Awaitable[list[asyncpg.Record]]],
) -> Callable[..., Awaitable[list[asyncpg.Record]]]:
    return fallback_sql
