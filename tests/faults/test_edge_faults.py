"""The HTTP-edge kinds on the real test stack: real HTTP through Toxiproxy's `.api` proxies, with raw httpx and
with the real clients (the reference client and the spec-faithful one on supabase-py): each kind applied,
observed, cleared, and nothing left on every path (the fault's clear, `fault X clear`, `fault all clear`, a
run's `clear_all`, `reset_all` as `stack down` calls it, and a gateway restarted during the fault)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.client.reference import ReferenceClient
from fallback.client.spec_faithful import SpecFaithfulClient
from fallback.engine.faults import FaultTimeline
from fallback.faults import Controls, Fault, FaultConflict, reset_all
from fallback.faults._edge import control_path
from fallback.scenario import Scenario
from fallback.scenario.faults import windows
from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy, latency

from .conftest import undone_after

pytestmark = pytest.mark.stack
SOURCES = ("PRIMARY", "BOLT", "OLD")


def edge_files(stack: StackState) -> list[str]:
    return [name for name in SOURCES if control_path(stack, name).exists()]


@pytest.fixture
def controls(stack: StackState, toxics: Toxiproxy) -> Iterator[Controls]:
    yield from undone_after(stack, toxics, clean=lambda: edge_files(stack) == [])


def get(stack: StackState, source: str = "PRIMARY", headers: dict[str, str] | None = None) -> httpx.Response:
    """A read through `<source>.api` (Toxiproxy) with the service_role key."""
    endpoints = stack.source(source)
    keys = {"apikey": endpoints.service_role_key, "Authorization": f"Bearer {endpoints.service_role_key}"}
    url = f"{endpoints.api_url}/rest/v1/user_challenges?select=id"
    return httpx.get(url, headers={**keys, **(headers or {})}, timeout=10)


def insert(stack: StackState, source: str, marker: str) -> httpx.Response:
    endpoints = stack.source(source)
    headers = {"apikey": endpoints.service_role_key, "Authorization": f"Bearer {endpoints.service_role_key}"}
    row = {"user_id": str(uuid.uuid4()), "email": marker, "account_size": 10000, "challenge_type": "CLASSIC 2-STEP"}
    return httpx.post(f"{endpoints.api_url}/rest/v1/user_challenges", json=row, headers=headers, timeout=10)


def test_edge_status_answers_a_share_of_requests_as_cloudflare_and_kong_do(
    stack: StackState, controls: Controls, seed: Callable[[stack_lib.Seed], None], sql: Callable[..., object]
) -> None:
    seed({"user_challenges": {"PRIMARY": 3, "BOLT": 3, "OLD": 3}})
    fault = Fault("PRIMARY.api", "edge_status", {"status": 520, "share": 0.5})
    fault.apply(controls)
    with pytest.raises(FaultConflict, match=r"PRIMARY\.api already has an edge_status"):
        fault.apply(controls)
    answers = [get(stack) for _ in range(4)]
    assert [a.status_code for a in answers] == [520, 200, 520, 200]
    assert answers[0].headers["server"] == "cloudflare" and answers[0].headers["cf-ray"].endswith("-AMS")
    assert b"Error code 520" in answers[0].content and answers[1].headers["server"] == "uvicorn"
    assert get(stack, "BOLT").status_code == 200  # one source's edge only
    # 520 comes after the origin answered (`request: auto` -> forwarded): the write committed all the same
    marker = f"edge-{uuid.uuid4().hex[:8]}@x"
    assert insert(stack, "PRIMARY", marker).status_code == 520
    rows = asyncio.run(sql("PRIMARY", "SELECT count(*) FROM user_challenges WHERE email = $1", marker))  # type: ignore[operator]
    assert rows[0][0] == 1
    fault.clear(controls)
    assert [get(stack).status_code for _ in range(3)] == [200, 200, 200] and edge_files(stack) == []


def test_429_and_503_carry_retry_after_and_first_limits_the_hits(stack: StackState, controls: Controls) -> None:
    Fault("BOLT.api", "edge_status", {"status": 429, "first": 2, "retry_after": 3}).apply(controls)
    Fault("OLD.api", "edge_status", {"status": 503}).apply(controls)
    limited = [get(stack, "BOLT") for _ in range(3)]
    assert [a.status_code for a in limited] == [429, 429, 200]
    assert limited[0].headers["retry-after"] == "3" and limited[0].json() == {"message": "API rate limit exceeded"}
    assert limited[0].headers["server"] == "kong/2.8.1"
    unavailable = get(stack, "OLD")
    assert unavailable.status_code == 503 and unavailable.headers["retry-after"] == "1"
    assert unavailable.json() == {"message": "The upstream server is currently unavailable"}  # httpx: Accept */*
    assert get(stack, "OLD", headers={"Accept": "text/plain"}).text == "The upstream server is currently unavailable\n"
    assert httpx.get(f"http://127.0.0.1:{stack.source('OLD').gateway_port}/ready", timeout=5).status_code == 200


def test_truncated_stalled_and_slow_first_byte_through_toxiproxy(stack: StackState, controls: Controls) -> None:
    cut = Fault("PRIMARY.api", "edge_truncated", {"keep": 0.5})
    cut.apply(controls)
    with pytest.raises(httpx.RemoteProtocolError, match="peer closed connection without sending complete"):
        get(stack)
    cut.clear(controls)
    Fault("PRIMARY.api", "edge_truncated", {"keep": 0.5, "framing": "length"}).apply(controls)
    short = get(stack)
    assert short.status_code == 200 and short.content.startswith(b"[") and not short.content.endswith(b"]")
    reset_all(controls)

    Fault("PRIMARY.api", "edge_stalled", {"stall": 800}).apply(controls)
    endpoints = stack.source("PRIMARY")
    headers = {"apikey": endpoints.service_role_key, "Authorization": f"Bearer {endpoints.service_role_key}"}
    start = time.monotonic()
    with httpx.stream("GET", f"{endpoints.api_url}/rest/v1/user_challenges?select=id", headers=headers) as answer:
        headers_after = time.monotonic() - start
        answer.read()
    body_after = time.monotonic() - start
    assert answer.status_code == 200 and headers_after < 0.5 and body_after >= 0.8, (headers_after, body_after)
    reset_all(controls)

    Fault("PRIMARY.api", "edge_slow_first_byte", {"delay": 600}).apply(controls)
    controls.toxiproxy.add("PRIMARY.api", latency(100))  # combines with a toxic on the same link
    start = time.monotonic()
    assert get(stack).status_code == 200 and time.monotonic() - start >= 0.7


def test_a_stall_without_an_end_lasts_until_the_fault_is_cleared(stack: StackState, controls: Controls) -> None:
    fault = Fault("BOLT.api", "edge_stalled")  # stall 0: until cleared

    async def stalled_read() -> float:
        endpoints = stack.source("BOLT")
        headers = {"apikey": endpoints.service_role_key, "Authorization": f"Bearer {endpoints.service_role_key}"}
        start = time.monotonic()
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(f"{endpoints.api_url}/rest/v1/user_challenges?select=id", headers=headers)
        assert answer.status_code == 200
        return time.monotonic() - start

    async def scenario() -> float:
        await asyncio.to_thread(fault.apply, controls)
        read = asyncio.create_task(stalled_read())
        await asyncio.sleep(1.0)
        assert not read.done()
        await asyncio.to_thread(fault.clear, controls)
        return await asyncio.wait_for(read, 3)

    assert 1.0 <= asyncio.run(scenario()) < 2.5


async def test_the_real_clients_see_the_edge(
    stack: StackState, controls: Controls, seed: Callable[[stack_lib.Seed], None], tmp_path: Path
) -> None:
    """The reference client fails over at once; supabase-py (the spec's client) retries a GET answered 520 after
    1 s, so an edge that answered only the first request 520 costs it a second and no rows."""
    await asyncio.to_thread(seed, {"user_challenges": {"PRIMARY": 4, "BOLT": 3, "OLD": 2}})
    reference = ReferenceClient.from_stack(stack, cache_dir=tmp_path / "cache")
    spec = SpecFaithfulClient.from_stack(stack)
    try:
        fault = Fault("PRIMARY.api", "edge_status", {"status": 520, "first": 1})
        await asyncio.to_thread(fault.apply, controls)
        seen = await reference.load("user_challenges")
        assert [a.label for a in seen.attempts] == ["http_520", "ok", "ok"]
        assert seen.counts() == {"PRIMARY": 0, "BOLT": 3, "OLD": 2}
        await asyncio.to_thread(fault.clear, controls)
        await asyncio.to_thread(fault.apply, controls)  # a fresh window: its first request is hit again
        start = time.monotonic()
        retried = await spec.load("user_challenges")
        assert time.monotonic() - start >= 1.0 and retried.counts() == {"PRIMARY": 4, "BOLT": 3, "OLD": 2}
        await asyncio.to_thread(fault.clear, controls)
        await asyncio.to_thread(Fault("PRIMARY.api", "edge_truncated", {"first": 1}).apply, controls)
        cut = await reference.load("user_challenges")
        assert cut.attempts[0].kind == "reset" and cut.counts()["PRIMARY"] == 0
    finally:
        await reference.aclose()
        await spec.aclose()


def test_every_path_undoes_edge_faults(stack: StackState, controls: Controls) -> None:
    def everything() -> None:
        for source in SOURCES:
            Fault(f"{source}.api", "edge_status", {"status": 502}).apply(controls)
            Fault(f"{source}.api", "edge_slow_first_byte", {"delay": 1}).apply(controls)
        assert edge_files(stack) == list(SOURCES) and get(stack, "OLD").status_code == 502

    def cli(*args: str) -> int:
        return CliRunner().invoke(app, ["fault", *args, "--state-dir", stack.state_dir]).exit_code

    everything()
    assert cli("PRIMARY.api", "clear") == 0 and edge_files(stack) == ["BOLT", "OLD"]
    assert get(stack).status_code == 200
    assert cli("all", "clear") == 0 and edge_files(stack) == []
    everything()
    reset_all(controls)  # what `stack down` calls first, and the end of every test of this module
    assert edge_files(stack) == [] and get(stack, "BOLT").status_code == 200
    assert cli("BOLT.api", "edge_status", "520", "--set", "share=0.5") == 0
    assert [get(stack, "BOLT").status_code for _ in range(2)] == [520, 200]
    assert cli("BOLT.api", "edge_status", "520") == 2  # already on: refused, the first one kept
    reset_all(controls)


async def test_a_run_clears_its_edge_windows_and_counts_each_window_afresh(
    stack: StackState, controls: Controls
) -> None:
    [flapping] = Scenario.model_validate(
        {
            "name": "edge",
            "description": "",
            "faults": [
                {
                    "target": "OLD.api",
                    "toxic": "edge_status",
                    "attributes": {"status": 522, "first": 1},
                    "until": "10s",
                    "flap": {"period": "1s", "duty": 0.5},
                }
            ],
            "workload": {"steps": [{"op": "load", "count": 1}]},
        }
    ).faults
    timeline = FaultTimeline(controls, windows(0, flapping, None))
    await timeline.apply_initial()
    first = [get(stack, "OLD").status_code for _ in range(2)]
    task = asyncio.create_task(timeline.run(asyncio.get_running_loop(), asyncio.get_running_loop().time()))
    await asyncio.sleep(1.1)  # the second window: its first request is hit again
    second = [(await asyncio.to_thread(get, stack, "OLD")).status_code for _ in range(2)]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.to_thread(timeline.clear_all, 2.0)
    assert first == [522, 200] and second == [522, 200] and edge_files(stack) == []


def test_a_gateway_restarted_during_an_edge_fault_comes_back_without_it(stack: StackState, controls: Controls) -> None:
    Fault("OLD.api", "edge_status", {"status": 503}).apply(controls)
    assert get(stack, "OLD").status_code == 503
    Fault("OLD.gateway", "restart").apply(controls)  # a new process: the control file names the old one
    assert edge_files(stack) == ["OLD"] and get(stack, "OLD").status_code == 200
    stack_lib.wait_until_healthy(stack)


def test_stack_down_removes_every_edge_fault() -> None:
    """On a dedicated stack (FALLBACK_TEST_BASE_PORT + 100): `stack down` with edge faults on leaves no control
    file, so the next `stack up` in that state dir starts without them."""
    state_dir = Path(__file__).resolve().parents[2] / ".stack-test-edge-down"
    base = int(os.environ.get("FALLBACK_TEST_BASE_PORT", "25500")) + 100
    try:
        state, _ = stack_lib.up(stack_lib.StackOptions(state_dir=state_dir, base_port=base))
        with Toxiproxy(state.toxiproxy_url) as toxiproxy:
            controls = Controls.of_stack(toxiproxy, state)
            for source in SOURCES:
                Fault(f"{source}.api", "edge_stalled").apply(controls)
            Fault("BOLT.api", "edge_status", {"status": 500}).apply(controls)
        assert edge_files(state) == list(SOURCES)
        stack_lib.down(state_dir)
        assert edge_files(state) == []
    finally:
        stack_lib.down(state_dir, purge=True)


async def test_the_reference_client_pins_a_purchase_an_edge_answered_520_after_commit(
    stack: StackState, controls: Controls, seed: Callable[[stack_lib.Seed], None], tmp_path: Path
) -> None:
    """Regression: a 520 comes after PRIMARY committed the row; the reference client took any HTTP error for
    "nothing committed" and wrote the row to BOLT too (the same id in two sources). Now an edge's 502/504/520/
    524 without a PostgREST code is ambiguous: the row is pinned to PRIMARY and found there by a probe."""
    await asyncio.to_thread(seed, {"user_challenges": {"PRIMARY": 1, "BOLT": 1, "OLD": 1}})
    reference = ReferenceClient.from_stack(stack, cache_dir=tmp_path / "cache")
    try:
        await asyncio.to_thread(Fault("PRIMARY.api", "edge_status", {"status": 520, "first": 1}).apply, controls)
        row = {"user_id": str(uuid.uuid4()), "email": "pinned@x", "account_size": 10000, "challenge_type": "X"}
        written = await reference.create("user_challenges", row)
        assert [a.label for a in written.attempts][:1] == ["http_520"] and written.attempts[0].ambiguous
        assert (written.outcome, written.source) == ("ok", "PRIMARY")
        assert [a.source for a in written.attempts] == ["PRIMARY"] * len(written.attempts)  # never BOLT
    finally:
        await reference.aclose()
