"""The process faults (`kill`, `pause`, `restart`) on the real test stack, observed by supabase-py.

Each kind is applied, seen by a real client (requests hang or fail), cleared, and nothing is left
paused or dead: by the fault's own clear, by `fault X clear`, by `fault all clear`, and by the end of
every run (`FaultTimeline.clear_all` resets every applier). `stack down` of a stack with paused
processes stops everything (tests/faults/test_process_faults_down.py).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from supabase import AsyncClient, AsyncClientOptions, acreate_client
from typer.testing import CliRunner

from fallback.cli import app
from fallback.faults import Controls, Fault
from fallback.stack import process
from fallback.stack import stack as stack_lib
from fallback.stack.restart import is_paused, record_of
from fallback.stack.state import ProcessKind, ProcessRecord, StackState
from fallback.toxics import Toxiproxy

from .conftest import undone_after

pytestmark = pytest.mark.stack
CLIENT_TIMEOUT_S = 2.0
PARTS = {"postgres": ProcessKind.postgres, "gateway": ProcessKind.gateway}


@pytest.fixture
def controls(stack: StackState, toxics: Toxiproxy) -> Iterator[Controls]:
    """Controls on the test stack; every process resumed and alive, and the stack healthy, after the test."""
    yield from undone_after(stack, toxics, clean=lambda: nothing_paused_or_dead(stack), healthy=True)


def record(stack: StackState, target: str) -> ProcessRecord:
    source, _, part = target.partition(".")
    return record_of(stack.latest(), PARTS[part], source)


def stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) from /proc/<pid>/stat; None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[2])


def group(record: ProcessRecord) -> list[int]:
    """The server and its descendants (PostgreSQL: the postmaster and its backends), alive."""
    return [pid for pid in process.tree(record.pid) if not gone(pid)]


def stopped(pid: int) -> bool:
    found = stat(pid)
    return found is not None and found[0] == "T"


def gone(pid: int) -> bool:
    found = stat(pid)
    return found is None or found[0] == "Z"


def nothing_paused_or_dead(stack: StackState) -> bool:
    return all(not gone(rec.pid) and not any(stopped(pid) for pid in group(rec)) for rec in stack.latest().processes)


@asynccontextmanager
async def client_of(stack: StackState, source: str) -> AsyncIterator[AsyncClient]:
    endpoints = stack.source(source)
    options = AsyncClientOptions(postgrest_client_timeout=httpx.Timeout(CLIENT_TIMEOUT_S), postgrest_client_retry=False)
    client = await acreate_client(endpoints.api_url, endpoints.service_role_key, options=options)
    try:
        yield client
    finally:
        await client.postgrest.aclose()


async def count_profiles(client: AsyncClient) -> int:
    result = await client.table("profiles").select("id", count="exact").limit(1).execute()
    return int(result.count or 0)


async def read_fails(client: AsyncClient) -> str:
    """What a read through the paused or killed part does: the exception's type (it must fail or hang)."""
    try:
        await asyncio.wait_for(count_profiles(client), CLIENT_TIMEOUT_S + 1)
    except Exception as exc:
        return type(exc).__name__
    raise AssertionError("the read succeeded during the fault")


@pytest.mark.parametrize("target", ["BOLT.gateway", "BOLT.postgres"])
async def test_pause_hangs_every_request_until_cleared(stack: StackState, controls: Controls, target: str) -> None:
    async with client_of(stack, "BOLT") as client:
        before = await count_profiles(client)
        paused = record(stack, target)
        await asyncio.to_thread(Fault(target, "pause").apply, controls)
        members = group(paused)
        assert members and all(stopped(pid) for pid in members)
        if target == "BOLT.postgres":
            assert len(members) > 1  # the backends are paused with the postmaster, not only the postmaster
        assert await read_fails(client) in ("ReadTimeout", "TimeoutError", "APIError")
        await asyncio.to_thread(Fault(target, "pause").clear, controls)
        assert not any(stopped(pid) for pid in group(paused))
        assert record(stack, target).pid == paused.pid  # the same process, resumed
        await asyncio.to_thread(stack_lib.wait_until_healthy, stack)
        assert await count_profiles(client) == before


@pytest.mark.parametrize("target", ["OLD.gateway", "OLD.postgres"])
async def test_kill_fails_requests_and_the_process_comes_back_after_restart_after(
    stack: StackState, controls: Controls, target: str
) -> None:
    async with client_of(stack, "OLD") as client:
        before = await count_profiles(client)
        killed = record(stack, target)
        members = group(killed)
        await asyncio.to_thread(Fault(target, "kill", {"restart_after": 1.5}).apply, controls)
        assert all(gone(pid) for pid in members)  # PostgreSQL's backends too: none left behind
        assert controls.outages.excuses(killed)  # a planned outage: the run's watch does not call it a death
        assert await read_fails(client)
        await asyncio.to_thread(controls.outages.wait)
        restarted = record(stack, target)
        assert restarted.pid != killed.pid and not gone(restarted.pid)
        assert not controls.outages.excuses(restarted)
        await asyncio.to_thread(stack_lib.wait_until_healthy, stack)
        assert await count_profiles(client) == before


def fault_cli(stack: StackState, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fault", *args, "--state-dir", stack.state_dir])
    return result.exit_code, " ".join(result.output.split())


def test_kill_with_restart_after_0_stays_dead_until_fault_clear(stack: StackState, controls: Controls) -> None:
    killed = record(stack, "BOLT.gateway")
    code, output = fault_cli(stack, "BOLT.gateway", "kill", "0")
    assert code == 0 and "BOLT.gateway: kill {'restart_after': 0" in output, output
    assert "waiting" not in output  # never restarted by the command itself
    assert gone(killed.pid)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{stack.source('BOLT').direct_api_url}/ready", timeout=1)
    assert fault_cli(stack, "BOLT.gateway", "clear") == (0, "cleared BOLT.gateway")
    assert not gone(record(stack, "BOLT.gateway").pid)
    assert httpx.get(f"{stack.source('BOLT').direct_api_url}/ready", timeout=5).status_code == 200


def test_fault_cli_kill_waits_for_the_restart(stack: StackState, controls: Controls) -> None:
    killed = record(stack, "PRIMARY.gateway")
    code, output = fault_cli(stack, "PRIMARY.gateway", "kill", "1")
    assert code == 0 and "PRIMARY.gateway restarted" in output, output
    assert record(stack, "PRIMARY.gateway").pid != killed.pid
    assert httpx.get(f"{stack.source('PRIMARY').direct_api_url}/ready", timeout=5).status_code == 200


def test_fault_all_clear_resumes_the_paused_and_restarts_the_dead(stack: StackState, controls: Controls) -> None:
    assert fault_cli(stack, "PRIMARY.gateway", "pause")[0] == 0
    assert fault_cli(stack, "OLD.postgres", "kill", "0")[0] == 0
    assert fault_cli(stack, "BOLT.api", "down")[0] == 0
    assert is_paused(record(stack, "PRIMARY.gateway"))
    assert not nothing_paused_or_dead(stack)
    assert fault_cli(stack, "all", "clear") == (0, "cleared all")
    assert nothing_paused_or_dead(stack)
    stack_lib.wait_until_healthy(stack, timeout_s=40)


def test_restart_is_a_clean_stop_and_start(stack: StackState, controls: Controls) -> None:
    for target in ("BOLT.postgres", "BOLT.gateway"):
        before = record(stack, target)
        Fault(target, "restart").apply(controls)
        after = record(stack, target)
        assert after.pid != before.pid and not gone(after.pid)
        assert not controls.outages.excused()
    stack_lib.wait_until_healthy(stack, timeout_s=40)


def test_process_faults_take_no_envelope_and_name_their_targets(stack: StackState) -> None:
    with pytest.raises(ValueError, match=re.escape("acts on `<SOURCE>.postgres|gateway`, not 'BOLT.api'")):
        Fault("BOLT.api", "pause")
    with pytest.raises(ValueError, match=re.escape("acts on `<SOURCE>.api|db`")):
        Fault("BOLT.postgres", "latency", {"latency": 100})
    code, output = fault_cli(stack, "BOLT.postgres", "pause", "--stream", "upstream")
    assert code == 2 and "acts on a process" in output and "--stream does not apply" in output
    code, output = fault_cli(stack, "BOLT.postgres", "kill", "-1")
    assert code == 2
