"""A source serving PostgREST's spec fixtures (schema `test`) for the conformance suite, and its summary line.

The gateway exposes only `test`, so PostgREST's messages (`test.sayhello`) come out word for word.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from .._cluster import run_sync
from ..conftest import Source, _source

HERE = Path(__file__).resolve().parent
OUTCOMES: dict[str, Counter[str]] = {}
"""Per spec file: how many cases passed, failed, or are knowingly unsupported (xfail)."""


def record(spec: str, outcome: str) -> None:
    OUTCOMES.setdefault(spec, Counter())[outcome] += 1


def load_fixture(source: Source, fixture: Path) -> None:
    async def apply() -> None:
        conn = await asyncpg.connect(source.pg.superuser_dsn)
        try:
            await conn.execute(fixture.read_text(encoding="utf-8"))
            await conn.execute("NOTIFY pgrst, 'reload schema'")
        finally:
            await conn.close()

    run_sync(apply)


def wait_for_function(source: Source, name: str, timeout: float = 20) -> None:
    """The schema cache reloads in the background after NOTIFY; wait until it knows `name`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(f"{source.rest_url}/rpc/{name}", headers={"apikey": source.anon_key}, timeout=5)
        if response.status_code != 404:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the gateway never saw the fixture's functions (last answer: {response.text})")


@pytest.fixture(scope="session")
def spec_source(pg_template: Path) -> Iterator[Source]:
    generator = _source(pg_template, schemas=["test"])
    source = next(generator)
    try:
        load_fixture(source, HERE / "rpc_fixture.sql")
        wait_for_function(source, "noparamsproc")
        yield source
    finally:
        generator.close()


def wait_for_table(source: Source, name: str, timeout: float = 20) -> None:
    """The schema cache reloads in the background after NOTIFY; wait until it knows table `name`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(f"{source.rest_url}/{name}?limit=0", headers={"apikey": source.anon_key}, timeout=5)
        if response.status_code == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the gateway never saw the fixture's tables (last answer: {response.text})")


@pytest.fixture(scope="session")
def query_source(pg_template: Path) -> Iterator[Source]:
    """PostgREST's fixture tables for the filter/operator cases (query.yaml), in a source of their own."""
    generator = _source(pg_template, schemas=["test"])
    source = next(generator)
    try:
        load_fixture(source, HERE / "query_fixture.sql")
        wait_for_table(source, "entities")
        yield source
    finally:
        generator.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for spec, counts in sorted(OUTCOMES.items()):
        run = counts["passed"] + counts["failed"]
        total = run + counts["xfail"]
        terminalreporter.write_line(
            f"conformance {spec}: {counts['passed']}/{total} cases pass ({counts['passed'] / total:.0%}); "
            f"{counts['failed']} fail, {counts['xfail']} knowingly unsupported (xfail)"
        )
