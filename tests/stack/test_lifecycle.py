"""`stack up` / `stack down` as a user runs them: real processes, checked by pid."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fallback.stack import binaries
from fallback.stack.errors import MissingBinary, PortInUse
from fallback.stack.ports import PortLayout, ensure_free, port_is_free

pytestmark = pytest.mark.stack
CLI = [sys.executable, "-m", "fallback"]
TEST_BASE_PORT = int(os.environ.get("FALLBACK_TEST_BASE_PORT", "25500"))
BASE_PORT = TEST_BASE_PORT + 300
"""Beside the session's test stack (TEST_BASE_PORT..+99), in the block each tester owns (+100..+499 stay free)."""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _our_processes(state_dir: Path) -> list[int]:
    """Every live process whose command line names the state dir (postgres, gateway)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if str(state_dir).encode() in handle.read() and _alive(int(pid)):
                    found.append(int(pid))
        except OSError:
            continue
    return found


@pytest.fixture
def state_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A state dir inside the repository: PostgreSQL (run as `postgres` under root) can't enter /tmp/pytest-of-root."""
    path = Path(__file__).resolve().parents[2] / ".stack-test-lifecycle" / request.node.name
    shutil.rmtree(path, ignore_errors=True)
    yield path
    subprocess.run([*CLI, "stack", "down", "--purge", "--state-dir", str(path)], capture_output=True, timeout=120)


@pytest.fixture
def base_port() -> int:
    """BASE_PORT's block, or the next one free now: from 32768 up a client connection may hold a port a while."""
    return _free_layout(BASE_PORT).base


def test_up_json_then_down_leaves_nothing_running(state_dir: Path, base_port: int) -> None:
    args = ["--state-dir", str(state_dir), "--base-port", str(base_port)]
    up = subprocess.run([*CLI, "stack", "up", "--json", *args], capture_output=True, text=True, timeout=120)
    try:
        assert up.returncode == 0, up.stderr
        view = json.loads(up.stdout)
        assert [s["name"] for s in view["sources"]] == ["PRIMARY", "BOLT", "OLD"]
        for source in view["sources"]:
            assert set(source) >= {"name", "api_url", "direct_api_url", "db_dsn", "anon_key", "service_role_key"}
        assert sorted(view["toxiproxy"]["proxies"]) == sorted(
            f"{n}.{link}" for n in ("PRIMARY", "BOLT", "OLD") for link in ("api", "db")
        )
        state = json.loads((state_dir / "state.json").read_text())
        pids = [p["pid"] for p in state["processes"]]
        assert len(pids) == 7 and all(_alive(pid) for pid in pids)
        status = subprocess.run(
            [*CLI, "stack", "status", "--json", "--state-dir", str(state_dir)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert status.returncode == 0 and json.loads(status.stdout)["running"] is True
    finally:
        down = subprocess.run(
            [*CLI, "stack", "down", "--state-dir", str(state_dir)], capture_output=True, text=True, timeout=120
        )
    assert down.returncode == 0, down.stderr
    assert not [pid for pid in pids if _alive(pid)]
    assert _our_processes(state_dir) == []
    status = subprocess.run(
        [*CLI, "stack", "status", "--state-dir", str(state_dir)], capture_output=True, text=True, timeout=30
    )
    assert status.returncode == 1


def test_interrupted_start_stops_what_it_started(state_dir: Path, base_port: int) -> None:
    proc = subprocess.Popen(
        [*CLI, "stack", "up", "--state-dir", str(state_dir), "--base-port", str(base_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # Interrupt once PostgreSQL is being started, i.e. after Toxiproxy runs.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (state_dir / "PRIMARY" / "postgres.log").exists():
        time.sleep(0.02)
    assert proc.poll() is None, f"stack up ended before it could be interrupted: {proc.stderr.read()!r}"
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert _our_processes(state_dir) == []
    assert not (state_dir / "state.json").exists()
    with socket.socket() as probe:  # Toxiproxy's API port is free again
        probe.bind(("127.0.0.1", base_port + 99))


def _free_layout(base: int, below: int | None = None) -> PortLayout:
    """A layout whose ports (those under `below`, if given) are free now: from 32768 up, the kernel's ephemeral
    range, a client connection's port stays taken for a minute after it closed (TIME_WAIT)."""
    for candidate in range(base, base + 100, 10):
        layout = PortLayout(candidate, 3)
        ports = [p for p in layout.all_ports() if below is None or p < candidate + below]
        if all(port_is_free(port) for port in ports):
            return layout
    pytest.fail(f"no free layout with a base from {base} to {base + 90}")


def test_port_in_use_names_the_port() -> None:
    layout = _free_layout(BASE_PORT - 100, below=11)  # ports sorted before the squatted one are free
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", layout.source(1).gateway))
        squatter.listen()
        with pytest.raises(PortInUse, match=rf"port {layout.source(1).gateway} \(gateway of source #1\).*pid"):
            ensure_free(layout)


def test_missing_toxiproxy_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(binaries, "TOOLS_BIN", tmp_path)
    monkeypatch.delenv("TOXIPROXY_SERVER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingBinary, match=re.escape("go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0")):
        binaries.toxiproxy_server()
