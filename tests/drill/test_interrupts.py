"""Defect 3 and the drill's rough edges, through the real CLI in a subprocess.

Two Ctrl-Cs 0.3 s apart, sent to the CLI's process group as a terminal does, at several points of a
drill's life (the stack starting, early and late; traffic running): afterwards no process of the stack it
started may be left, no port of its block may still listen, no traceback may be printed, and the exit
status is 130. Each point is tried `FALLBACK_INTERRUPT_REPEATS` times (default 3), each at a slightly
different moment. Also: one Ctrl-C writes the partial report and exits 130; `--client bogus` and bad
values exit 2 before anything starts.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fallback.stack.ports import PortLayout, port_is_free

BASE_PORT = int(os.environ.get("FALLBACK_TEST_BASE_PORT", "25500")) + 200  # beside the session's test stack
REPEATS = int(os.environ.get("FALLBACK_INTERRUPT_REPEATS", "3"))
HINT = "fallback-harness stack down --state-dir"
STATE_ROOT = Path(".stack-test-interrupts").resolve()
_started: list[Drill] = []


@pytest.fixture(autouse=True)
def _remove_state_dirs() -> Iterator[None]:
    yield
    shutil.rmtree(STATE_ROOT, ignore_errors=True)


class Drill:
    """`fallback-harness drill` in its own process group (like a terminal's foreground job)."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        # PostgreSQL runs as `postgres` and cannot enter pytest's 0700 tmp dirs: the state dir sits in the repo
        self.state_dir = STATE_ROOT / tmp_path.name
        self.pids: set[int] = set()
        self.stderr_path = tmp_path / "stderr.txt"
        argv = [
            sys.executable,
            "-m",
            "fallback",
            "drill",
            "--no-dashboard",
            "--base-port",
            str(BASE_PORT),
            "--state-dir",
            str(self.state_dir),
            "--report-dir",
            str(tmp_path / "reports"),
            *args,
        ]
        with self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        _started.append(self)

    def clean_up(self) -> None:
        """Whatever the test saw, nothing of this drill keeps running after it: found in CI, a drill that died
        (SIGSEGV while stopping after a Ctrl-C) left its Toxiproxy and PostgreSQL on the ports, and five more
        tests failed on them."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        down = [sys.executable, "-m", "fallback", "stack", "down", "--state-dir", str(self.state_dir)]
        subprocess.run(down, check=False, capture_output=True)
        self.note_pids()
        for pid in self.pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def note_pids(self) -> int:
        """Remember every process the state file has listed so far; how many it lists now."""
        try:
            state = json.loads((self.state_dir / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return 0
        found = {int(p["pid"]) for p in state.get("processes", [])}
        self.pids |= found
        return len(found)

    def wait_for(self, test: Callable[[], bool], timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not test():
            assert self.proc.poll() is None, f"the drill ended early:\n{self.stderr}"
            assert time.monotonic() < deadline, f"timed out waiting:\n{self.stderr}"
            self.note_pids()
            time.sleep(0.02)
        self.note_pids()

    def ctrl_c(self, times: int = 1, gap_s: float = 0.3) -> None:
        for n in range(times):
            if n:
                time.sleep(gap_s)
                self.note_pids()
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                return

    def finish(self, timeout_s: float = 120.0) -> int:
        try:
            return self.proc.wait(timeout=timeout_s)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                subprocess.run(
                    [sys.executable, "-m", "fallback", "stack", "down", "--state-dir", str(self.state_dir)], check=False
                )


@pytest.fixture(autouse=True)
def _nothing_left_by_a_failed_test() -> Iterator[None]:
    yield
    while _started:
        _started.pop().clean_up()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie of ours is not running
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _assert_nothing_left(drill: Drill) -> None:
    left = [pid for pid in drill.pids if _alive(pid)]
    listening = [port for port in PortLayout(BASE_PORT, 3).all_ports() if not port_is_free(port)]
    assert not left and not listening, f"left running: pids {left}, ports {listening}\n{drill.stderr}"


def _stack_processes(at_least: int) -> Callable[[Drill], Callable[[], bool]]:
    return lambda drill: lambda: drill.note_pids() >= at_least


def _traffic(drill: Drill) -> Callable[[], bool]:
    return lambda: "t=" in drill.stderr


POINTS = {
    "stack start, Toxiproxy up": _stack_processes(1),
    "stack start, databases up": _stack_processes(4),
    "traffic": _traffic,
}


@pytest.mark.stack
@pytest.mark.parametrize("attempt", range(REPEATS))
@pytest.mark.parametrize("point", POINTS)
def test_two_ctrl_c_leave_nothing_running(tmp_path: Path, point: str, attempt: int) -> None:
    drill = Drill(tmp_path, "--rate", "20/s", "--duration", "60s")
    drill.wait_for(POINTS[point](drill))
    time.sleep(0.15 * attempt)  # a slightly different moment each attempt
    drill.ctrl_c(times=2, gap_s=0.3)
    code = drill.finish()
    stderr = drill.stderr
    assert "Traceback" not in stderr, stderr
    assert code == 130, stderr
    _assert_nothing_left(drill)
    if "still cleaning up" in stderr:  # a Ctrl-C that came during the cleanup says how to finish it by hand
        assert f"{HINT} {drill.state_dir}" in stderr


@pytest.mark.stack
def test_one_ctrl_c_writes_the_partial_report_and_exits_130(tmp_path: Path) -> None:
    drill = Drill(tmp_path, "--rate", "20/s", "--duration", "60s")
    drill.wait_for(lambda: drill.stderr.count("t=") >= 3)
    drill.ctrl_c(times=1)
    code = drill.finish()
    assert code == 130, drill.stderr
    assert "Traceback" not in drill.stderr
    (report,) = (p for p in (tmp_path / "reports").glob("*/report.json") if not p.parent.is_symlink())
    figures = json.loads(report.read_text())["scenarios"][0]["clients"][0]["drill"]
    assert figures["interrupted"] and 0 < figures["duration_s"] < 30
    assert (report.parent / "drill.md").is_file()
    _assert_nothing_left(drill)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--client", "bogus"], "unknown client 'bogus'"),
        (["--client", "no_such_module:factory"], "no_such_module"),
        (["--client", "both"], "one client"),
        (["--rate", "0/s"], "--rate"),
        (["--rate", "nan"], "--rate"),
        (["--rate", "fast"], "--rate"),
        (["--rate", "1000000/s"], "at most"),
        (["--duration", "-5s"], "--duration"),
        (["--duration", "0s"], "duration must be > 0"),
        (["--op-deadline", "0s"], "--op-deadline"),
        (["--op-deadline", "nan"], "--op-deadline"),
        (["--max-ops", "-3"], "--max-ops"),
    ],
)
def test_bad_flags_exit_2_before_anything_starts(tmp_path: Path, args: list[str], message: str) -> None:
    drill = Drill(tmp_path, *args)
    code = drill.finish(timeout_s=30)
    assert code == 2, drill.stderr
    assert message in drill.stderr
    assert "Traceback" not in drill.stderr
    assert not drill.state_dir.exists()  # nothing was started
