"""Fixtures of the benchmark suite: its own stack, one event loop, Toxiproxy with per-test reset.

Run with `pytest benchmarks --benchmark-only` or `fallback-harness bench [--quick]`. The
default `pytest` run (testpaths = tests) never collects this directory.

The stack is started here, in its own state dir and port block (`.stack-bench`, 25800; env
`FALLBACK_BENCH_STATE_DIR`, `FALLBACK_BENCH_BASE_PORT`, or the options below), seeded with
the spec's example sizes (45/25/15 challenges), and stopped at the end if started here.
`FALLBACK_BENCH_QUICK=1` (or `--bench-quick`) selects the short profile used by CI.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fallback.bench.labels import Profile, stack_location
from fallback.pytest_plugin import clean_toxics
from fallback.stack.seed import SPEC_SEED
from fallback.stack.stack import StackOptions, reseed, running_stack
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy


def pytest_addoption(parser: pytest.Parser) -> None:
    state_dir, base_port = stack_location()
    group = parser.getgroup("fallback-bench", "fallback-harness benchmarks")
    group.addoption("--bench-state-dir", default=str(state_dir), help="state dir of the benchmark stack")
    group.addoption("--bench-base-port", type=int, default=base_port, help="first port of the benchmark stack")
    group.addoption("--bench-quick", action="store_true", default=False, help="the short (CI) profile")


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    if request.config.getoption("--bench-quick"):
        return Profile.for_mode(True)
    return Profile.from_env()


@pytest.fixture(scope="session")
def bench_stack(request: pytest.FixtureRequest) -> Iterator[StackState]:
    options = StackOptions(
        state_dir=Path(request.config.getoption("--bench-state-dir")),
        base_port=request.config.getoption("--bench-base-port"),
        seed=SPEC_SEED,
    )
    with running_stack(options) as state:
        yield state


@pytest.fixture(scope="session")
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for the session: clients are created and used on it."""
    with asyncio.Runner() as loop:
        yield loop


@pytest.fixture
def toxics(bench_stack: StackState) -> Iterator[Toxiproxy]:
    """Toxiproxy with no toxic before the test, and none left after it."""
    with clean_toxics(bench_stack) as toxiproxy:
        yield toxiproxy


@pytest.fixture(scope="module")
def fresh_rows(bench_stack: StackState) -> StackState:
    """The spec's example rows again (write benchmarks add rows; reads must see the same table)."""
    reseed(bench_stack, SPEC_SEED)
    return bench_stack


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """A throwaway snapshot cache for the reference client (it persists snapshots and pending writes)."""
    return tmp_path / "cache"


def pytest_report_header(config: pytest.Config) -> str:
    quick = config.getoption("--bench-quick") or Profile.from_env().quick
    return f"fallback-bench: profile {'quick' if quick else 'full'}, load average {os.getloadavg()}"
