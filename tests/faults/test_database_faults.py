"""The database fault kinds on the real stack: applied, seen by a real client (supabase-py through the
gateway and Toxiproxy, or a plain PostgreSQL login), cleared, and nothing left behind on every path."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from postgrest.exceptions import APIError
from supabase import Client, create_client
from typer.testing import CliRunner

from fallback.cli import app
from fallback.engine.faults import FaultTimeline
from fallback.faults import Controls, Fault, FaultConflict, reset_all
from fallback.scenario import load_scenario
from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

pytestmark = pytest.mark.stack
USER = "00000000-0000-0000-0000-0000000000aa"


def _query(stack: StackState, query: str, *args: object, source: str = "PRIMARY") -> Any:
    async def run() -> Any:
        conn = await asyncpg.connect(stack.source(source).db_dsn, timeout=10)
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def left_behind(stack: StackState) -> dict[str, int]:
    """Everything a database fault could leave on any source; all zero when none did."""
    found: dict[str, int] = {}
    for source in stack.sources:
        checks = {
            "read_only": "SELECT count(*) FROM pg_db_role_setting "
            "WHERE 'default_transaction_read_only=on' = ANY(setconfig)",
            "holders": "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'fallback-fault %'",
            "holder_role": "SELECT count(*) FROM pg_roles WHERE rolname = 'fallback_fault_holder'",
            "slow_policies": "SELECT count(*) FROM pg_policies WHERE policyname LIKE 'fallback_faults%'",
            "service_role_without_bypassrls": "SELECT count(*) FROM pg_roles WHERE rolname = 'service_role' "
            "AND NOT rolbypassrls",
            "authenticator_limited": "SELECT count(*) FROM pg_roles WHERE rolname = 'authenticator' "
            "AND rolconnlimit <> -1",
            "locks_waited_on": "SELECT count(*) FROM pg_locks WHERE NOT granted",
        }
        for name, query in checks.items():
            found[f"{source.name}.{name}"] = int(_query(stack, query, source=source.name))
    found["holder_processes"] = len(_holder_processes(stack))
    return {name: count for name, count in found.items() if count}


def _holder_processes(stack: StackState) -> list[Path]:
    """Live holder processes of this stack's databases (psutil is not a dependency: /proc, Linux only like the
    stack). Only this stack's: another run on the machine (make test plays scenarios beside the tests) may hold
    its own."""
    ports = [f":{source.pg_port}".encode() for source in stack.sources]
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes()
            holder = b"fallback/faults/_hold.py" in text or b"fallback.faults._hold" in text
            ours = holder and any(text.endswith(port + b"\0") for port in ports)
            if ours and b"Z" not in _state(cmdline.parent):
                found.append(cmdline.parent)
        except OSError:
            continue  # it ended meanwhile
    return found


def _state(process: Path) -> bytes:
    return (process / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]


@pytest.fixture
def controls(stack: StackState, toxics: Toxiproxy) -> Iterator[Controls]:
    """The stack's controls; every fault undone after the test (the `toxics` fixture resets every applier)."""
    yield Controls.of_stack(toxics, stack)


@pytest.fixture
def primary(stack: StackState) -> Client:
    source = stack.source("PRIMARY")
    return create_client(source.api_url, source.service_role_key)


@pytest.fixture
def seeded(stack: StackState, seed: Any) -> None:
    seed({"user_challenges": {"PRIMARY": 5, "BOLT": 2, "OLD": 2}, "profiles": {"PRIMARY": 2}})


def _insert(client: Client) -> Any:
    return client.table("profiles").insert({"user_id": USER, "email": "fault@test"}).execute()


def _wait_healthy(stack: StackState) -> None:
    stack_lib.wait_until_healthy(stack)


def test_read_only_refuses_writes_with_25006_and_keeps_reads(
    stack: StackState, controls: Controls, primary: Client, seeded: None
) -> None:
    fault = Fault("PRIMARY", "read_only")
    fault.apply(controls)
    _wait_healthy(stack)  # the gateway's sessions were terminated: it reconnects, now read-only
    with pytest.raises(APIError) as refused:
        _insert(primary)
    assert refused.value.code == "25006" and "read-only transaction" in str(refused.value.message)
    assert len(primary.table("user_challenges").select("id").execute().data) == 5
    fault.clear(controls)
    _wait_healthy(stack)
    assert len(_insert(primary).data) == 1
    assert left_behind(stack) == {}


def test_lock_on_rows_makes_a_write_wait_while_reads_go_on(stack: StackState, controls: Controls, seeded: None) -> None:
    source = stack.source("PRIMARY")
    headers = {"apikey": source.service_role_key, "Authorization": f"Bearer {source.service_role_key}"}
    patch = f"{source.api_url}/rest/v1/user_challenges?status=eq.pending"
    fault = Fault("PRIMARY", "lock", {"table": "user_challenges", "mode": "row"})
    fault.apply(controls)
    with pytest.raises(FaultConflict):
        fault.apply(controls)  # one holder per fault
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.patch(patch, json={"mt5_login": "1"}, headers=headers, timeout=1.5)
    assert time.monotonic() - started >= 1.4
    waiting = _query(stack, "SELECT count(*) FROM pg_locks WHERE NOT granted")
    assert waiting >= 1  # the gateway's UPDATE waits on the holder's row locks
    read = httpx.get(f"{source.api_url}/rest/v1/user_challenges?select=id", headers=headers, timeout=3)
    assert read.status_code == 200 and len(read.json()) == 5  # row locks do not block readers
    fault.clear(controls)
    done = httpx.patch(patch, json={"mt5_login": "2"}, headers=headers, timeout=5)
    assert done.status_code == 204
    time.sleep(0.3)  # the abandoned first UPDATE finishes once the lock is gone
    assert left_behind(stack) == {}


def test_slow_queries_delays_every_api_statement_inside_postgres(
    stack: StackState, controls: Controls, primary: Client, seeded: None
) -> None:
    def timed(call: Any) -> float:
        started = time.monotonic()
        call()
        return time.monotonic() - started

    read = lambda: primary.table("user_challenges").select("id", count="exact").execute()  # noqa: E731
    baseline = timed(read)
    fault = Fault("PRIMARY", "slow_queries", {"delay": 600})
    fault.apply(controls)
    slow_read, slow_write = timed(read), timed(lambda: _insert(primary))
    assert slow_read >= 0.6 and slow_write >= 0.6
    assert slow_read < 1.2 + baseline  # once per statement, not per table reference (count=exact reads twice)
    assert len(read().data) == 5  # service_role still sees every row
    superuser = time.monotonic()
    _query(stack, "SELECT count(*) FROM public.user_challenges")
    assert time.monotonic() - superuser < 0.5  # the harness's own SQL is not delayed
    fault.clear(controls)
    assert timed(read) < 0.5
    assert left_behind(stack) == {}


def test_slow_queries_past_the_statement_timeout_is_cancelled_by_it(
    stack: StackState, controls: Controls, primary: Client, seeded: None
) -> None:
    async def as_the_gateway() -> str | None:
        conn = await asyncpg.connect(stack.source("PRIMARY").db_dsn, timeout=10)
        try:
            async with conn.transaction():
                await conn.execute("SET LOCAL ROLE service_role; SET LOCAL statement_timeout = 300")
                await conn.fetch("SELECT id FROM public.user_challenges")
        except asyncpg.PostgresError as exc:
            return str(exc.sqlstate)
        finally:
            await conn.close()
        return None

    Fault("PRIMARY", "slow_queries", {"delay": 2000}).apply(controls)
    assert asyncio.run(as_the_gateway()) == "57014"  # query_canceled: the statement timeout fired


def test_connections_exhausted_gives_53300_and_the_gateway_answers_503(
    stack: StackState, controls: Controls, primary: Client, seeded: None
) -> None:
    source = stack.source("PRIMARY")
    _query(stack, "DROP ROLE IF EXISTS fallback_test_login")
    _query(stack, "CREATE ROLE fallback_test_login LOGIN PASSWORD 'test'")  # a non-superuser: no reserved slot
    fault = Fault("PRIMARY", "connections_exhausted")
    fault.apply(controls)

    async def login() -> str | None:
        superuser = source.db_dsn.split("@", 1)[0]
        dsn = source.db_dsn.replace(superuser, "postgresql://fallback_test_login:test", 1)
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
        except asyncpg.PostgresError as exc:
            return str(exc.sqlstate)
        await conn.close()
        return None

    try:
        assert asyncio.run(login()) == "53300"
    finally:
        _query(stack, "DROP ROLE fallback_test_login")
    headers = {"apikey": source.service_role_key, "Authorization": f"Bearer {source.service_role_key}"}
    answer = httpx.get(f"{source.api_url}/rest/v1/user_challenges?select=id", headers=headers, timeout=5)
    assert answer.status_code == 503 and answer.json()["code"] in ("PGRST000", "PGRST001", "PGRST002")
    assert int(_query(stack, "SELECT count(*) FROM public.user_challenges")) == 5  # the superuser still gets in
    fault.clear(controls)
    _wait_healthy(stack)
    assert len(primary.table("user_challenges").select("id").execute().data) == 5
    assert left_behind(stack) == {}


def test_every_cleanup_path_undoes_every_database_kind(stack: StackState, controls: Controls, seeded: None) -> None:
    faults = [
        Fault("PRIMARY", "read_only"),
        Fault("BOLT", "lock", {"mode": "exclusive"}),
        Fault("OLD", "slow_queries", {"delay": 300}),
        Fault("BOLT", "connections_exhausted", {"sessions": "keep"}),
    ]
    for fault in faults:  # the session's clear_all (end of run, failure, Ctrl-C)
        fault.apply(controls)
    assert left_behind(stack)
    FaultTimeline(controls, ()).clear_all(0.0)
    assert left_behind(stack) == {}

    for fault in faults:  # `fault all clear` from another process (the holders are not its children)
        fault.apply(controls)
    result = CliRunner().invoke(app, ["fault", "all", "clear", "--state-dir", stack.state_dir])
    assert result.exit_code == 0, result.output
    assert left_behind(stack) == {}

    for fault in faults:  # `fault SOURCE clear`, one source at a time
        fault.apply(controls)
    for source in ("PRIMARY", "BOLT", "OLD"):
        assert CliRunner().invoke(app, ["fault", source, "clear", "--state-dir", stack.state_dir]).exit_code == 0
    assert left_behind(stack) == {}
    reset_all(controls)  # nothing on: a no-op, and it does not disturb the gateway
    assert stack_lib.is_healthy(stack)


def test_a_scenario_window_applies_and_clears_a_database_fault(
    stack: StackState, controls: Controls, tmp_path: Path
) -> None:
    file = tmp_path / "t.yaml"
    file.write_text(
        "name: t\ndescription: d\nseed: {user_challenges: {PRIMARY: 2}}\n"
        "faults: [{at: 0.2s, until: 0.6s, target: PRIMARY, toxic: read_only}]\n"
        "workload: {steps: [{op: pause, duration: 1s}]}\n"
    )
    scenario = load_scenario(file)
    timeline = FaultTimeline(controls, scenario.fault_windows())

    async def run() -> None:
        loop = asyncio.get_running_loop()
        await timeline.run(loop, loop.time())

    asyncio.run(run())
    assert [(a.window.toxic, round(a.applied_s, 1), round(a.cleared_s or 0, 1)) for a in timeline.applied] == [
        ("read_only", 0.2, 0.6)
    ]
    assert left_behind(stack) == {}


def test_a_run_starts_with_no_fault_a_killed_harness_left_on(stack: StackState, controls: Controls) -> None:
    # noticed while adding the edge kinds: make_fresh reset Toxiproxy only, so a database fault left on by a
    # harness killed mid-run stayed on through the next run
    from fallback.engine.session import RunSession, SessionPlan

    Fault("PRIMARY", "read_only").apply(controls)
    assert left_behind(stack)

    async def enter() -> dict[str, int]:
        async with RunSession(stack, SessionPlan(client="reference", op_deadline_s=5, read_tables=False)):
            return await asyncio.to_thread(left_behind, stack)  # what the run starts with

    assert asyncio.run(enter()) == {}
