"""Regression: `connections_exhausted` flapping fast (0-2 s, period 0.5 s, duty 0.5) with loads, then a pause,
could leave PRIMARY's connection slots taken after the run
(examples/triple-fallback/scenarios/primary-connections-flapping.yaml).

While a holder keeps every ordinary slot, the superuser has only PostgreSQL's 3 reserved ones. Each apply takes
seconds, so the flap ran late and the workload ended in the middle of one; that apply (polling by SQL) went on
beside the run's final reset and the harness's own reads, the reserved slots were all busy for a moment, the
reset's login got 53300, took it for "database unreachable" and passed PRIMARY over: the holder stayed. Fixed:
a superuser login answered 53300 waits for a reserved slot (`faults._database._connect`); the fault timeline
waits for an apply or clear under way before the run resets (`engine.faults._whole`); holders are started and
released one at a time in a process (`faults._holders._HOLDING`)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import pytest

from fallback.engine.run import run_client_observed
from fallback.faults import Controls, Fault, reset_all
from fallback.scenario import load_scenario
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

from .test_database_faults import left_behind

pytestmark = pytest.mark.stack
SCENARIO = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "triple-fallback"
    / "scenarios"
    / "primary-connections-flapping.yaml"
)


async def _api_login_works(stack: StackState) -> bool:
    """A fresh login as the gateway's role: refused with 53300 while a holder keeps the slots."""
    primary = stack.source("PRIMARY")
    dsn = f"postgresql://authenticator:{primary.authenticator_password}@127.0.0.1:{primary.pg_port}/postgres"
    try:
        conn = await asyncpg.connect(dsn, timeout=5)
    except asyncpg.TooManyConnectionsError:
        return False
    await conn.close()
    return True


async def test_a_fast_flap_of_connections_exhausted_leaves_no_slot_taken(stack: StackState, toxics: Toxiproxy) -> None:
    observed = await run_client_observed(load_scenario(SCENARIO), "reference", stack)
    assert observed.run.error is None, observed.run.error
    deadline = time.monotonic() + 5  # what a leaked holder would never do: give the slots back
    while (found := await asyncio.to_thread(left_behind, stack)) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    assert found == {}
    assert await _api_login_works(stack)


async def test_a_reset_while_the_reserved_slots_are_busy_still_releases_the_holder(
    stack: StackState, toxics: Toxiproxy
) -> None:
    """The failure itself, made certain: every ordinary slot held by the fault, the 3 reserved ones by superuser
    sessions (the harness's reads) for 1 s; a reset meanwhile must wait for a slot, not skip PRIMARY."""
    controls = Controls.of_stack(toxics, stack)
    await asyncio.to_thread(Fault("PRIMARY", "connections_exhausted").apply, controls)
    reserved: list[asyncpg.Connection] = []
    try:
        while True:  # take what the superuser has left
            try:
                reserved.append(await asyncpg.connect(stack.source("PRIMARY").db_dsn, timeout=5))
            except asyncpg.TooManyConnectionsError:
                break
        assert len(reserved) >= 1
        reset = asyncio.create_task(asyncio.to_thread(reset_all, controls))
        await asyncio.sleep(1.0)
    finally:
        for conn in reserved:
            await conn.close()
    await reset
    assert await asyncio.to_thread(left_behind, stack) == {}
    assert await _api_login_works(stack)
