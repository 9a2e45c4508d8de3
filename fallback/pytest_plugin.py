"""pytest plugin: a running three-source stack, Toxiproxy control and seeding for any test suite.

Loaded through the `pytest11` entry point, so a user's suite can write::

    def test_survives_primary_outage(fallback_stack, toxics):
        toxics.down("PRIMARY.api")
        ...

The stack is started once per session (or a healthy one is reused: `fallback-harness stack
up` in another terminal makes test runs fast) and stopped at the end if this session
started it. Toxics are reset after every test, and the fixture waits until every gateway
is ready again, so no fault leaks into the next test.

More fixtures: `fallback_seeded` (every source seeded with the spec's figures), `fallback_client`
and `fallback_spec_client` (async, need pytest-asyncio; closed after the test). Markers:
`@pytest.mark.resilience` (gets clean toxics around it) and `@pytest.mark.fallback_fault("PRIMARY.api",
"down")` / `("BOLT.api", "latency", 300)` (applied before the test, removed after). When a test that
used the stack fails, the terminal summary says how to reproduce it: the stack to start and the
`fallback-harness fault` commands for the faults that were on at the moment it failed.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from fallback.faults import MAIN_ATTRIBUTE, Controls, Fault, reset_all
from fallback.stack import keys
from fallback.stack import stack as stack_lib
from fallback.stack.ports import check_base_port
from fallback.stack.seed import default_seed
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy, ToxiproxyError


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
    try:
        check_base_port(config.getoption("--fallback-base-port"))
    except ValueError as exc:  # before any test, and before any server starts
        raise pytest.UsageError(f"--fallback-base-port (or FALLBACK_TEST_BASE_PORT): {exc}") from exc
    config.addinivalue_line("markers", "stack: needs the local Supabase-like stack")
    config.addinivalue_line("markers", "resilience: a resilience test that injects faults (gets clean toxics)")
    config.addinivalue_line(
        "markers",
        "fallback_fault(target, kind, value=None, **attributes): apply this fault before the test, remove it after",
    )


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
    """Toxiproxy with no fault before the block and none after it (of any kind: `reset_all`); waits until
    every gateway is ready again."""
    with Toxiproxy(state.toxiproxy_url) as toxiproxy:
        reset_all(Controls.of_stack(toxiproxy, state))
        try:
            yield toxiproxy
        finally:
            reset_all(Controls.of_stack(toxiproxy, state))
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


@pytest.fixture
def fallback_seeded(fallback_stack: StackState) -> Mapping[str, Mapping[str, int]]:
    """Every source truncated and seeded: the spec's figures (profiles 50/30/20, challenges 45/25/15) for the
    built-in example, the project's own seed files for another project (`fallback.stack.seed.default_seed`).
    Returns the generated rows per table per source (`seeded["user_challenges"]["PRIMARY"]`: 45)."""
    seed = default_seed()
    stack_lib.reseed(fallback_stack, seed)
    return seed.counts


def _client_fixture(make: Callable[[StackState, Path], Any], doc: str) -> Any:
    try:
        import pytest_asyncio
    except ImportError:  # the fixture exists, and says what is missing

        @pytest.fixture
        def missing(fallback_stack: StackState) -> None:
            pytest.skip("async client fixtures need pytest-asyncio (pip install pytest-asyncio)")

        return missing

    @pytest_asyncio.fixture
    async def client(fallback_stack: StackState, tmp_path: Path) -> AsyncIterator[Any]:
        made = make(fallback_stack, tmp_path)
        try:
            yield made
        finally:
            await made.aclose()

    client.__doc__ = doc
    return client


def _reference(state: StackState, tmp_path: Path) -> Any:
    from fallback.client.reference import ReferenceClient

    return ReferenceClient.from_stack(state, cache_dir=tmp_path / "fallback-cache")


def _spec_faithful(state: StackState, tmp_path: Path) -> Any:
    from fallback.client.spec_faithful import SpecFaithfulClient

    return SpecFaithfulClient.from_stack(state)


fallback_client = _client_fixture(_reference, "The reference client on the test stack (fresh cache), closed after.")
fallback_spec_client = _client_fixture(_spec_faithful, "The spec-faithful client on the test stack, closed after.")


@pytest.fixture(autouse=True)
def _fallback_markers(request: pytest.FixtureRequest) -> None:
    """`resilience` and `fallback_fault` tests get the `toxics` fixture; `fallback_fault`s are applied."""
    faults = list(request.node.iter_markers("fallback_fault"))
    if not faults and request.node.get_closest_marker("resilience") is None:
        return
    toxiproxy: Toxiproxy = request.getfixturevalue("toxics")
    controls = Controls.of_stack(toxiproxy, request.getfixturevalue("fallback_stack"))
    for marker in reversed(faults):  # closest marker last, as written top to bottom
        target, kind, *rest = marker.args
        value = rest[0] if rest else None
        attributes = {MAIN_ATTRIBUTE[kind]: value} if value is not None and kind in MAIN_ATTRIBUTE else {}
        Fault(target, kind, {**attributes, **marker.kwargs}).apply(controls)  # e.g. share=0.3


REPRO = pytest.StashKey[list[tuple[str, StackState, list[str]]]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    state = getattr(item, "funcargs", {}).get("fallback_stack")
    if not report.failed or not isinstance(state, StackState) or report.when == "teardown":
        return
    item.config.stash.setdefault(REPRO, []).append((item.nodeid, state, _fault_commands(state)))


def _fault_commands(state: StackState) -> list[str]:
    """The faults on the stack now, as the `fallback-harness fault` commands that would recreate them."""
    where = f" --state-dir {state.state_dir}"
    try:
        with Toxiproxy(state.toxiproxy_url, timeout_s=2.0) as toxiproxy:
            proxies = toxiproxy.proxies()
    except ToxiproxyError:
        return ["# (Toxiproxy did not answer: the faults at the failure are unknown)"]
    commands = []
    for name, proxy in sorted(proxies.items()):
        if not proxy.get("enabled", True):
            commands.append(f"fallback-harness fault {name} down{where}")
        toxics_on: list[dict[str, Any]] = list(proxy.get("toxics") or [])  # type: ignore[call-overload]
        for toxic in toxics_on:
            kind = str(toxic["type"])
            value = dict(toxic.get("attributes") or {}).get(MAIN_ATTRIBUTE.get(kind, ""), "")
            extra = "" if toxic.get("stream", "downstream") == "downstream" else " --stream upstream"
            extra += "" if float(toxic.get("toxicity", 1.0)) == 1.0 else f" --toxicity {toxic['toxicity']}"
            commands.append(f"fallback-harness fault {name} {kind} {value}{extra}{where}".replace("  ", " "))
    return commands


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    failures = config.stash.get(REPRO, [])
    if not failures:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fallback-harness: how to reproduce")
    state = failures[0][1]
    port = config.getoption("--fallback-base-port")
    write(f"stack:  fallback-harness stack up --state-dir {state.state_dir} --base-port {port} --seed spec")
    write("        (a test session reuses a healthy stack in that state dir; `stack down` stops it)")
    for nodeid, _state, commands in failures:
        write(f"{nodeid}:")
        for command in commands or ["# no fault was on when it failed"]:
            write(f"    {command}")
        write(f"    pytest '{nodeid}' --fallback-state-dir {state.state_dir}")
