"""The spec's own JavaScript on the real supabase-js, through Toxiproxy, driven by the subprocess adapter.

Needs Node and `npm ci --prefix clients/spec-js`; skipped with the reason otherwise.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from fallback.adapters import SubprocessClient, load_client
from fallback.client import SpecFaithfulClient, sources_from_stack
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy, timeout

pytestmark = pytest.mark.stack
SPEC_JS = Path(__file__).resolve().parents[2] / "clients" / "spec-js"
SEED = {"user_challenges": {"PRIMARY": 45, "BOLT": 25, "OLD": 15}}
ALL_UP_CONSOLE = [
    " Loading data from ALL databases (PRIMARY + BOLT + OLD)...",
    "✅ PRIMARY Database: Found 45 challenges",
    "✅ BOLT Database: Found 25 challenges",
    "✅ OLD Database: Found 15 challenges",
    " MERGED: Total challenges: 85",
    "   - From PRIMARY DB: 45",
    "   - From BOLT DB: 25",
    "   - From OLD DB: 15",
]
Sql = Callable[..., Awaitable[list[Any]]]

if shutil.which("node") is None:
    pytest.skip("node is not installed", allow_module_level=True)
if not (SPEC_JS / "node_modules" / "@supabase" / "supabase-js").is_dir():
    pytest.skip(
        "clients/spec-js/node_modules is missing: run `npm ci --prefix clients/spec-js`", allow_module_level=True
    )


def spec_js(stack: StackState, call_timeout_s: float = 30.0) -> SubprocessClient:
    client = load_client(
        f"cmd:node {SPEC_JS / 'adapter.mjs'}", sources_from_stack(stack), call_timeout_s=call_timeout_s
    )
    assert isinstance(client, SubprocessClient)
    return client


@pytest.fixture
def seeded(stack: StackState, seed: Callable[[dict[str, Any]], None]) -> StackState:
    seed(SEED)  # sync: the seed runs its own event loop
    return stack


@pytest.fixture
async def client(seeded: StackState) -> AsyncIterator[SubprocessClient]:
    client = spec_js(seeded)
    await client.start()
    yield client
    await client.aclose()


def console(client: SubprocessClient, since: float = 0.0) -> list[str]:
    """The app's own console lines (without supabase-js's Node-version notice). No sleep needed:
    an operation returns once the lines it printed are read (the reply's `console_lines`)."""
    return [line.text for line in client.console_lines() if line.at >= since and "Node.js" not in line.text]


async def test_all_up_three_sources_tagged_and_merged(
    client: SubprocessClient, stack: StackState, caplog: pytest.LogCaptureFixture
) -> None:
    assert client.name == "spec-js" and "supabase-js 2.119.1" in client.version
    since = time.time()
    result = await client.load("user_challenges")
    assert result.outcome == "ok" and not result.degraded
    assert result.counts() == {"PRIMARY": 45, "BOLT": 25, "OLD": 15} and len(result.rows) == 85
    assert [a.kind for a in result.attempts] == ["ok", "ok", "ok"]
    assert console(client, since) == ALL_UP_CONSOLE
    # The Python spec-faithful client logs the very same lines.
    python_client = SpecFaithfulClient(sources_from_stack(stack))
    with caplog.at_level(logging.INFO, logger="fallback.client"):
        await python_client.load("user_challenges")
    await python_client.aclose()
    assert [r.getMessage() for r in caplog.records if r.name == "fallback.client"] == ALL_UP_CONSOLE


async def test_primary_refused_data_from_bolt_and_old_after_seven_seconds(
    client: SubprocessClient, toxics: Toxiproxy, caplog: pytest.LogCaptureFixture
) -> None:
    toxics.down("PRIMARY.api")
    since = time.time()
    with caplog.at_level(logging.INFO, logger="fallback.client"):
        result = await client.load("user_challenges")
    assert result.outcome == "ok" and result.degraded
    assert result.counts() == {"PRIMARY": 0, "BOLT": 25, "OLD": 15}
    primary = result.attempts[0]
    assert primary.kind == "refused" and "ECONNREFUSED" in primary.message
    assert 6500 <= primary.latency_ms <= 12000, primary.latency_ms  # 1 + 2 + 4 s of retries
    lines = console(client, since)
    assert lines[1].startswith("⚠ PRIMARY Database unavailable: refused (")
    assert lines[-1] == "⚠ System using fallback databases"
    assert "   - From PRIMARY DB: 0" in lines
    warnings = [
        r.getMessage() for r in caplog.records if r.name == "fallback.client.spec-js" and r.levelname == "WARNING"
    ]
    assert "⚠ System using fallback databases" in warnings
    metrics = await client.refresh_metrics()
    assert metrics["requests"]["PRIMARY"] == 4  # one GET and three retries
    print(f"MEASURED refused select: {primary.latency_ms:.0f} ms, {metrics['requests']['PRIMARY']} requests")


async def test_assign_mt5_on_a_bolt_row_lands_in_bolt_only(client: SubprocessClient, sql: Sql) -> None:
    loaded = await client.load("user_challenges")
    row = next(r for r in loaded.rows if r["_db_source"] == "BOLT")
    since = time.time()
    result = await client.call(
        "assign_mt5", {"row": row, "login": "5550001", "password": "s3cret", "server": "MT5-Live"}
    )
    assert (result.outcome, result.source) == ("ok", "BOLT")
    assert result.row is not None and result.row["mt5_login"] == "5550001"
    assert console(client, since) == [
        " Assigning credentials to BOLT DB...",
        "✅ Credentials assigned successfully in BOLT DB",
    ]
    bolt = await sql("BOLT", "select mt5_login from user_challenges where id = $1", row["id"])
    assert [r["mt5_login"] for r in bolt] == ["5550001"]
    for other in ("PRIMARY", "OLD"):
        touched = await sql(
            other, "select count(*) from user_challenges where mt5_login = '5550001' or id = $1", row["id"]
        )  # seeded rows carry generated mt5 values of their own: look for this assignment's
        assert touched[0]["count"] == 0


async def test_purchase_with_primary_down_lands_in_bolt(client: SubprocessClient, toxics: Toxiproxy, sql: Sql) -> None:
    toxics.down("PRIMARY.api")
    row = {"user_id": "00000000-0000-4000-8000-000000000001", "email": "buyer@example.com", "account_size": 25000}
    result = await client.create("user_challenges", row)
    assert (result.outcome, result.source) == ("ok", "BOLT")
    assert [(a.source, a.kind) for a in result.attempts] == [("PRIMARY", "refused"), ("BOLT", "ok")]
    assert result.attempts[0].latency_ms < 2000  # POST is not retried
    for source, expected in (("PRIMARY", 0), ("BOLT", 1), ("OLD", 0)):
        found = await sql(source, "select count(*) from user_challenges where email = $1", "buyer@example.com")
        assert found[0]["count"] == expected, source
    print(f"MEASURED refused insert: {result.attempts[0].latency_ms:.0f} ms")


async def test_a_hung_primary_holds_the_load_until_the_engine_deadline(seeded: StackState, toxics: Toxiproxy) -> None:
    client = spec_js(seeded, call_timeout_s=4.0)
    try:
        await client.start()
        # Blackhole the requests (upstream): they never reach the gateway, nothing ever closes the
        # connection, and supabase-js has no timeout by default (undici gives up after 300 s).
        toxics.add("PRIMARY.api", timeout(0, stream="upstream"))
        start = time.monotonic()
        hung = await client.load("user_challenges")
        elapsed = time.monotonic() - start
        assert hung.outcome == "fail" and {a.kind for a in hung.attempts} == {"hung"}
        assert 3.5 <= elapsed <= 8, elapsed
        toxics.reset()
        again = await client.load("user_challenges")
        assert again.outcome == "ok" and again.counts()["PRIMARY"] == 45 and client.restarts == 1
        print(f"MEASURED hung select: no answer within the {client.call_timeout_s:g} s deadline ({elapsed:.1f} s)")
    finally:
        await client.aclose()


async def test_primary_database_down_503_is_retried_back_to_back(client: SubprocessClient, toxics: Toxiproxy) -> None:
    toxics.down("PRIMARY.db")
    await client.refresh_metrics()
    before = dict(client.metrics()["client_reported"]["requests"])
    result = await client.load("user_challenges")
    primary = result.attempts[0]
    assert (primary.kind, primary.status) == ("http", 503) and primary.code in {"PGRST000", "PGRST001", "PGRST002"}
    assert primary.latency_ms < 2000, primary.latency_ms  # Retry-After: 0 -> no backoff
    assert result.counts() == {"PRIMARY": 0, "BOLT": 25, "OLD": 15}
    after = (await client.refresh_metrics())["requests"]
    assert after["PRIMARY"] - before.get("PRIMARY", 0) == 4
    print(f"MEASURED 503 select: {primary.latency_ms:.0f} ms, 4 requests, code {primary.code}")
