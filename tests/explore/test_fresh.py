"""What the explorer's runs share on the real stack (`fallback.engine.fresh.Reuse`) keeps every guarantee:

- a fault a run left on is undone before the next run starts, though runs undo only the families their
  session applied (`FaultLedger`); a new session undoes every family, marked or not;
- a reseed that reuses the introspected schemas and reads on its own connections gives the tables a plain
  reseed gives;
- a gateway sleeping in its reconnect backoff retries as soon as the harness nudges it (once the faults are
  undone), not when its backoff ends.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from fallback.engine.faults import FaultTimeline
from fallback.engine.fresh import Reuse, reseed_and_read, until_healthy
from fallback.engine.observe import Rows, read_tables
from fallback.engine.schema import run_schema, written_tables
from fallback.engine.session import RunSession, SessionPlan
from fallback.faults import Controls, Fault, family_of
from fallback.faults._edge import control_path
from fallback.scenario import Fault as ScenarioFault
from fallback.scenario.faults import windows
from fallback.stack import stack as stack_lib
from fallback.stack.seed import SeedPlan
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

pytestmark = pytest.mark.stack
READ_ONLY_ROLES = "SELECT count(*) FROM pg_db_role_setting WHERE 'default_transaction_read_only=on' = ANY(setconfig)"
SEED = SeedPlan(counts={"user_challenges": {"PRIMARY": 3, "BOLT": 2, "OLD": 1}, "profiles": {"PRIMARY": 2}})


@pytest.fixture
def controls(stack: StackState, toxics: Toxiproxy) -> Iterator[Controls]:
    """The stack's controls; every fault undone after the test (the `toxics` fixture resets every family)."""
    yield Controls.of_stack(toxics, stack)


def _enter(stack: StackState, reuse: Reuse) -> None:
    """A run's start (every fault the session may have left undone, the stack fresh), with nothing run."""

    async def run() -> None:
        async with RunSession(stack, SessionPlan(client="reference", op_deadline_s=4, seed_rows=SEED), reuse=reuse):
            pass

    asyncio.run(run())


def _on(stack: StackState) -> set[str]:
    """The faults these tests leave on: PRIMARY read-only (database family), an edge rule (edge family)."""

    async def read_only() -> int:
        conn = await asyncpg.connect(stack.source("PRIMARY").db_dsn, timeout=10)
        try:
            return int(await conn.fetchval(READ_ONLY_ROLES))
        finally:
            await conn.close()

    found = {"read_only"} if asyncio.run(read_only()) else set()
    return found | ({"edge"} if control_path(stack, "PRIMARY").exists() else set())


def test_a_fault_a_run_left_on_is_undone_before_the_next_run(stack: StackState, controls: Controls) -> None:
    reuse = Reuse()
    _enter(stack, reuse)  # the session's first run: every family undone, none marked after it
    assert reuse.ledger.marked() == frozenset()
    # A run applied these and was cut off before its own undo (its timeline marks a family before applying).
    for fault in (Fault("PRIMARY", "read_only"), Fault("PRIMARY.api", "edge_status", {"status": 503})):
        reuse.ledger.mark(family_of(fault.kind))
        fault.apply(controls)
    assert _on(stack) == {"read_only", "edge"}
    _enter(stack, reuse)
    assert _on(stack) == set()
    assert reuse.ledger.marked() == frozenset()


def test_a_new_session_undoes_what_no_ledger_marked(stack: StackState, controls: Controls) -> None:
    """What a harness killed mid-run left on (or `fault` typed by hand): a new session's first run undoes it."""
    Fault("PRIMARY", "read_only").apply(controls)
    assert _on(stack) == {"read_only"}
    _enter(stack, Reuse())
    assert _on(stack) == set()


def test_the_timeline_marks_what_it_applies_and_its_clear_leaves_nothing_on(
    stack: StackState, controls: Controls
) -> None:
    reuse = Reuse()
    _enter(stack, reuse)
    timeline = FaultTimeline(
        controls, windows(0, ScenarioFault(target="PRIMARY", toxic="read_only"), None), reuse.ledger
    )
    asyncio.run(timeline.apply_initial())
    assert reuse.ledger.marked() == {"database"} and _on(stack) == {"read_only"}
    timeline.clear_all(at=1.0)
    assert reuse.ledger.marked() == frozenset() and _on(stack) == set()


def test_a_reseed_reusing_the_schemas_reads_what_a_plain_reseed_reads(stack: StackState) -> None:
    async def plain() -> Rows:
        await asyncio.to_thread(stack_lib.reseed, stack, SEED)
        return await read_tables(stack, written_tables(await run_schema(stack)).tables)

    async def reused(reuse: Reuse) -> Rows | None:
        return await reseed_and_read(stack, SEED, written_tables(await run_schema(stack)).tables, reuse)

    expected = _without_clock(asyncio.run(plain()))
    reuse = Reuse()
    assert _without_clock(asyncio.run(reused(reuse))) == expected
    assert set(reuse.schemas) == {s.db_dsn for s in stack.sources}  # introspected once, kept
    assert _without_clock(asyncio.run(reused(reuse))) == expected


def _without_clock(rows: Rows | None) -> Rows:
    """The rows without the columns PostgreSQL fills with the time of the insert (`created_at`, `updated_at`)."""
    assert rows is not None and any(table for tables in rows.values() for table in tables.values())
    clock = ("created_at", "updated_at")
    return {
        source: {
            name: [{k: v for k, v in row.items() if k not in clock} for row in table] for name, table in tables.items()
        }
        for source, tables in rows.items()
    }


def test_a_nudged_gateway_retries_before_its_backoff_ends(stack: StackState, toxics: Toxiproxy) -> None:
    log = Path(stack.state_dir) / "PRIMARY" / "gateway.log"
    already = len(log.read_text(errors="replace")) if log.exists() else 0
    source = stack.source("PRIMARY")
    toxics.down("PRIMARY.db")
    try:
        headers = {"apikey": source.service_role_key, "Authorization": f"Bearer {source.service_role_key}"}
        httpx.get(f"{source.direct_api_url}/rest/v1/profiles", headers=headers, timeout=5)  # it finds the link cut
        backoff = _logged_backoff(log, already, at_least_s=2.0)  # it sleeps 1 s, then 2 s, ... between attempts
        started = time.monotonic()
    finally:
        toxics.up("PRIMARY.db")
    asyncio.run(until_healthy(stack, nudge=True))
    assert time.monotonic() - started < backoff - 1.0  # without the nudge: the rest of that sleep, at least 1 s more


def _logged_backoff(log: Path, offset: int, at_least_s: float, timeout_s: float = 15.0) -> float:
    """Wait until the gateway logs a reconnect attempt followed by a sleep of at least `at_least_s`; that sleep."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")[offset:] if log.exists() else ""
        sleeps = [float(s) for s in re.findall(r"next attempt in ([0-9.]+)s", text)]
        if sleeps and sleeps[-1] >= at_least_s:
            return sleeps[-1]
        time.sleep(0.05)
    raise AssertionError(f"the gateway logged no reconnect backoff of {at_least_s} s within {timeout_s} s")
