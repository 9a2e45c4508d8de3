"""Parts of the stack library that need no running stack: port layout, process records, logs, waits."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.stack import process, wait
from fallback.stack import stack as stack_lib
from fallback.stack.embedded import stop_records
from fallback.stack.errors import StackNotRunning, StartFailed
from fallback.stack.ports import PortLayout
from fallback.stack.state import ProcessKind, ProcessRecord, StackState


@pytest.mark.parametrize("base", [65500, 65437, 1023, 0, -5])
def test_a_layout_outside_the_port_range_is_refused(base: int) -> None:
    with pytest.raises(ValueError, match=r"base\.\.base\+99.*1024\.\.65535"):
        PortLayout(base, 3)
    assert PortLayout(65436, 3).toxiproxy_api == 65535 and PortLayout(1024, 3).base == 1024


def test_a_layout_holds_1_to_8_sources_below_toxiproxys_port() -> None:
    eight = PortLayout(30000, 8)
    assert max(p for p in eight.all_ports() if p != eight.toxiproxy_api) < eight.toxiproxy_api
    assert len(eight.all_ports()) == 8 * 4 + 1
    for count in (0, 9):
        with pytest.raises(ValueError, match="a stack holds 1 to 8"):
            PortLayout(30000, count)


@pytest.mark.parametrize("command", [["stack", "up"], ["run"], ["drill"], ["explore"]])
def test_every_base_port_option_exits_2_before_anything_starts(command: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [*command, "--base-port", "65500", "--state-dir", str(tmp_path / "s")])
    assert result.exit_code == 2, result.output
    assert "65500" in result.output and "1024" in result.output
    assert not (tmp_path / "s").exists(), "nothing was started or written"


def test_a_state_file_of_an_older_version_is_read_with_typed_kinds() -> None:
    """state.json written before records had a kind held only `postgres:PRIMARY` strings; such a stack must still
    go down, in order."""
    old = {"role": "postgres:PRIMARY", "pid": 1, "cmdline_hint": "x"}
    record = ProcessRecord.model_validate(old)
    assert (record.kind, record.source, record.role) == (ProcessKind.postgres, "PRIMARY", "postgres:PRIMARY")
    toxiproxy = ProcessRecord.model_validate({"role": "toxiproxy", "pid": 2, "cmdline_hint": "y"})
    assert (toxiproxy.kind, toxiproxy.source) == (ProcessKind.toxiproxy, None)
    assert ProcessRecord.model_validate_json(record.model_dump_json()) == record


def _exits_at_once(tmp_path: Path, text: str, log: Path) -> ProcessRecord:
    argv = [sys.executable, "-c", f"print({text!r})", str(tmp_path)]
    record = process.spawn(ProcessKind.gateway, "PRIMARY", argv, log, cmdline_hint=str(tmp_path))
    wait.until(lambda: not process.is_alive(record), "a process that prints one line", timeout_s=30)
    return record


def test_a_failed_start_shows_the_lines_of_this_start_only(tmp_path: Path) -> None:
    log = tmp_path / "gateway.log"
    log.write_text("a line written by an earlier start\n")
    record = _exits_at_once(tmp_path, "a line of this start", log)
    with pytest.raises(StartFailed) as failed:
        wait.until(lambda: False, "API of PRIMARY", record, log, timeout_s=30)
    assert "gateway:PRIMARY" in str(failed.value) and "exited" in str(failed.value)
    assert "a line of this start" in str(failed.value) and "earlier start" not in str(failed.value)
    assert (tmp_path / "gateway.log.1").read_text() == "a line written by an earlier start\n", "one previous kept"


def test_waiting_for_health_notices_a_dead_process_instead_of_sleeping_out_the_timeout(tmp_path: Path) -> None:
    record = _exits_at_once(tmp_path, "bye", tmp_path / "x.log")
    state = StackState(state_dir=str(tmp_path), toxiproxy_url="", sources=(), processes=(record,))
    with pytest.raises(StackNotRunning, match=r"gateway:PRIMARY \(pid \d+\) exited"):
        stack_lib.wait_until_healthy(state, timeout_s=60)
    stop_records([record])
    assert not process.is_alive(record)
