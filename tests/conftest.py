"""Short names for the plugin's fixtures in our own tests (the plugin is `fallback.pytest_plugin`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState


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
