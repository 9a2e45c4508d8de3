"""The Kong-like apikey proxy that fronts a real PostgREST (FALLBACK_GATEWAY=postgrest).

No PostgREST binary can be installed here, so the upstream in these tests is our own gateway's
`/rest/v1` (it speaks the same dialect); what is tested is the proxy: apikey check, pass-through
of PostgREST's answers, Kong's 502/504 when the upstream fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from fallback.stack import gateway_process
from fallback.stack import stack as stack_lib
from fallback.stack.errors import MissingBinary
from fallback.stack.state import SourceEndpoints, StackState
from fallback.toxics import Toxiproxy, timeout

pytestmark = pytest.mark.stack
FREE_BASE_PORT = int(os.environ.get("FALLBACK_TEST_BASE_PORT", "25500")) + 400
"""Never listened on: the start fails before any server (the tester's block, beside the test stack)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_kong(upstream_url: str, bolt: SourceEndpoints, tmp_path: Path) -> Iterator[str]:
    """A Kong proxy process for BOLT in front of `upstream_url`; yields its base URL once it listens."""
    port = _free_port()
    config = {
        "name": "BOLT",
        "port": port,
        "api_keys": [bolt.anon_key, bolt.service_role_key],
        "upstream_url": upstream_url,
        "admin_url": bolt.direct_api_url,
        "upstream_timeout_s": 1.0,
    }
    path = tmp_path / "kong.json"
    path.write_text(json.dumps(config))
    proc = subprocess.Popen([sys.executable, "-m", "fallback.gateway.kong", "--config", str(path)])
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/live", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "kong proxy did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def kong(stack: StackState, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A Kong proxy in front of BOLT's gateway (or of the upstream URL given as the fixture's param)."""
    bolt = stack.source("BOLT")
    with running_kong(getattr(request, "param", f"{bolt.direct_api_url}/rest/v1"), bolt, tmp_path) as url:
        yield url, bolt.service_role_key


def test_apikey_checked_then_postgrest_answer_passed_through(kong: tuple[str, str], stack: StackState) -> None:
    url, key = kong
    assert httpx.get(f"{url}/rest/v1/profiles").json() == {"message": "No API key found in request"}
    assert httpx.get(f"{url}/rest/v1/profiles", headers={"apikey": "nope"}).status_code == 401
    headers = {"apikey": key, "Authorization": f"Bearer {key}", "Prefer": "count=exact"}
    via_kong = httpx.get(f"{url}/rest/v1/profiles?select=id&order=id", headers=headers)
    direct = httpx.get(f"{stack.source('BOLT').direct_api_url}/rest/v1/profiles?select=id&order=id", headers=headers)
    assert via_kong.status_code == direct.status_code == 200
    assert via_kong.json() == direct.json() and via_kong.headers["content-range"] == direct.headers["content-range"]
    missing = httpx.get(f"{url}/rest/v1/nope", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "PGRST205"


@pytest.mark.parametrize("kong", ["http://127.0.0.1:9/rest/v1"], indirect=True)
def test_unreachable_upstream_is_kongs_502(kong: tuple[str, str]) -> None:
    url, key = kong
    answer = httpx.get(f"{url}/rest/v1/profiles", headers={"apikey": key})
    assert answer.status_code == 502
    assert answer.json() == {"message": "An invalid response was received from the upstream server"}


def test_hung_upstream_is_kongs_504(stack: StackState, toxics: Toxiproxy, tmp_path: Path) -> None:
    bolt = stack.source("BOLT")
    toxics.add(bolt.api_proxy, timeout(0))
    with running_kong(f"{bolt.api_url}/rest/v1", bolt, tmp_path) as url:
        answer = httpx.get(f"{url}/rest/v1/profiles", headers={"apikey": bolt.service_role_key}, timeout=5)
    assert answer.status_code == 504 and answer.json() == {"message": "The upstream server is timing out"}


def test_real_postgrest_requested_but_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FALLBACK_GATEWAY", "postgrest")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("POSTGREST_BIN", raising=False)
    with pytest.raises(MissingBinary, match="POSTGREST_BIN"):
        stack_lib.up(stack_lib.StackOptions(state_dir=tmp_path / "st", base_port=FREE_BASE_PORT))
    monkeypatch.setenv("FALLBACK_GATEWAY", "kong")
    with pytest.raises(MissingBinary, match="choose `ours`"):
        gateway_process.check_programs()
