"""`fallback-harness drill --workers/--master/--worker` through the real CLI (issue 18): bad flags and a taken
port exit 2 before anything starts; a master and a worker started by hand meet on loopback; Ctrl-C (twice)
stops every process the drill started."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fallback.drill.scale import MASTER_PORT_OFFSET
from fallback.stack.state import StackState

FREE_BASE = int(os.environ.get("FALLBACK_TEST_BASE_PORT", "25500")) + 700  # a block no other test uses: flags only


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "fallback", "drill", "--no-dashboard", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def _scale_processes(port: int) -> list[int]:
    """Master and worker processes of the drill whose Locust master port is `port` (from /proc)."""
    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if any(b"fallback.drill.scale" in a for a in argv) and str(port).encode() in argv:
            found.append(int(name))
    return found


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--workers", "0"], "--workers: from 1 to 256"),
        (["--master"], "--master needs --expect-workers"),
        (["--web"], "--expect-workers, --web and --csv go with --workers N or --master"),
        (["--workers", "2", "--master-port", "80"], "--master-port: from 1024"),
    ],
)
def test_bad_scale_flags_exit_2_before_anything_starts(flags: list[str], says: str, tmp_path: Path) -> None:
    done = _cli("--base-port", str(FREE_BASE), "--state-dir", str(tmp_path / "state"), *flags)
    assert done.returncode == 2, done.stderr
    assert says in " ".join(done.stderr.split())
    assert not (tmp_path / "state").exists()


def test_a_taken_master_port_exits_2_naming_it_and_its_holder(tmp_path: Path) -> None:
    port = FREE_BASE + MASTER_PORT_OFFSET
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        done = _cli("--workers", "2", "--base-port", str(FREE_BASE), "--state-dir", str(tmp_path / "state"))
    text = " ".join(done.stderr.split())
    assert done.returncode == 2, done.stderr
    assert f"port {port} (Locust's master) is already in use by pid {os.getpid()}" in text
    assert not (tmp_path / "state").exists()


@pytest.mark.stack
def test_a_master_and_a_worker_started_by_hand_meet_on_loopback(
    fallback_stack: StackState, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    base = int(request.config.getoption("--fallback-base-port"))
    port = base + MASTER_PORT_OFFSET
    argv = [sys.executable, "-m", "fallback", "drill", "--no-dashboard", "--base-port", str(base)]
    argv += ["--state-dir", fallback_stack.state_dir, "--report-dir", str(tmp_path / "reports")]
    argv += ["--master", "--expect-workers", "1", "--rate", "20/s", "--duration", "3s", "--csv", str(tmp_path / "lc")]
    argv += ["--web"]  # Locust's web UI parsed our command line as its own and the master exited
    master = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # a worker may come first or later: it retries until the master is there
    worker_argv = [sys.executable, "-m", "fallback", "drill", "--worker", "--master-host", "127.0.0.1"]
    worker = subprocess.Popen([*worker_argv, "--master-port", str(port)], stderr=subprocess.PIPE, text=True)
    try:
        out, err = master.communicate(timeout=90)
        assert master.returncode == 0, err
        assert worker.wait(timeout=15) == 0  # the master's quit ends it
    finally:
        for proc in (master, worker):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert "## Load generators: 1 Locust workers" in out
    # its 60 slots (61 operations when an update came before its first load answered: it loads first)
    assert re.search(rf"\| w0 \| {socket.gethostname()} \| {worker.pid} \| settled \| (6[01]) \| \1 \|", out), out
    assert (tmp_path / "lc_stats.csv").read_text().count("\n") >= 2  # Locust's own stats, for who knows them
    assert _scale_processes(port) == []


@pytest.mark.stack
def test_two_ctrl_c_during_traffic_stop_the_master_and_the_workers(
    fallback_stack: StackState, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    base = int(request.config.getoption("--fallback-base-port"))
    port = base + MASTER_PORT_OFFSET
    argv = [sys.executable, "-m", "fallback", "drill", "--no-dashboard", "--base-port", str(base)]
    argv += ["--state-dir", fallback_stack.state_dir, "--report-dir", str(tmp_path / "reports")]
    argv += ["--workers", "2", "--rate", "20/s", "--duration", "30s"]
    drill = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        assert drill.stderr is not None
        for line in drill.stderr:  # the per-second lines: traffic is running once a worker is
            if "running" in line or time.monotonic() > deadline:
                break
        assert len(_scale_processes(port)) == 3  # the master and two workers
        os.killpg(drill.pid, signal.SIGINT)
        time.sleep(0.3)
        os.killpg(drill.pid, signal.SIGINT)
        out, err = drill.communicate(timeout=60)
    finally:
        if drill.poll() is None:
            os.killpg(drill.pid, signal.SIGKILL)
            drill.wait()
    assert drill.returncode == 130, err
    assert "Traceback" not in err
    assert "## Load generators: 2 Locust workers" in out  # the report is still written
    assert _scale_processes(port) == []
