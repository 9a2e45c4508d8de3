"""The subprocess adapter against fake clients: mapping, deadlines, restarts, never hanging."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from fallback.adapters import CallFailed, ClientRefused, SubprocessClient
from fallback.client import FallbackClient, SourceConfig

FAKE = str(Path(__file__).with_name("fake_client.py"))
SOURCES = (
    SourceConfig("PRIMARY", "http://127.0.0.1:9", "k1"),
    SourceConfig("BOLT", "http://127.0.0.1:9", "k2"),
    SourceConfig("OLD", "http://127.0.0.1:9", "k3"),
)
Make = Callable[..., SubprocessClient]


@pytest.fixture
async def make() -> AsyncIterator[Make]:
    clients: list[SubprocessClient] = []

    def build(mode: str, *extra: str, **options: float) -> SubprocessClient:
        options.setdefault("call_timeout_s", 5.0)
        options.setdefault("start_timeout_s", 5.0)
        client = SubprocessClient([sys.executable, FAKE, mode, *extra], SOURCES, **options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield build
    for client in clients:
        await asyncio.wait_for(client.aclose(), 10)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


async def test_implements_the_protocol_and_takes_the_name_from_hello(make: Make) -> None:
    client = make("ok")
    assert isinstance(client, FallbackClient)
    await client.start()
    assert (client.name, client.version) == ("fake", "1.0")
    assert {"load", "create", "metrics"} <= client.operations


async def test_load_maps_rows_and_attempts(make: Make) -> None:
    result = await make("ok").load("user_challenges")
    assert result.outcome == "ok" and result.degraded
    assert result.counts() == {"PRIMARY": 0, "BOLT": 2, "OLD": 2}
    assert [(a.source, a.kind) for a in result.attempts] == [("PRIMARY", "refused"), ("BOLT", "ok"), ("OLD", "ok")]
    assert result.attempts[0].message == "connect refused"
    assert result.attempts[1].count == 2


async def test_console_is_captured_with_times_and_logged(make: Make, caplog: pytest.LogCaptureFixture) -> None:
    client = make("ok")
    before = time.time()
    with caplog.at_level(logging.INFO, logger="fallback.client"):
        await client.load("user_challenges")  # returns once the lines it printed are read (`console_lines`)
    lines = [line.text for line in client.console_lines()]
    assert "⚠ System using fallback databases" in lines
    assert all(line.at >= before and line.stream == "stderr" for line in client.console_lines())
    records = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert ("fallback.client.fake", logging.WARNING, "⚠ System using fallback databases") in records
    assert (
        "fallback.client.fake",
        logging.INFO,
        " Loading data from ALL databases (PRIMARY + BOLT + OLD)...",
    ) in records


async def test_create_update_assign_and_metrics(make: Make) -> None:
    client = make("ok")
    created = await client.create("user_challenges", {"email": "a@b.c"})
    assert (created.outcome, created.source, created.row_id) == ("ok", "BOLT", "new-1")
    assert [(a.kind, a.status) for a in created.attempts] == [("http", 503), ("ok", None)]
    assert created.attempts[0].code == "PGRST000" and created.attempts[0].status == 503
    row = {"id": "BOLT-1", "_db_source": "BOLT"}
    updated = await client.update("user_challenges", row, {"status": "active"})
    assigned = await client.call("assign_mt5", {"row": row, "login": "1001", "password": "pw", "server": "MT5-Demo"})
    assert (updated.outcome, updated.source, assigned.outcome, assigned.source) == ("ok", "BOLT", "ok", "BOLT")
    removed = await client.delete("user_challenges", row)
    assert (removed.outcome, removed.source, removed.row_id, removed.attempts[0].op) == (
        "ok",
        "BOLT",
        "BOLT-1",
        "delete",
    )
    unknown = await client.call("refund", {"row": row})
    assert (unknown.outcome, unknown.unsupported, unknown.attempts[0].kind) == ("fail", True, "unsupported")
    assert await client.refresh_metrics() == {"requests": 7}
    metrics = client.metrics()
    assert metrics["client_reported"] == {"requests": 7}
    assert metrics["fallback"]["writes_by_source"]["BOLT"] == 1
    assert metrics["adapter"]["restarts"] == 0


async def test_undeclared_operations_are_unsupported_and_never_sent(make: Make) -> None:
    client = make("load-only")
    created = await client.create("user_challenges", {"email": "a@b.c"})
    assert created.outcome == "fail" and created.attempts[0].kind == "unsupported"
    assert not created.attempts[0].ambiguous
    args = {"row": {"id": "x", "_db_source": "OLD"}, "login": "1", "password": "p", "server": "s"}
    updated = await client.call("assign_mt5", args)
    assert (updated.outcome, updated.source, updated.attempts[0].kind) == ("fail", "OLD", "unsupported")
    removed = await client.delete("user_challenges", {"id": "x", "_db_source": "OLD"})
    assert (removed.outcome, removed.source, removed.attempts[0].kind) == ("fail", "OLD", "unsupported")
    assert await client.resolve_pending() == ()
    assert (await client.load("user_challenges")).outcome == "ok"


async def test_a_hung_load_fails_within_the_deadline_and_the_client_restarts(make: Make, tmp_path: Path) -> None:
    client = make("hang-once", str(tmp_path / "marker"), call_timeout_s=0.5)
    start = time.monotonic()
    hung = await client.load("user_challenges")
    assert time.monotonic() - start < 3
    assert hung.outcome == "fail" and {a.kind for a in hung.attempts} == {"hung"}
    assert len(hung.attempts) == 3 and hung.error and "hung" in hung.error
    again = await client.load("user_challenges")
    assert again.outcome == "ok" and client.restarts == 1
    assert client.metrics()["adapter"]["hung"] == 1


def freeze(client: SubprocessClient) -> None:
    """SIGSTOP the client: alive, but it answers nothing (a stuck event loop, a blocked read)."""
    assert client._process is not None and client._process.pid is not None
    os.kill(client._process.pid, signal.SIGSTOP)


async def test_hung_create_and_update_are_indeterminate(make: Make) -> None:
    client = make("ok", call_timeout_s=0.5)
    await client.start()
    freeze(client)
    created = await client.create("user_challenges", {"id": "r1", "email": "a@b.c"})
    assert (created.outcome, created.row_id, created.source) == ("indeterminate", "r1", None)
    first = created.attempts[0]
    assert (first.source, first.op, first.kind, first.ambiguous) == ("PRIMARY", "insert", "hung", True)
    row = {"id": "BOLT-1", "_db_source": "BOLT"}
    assert (await client.update("user_challenges", row, {"status": "x"})).outcome == "ok"  # a new process answered
    freeze(client)
    updated = await client.call("assign_mt5", {"row": row, "login": "1", "password": "p", "server": "s"})
    assert (updated.outcome, updated.source, updated.attempts[0].kind) == ("indeterminate", "BOLT", "hung")
    assert client.restarts == 1 and client.metrics()["adapter"]["hung"] == 2


async def test_a_crash_is_reported_and_the_next_call_restarts(make: Make, tmp_path: Path) -> None:
    client = make("crash-once", str(tmp_path / "marker"))
    crashed = await client.load("user_challenges")
    assert crashed.outcome == "fail" and crashed.attempts[0].kind == "crashed"
    assert "exited with code 3" in crashed.attempts[0].message
    assert (await client.load("user_challenges")).outcome == "ok"
    assert client.restarts == 1
    await asyncio.sleep(0.1)
    assert "fatal: crashing as asked" in [line.text for line in client.console_lines()]


async def test_a_client_that_never_says_hello_is_unavailable(make: Make) -> None:
    client = make("no-hello", start_timeout_s=0.5)
    start = time.monotonic()
    result = await client.load("user_challenges")
    assert time.monotonic() - start < 3
    assert result.outcome == "fail" and result.attempts[0].kind == "unavailable"
    created = await client.create("user_challenges", {"id": "r1"})
    assert created.outcome == "fail" and not created.attempts[0].ambiguous  # nothing was sent


async def test_a_missing_command_is_unavailable() -> None:
    client = SubprocessClient("/nonexistent/client --flag", SOURCES, start_timeout_s=2)
    result = await client.create("user_challenges", {"email": "a@b.c"})
    assert result.outcome == "fail" and result.attempts[0].kind == "unavailable"
    await client.aclose()


async def test_junk_on_stdout_is_console_not_protocol(make: Make) -> None:
    client = make("junk")
    assert (await client.load("user_challenges")).outcome == "ok"
    assert ("debug: about to reply", "stdout") in [(line.text, line.stream) for line in client.console_lines()]


async def test_a_malformed_reply_is_a_protocol_error(make: Make) -> None:
    result = await make("bad-reply").load("user_challenges")
    assert result.outcome == "fail" and result.attempts[0].kind == "protocol_error"
    assert "rows" in result.attempts[0].message


async def test_concurrent_calls_are_paired_by_id(make: Make) -> None:
    client = make("slow-first")
    await client.start()
    slow, fast = await asyncio.gather(client.load("slow"), client.load("fast"))
    assert (slow.table, fast.table) == ("slow", "fast")
    assert slow.outcome == fast.outcome == "ok"


async def test_aclose_ends_a_stubborn_or_hung_process(make: Make) -> None:
    client = make("stubborn", call_timeout_s=0.5)
    await client.start()
    assert client._process is not None and client._process.pid is not None
    pid = client._process.pid
    freeze(client)  # shutdown will get no answer
    start = time.monotonic()
    await client.aclose()
    assert time.monotonic() - start < 8
    assert not pid_alive(pid)


async def test_a_protocol_1_client_is_refused_before_configure_with_what_changed(make: Make) -> None:
    client = make("protocol-1")
    with pytest.raises(CallFailed) as caught:
        await client.start()
    assert caught.value.kind == "unavailable"
    message = caught.value.message
    assert "speaks protocol 1; the harness speaks protocol 2" in message
    assert "is now `call` {name: 'assign_mt5'" in message
    loaded = await client.load("user_challenges")  # every call says the same, nothing hangs
    assert loaded.outcome == "fail" and "protocol 1" in (loaded.error or "")


async def test_a_client_refusing_the_stack_is_started_once_and_every_call_says_why(make: Make) -> None:
    client = make("refuse-configure")
    with pytest.raises(ClientRefused) as caught:
        await client.start()
    assert "refused this stack: configure: made for PRIMARY, BOLT, OLD" in caught.value.message
    loaded = await client.load("user_challenges")  # not restarted: a restart would be refused again
    assert loaded.outcome == "fail" and "made for PRIMARY, BOLT, OLD" in (loaded.error or "")
    assert client.restarts == 0
