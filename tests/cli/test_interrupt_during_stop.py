"""A second Ctrl-C while `run` (or explore, or the plugin) stops the stack it started must not cut the
stop in half: found by the verification pass of issue 12 (`run` with its own stack, two Ctrl-C 0.3 s
apart, left three postgres servers and a gateway running and state.json behind, with no word)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two real processes standing in for the stack's servers; killed at the end whatever happens."""
    started = [subprocess.Popen(["sleep", "60"]) for _ in range(2)]
    yield started
    for child in started:
        child.kill()
        child.wait()


def test_ctrl_c_while_the_stack_stops_stops_it_whole_then_interrupts(
    servers: list[subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def down(state_dir: Path, purge: bool = False) -> list[object]:
        first, second = servers
        first.terminate()
        first.wait()
        os.kill(os.getpid(), signal.SIGINT)  # the user's second Ctrl-C, between two processes' stops
        second.terminate()
        second.wait()
        return []

    state = StackState(state_dir=str(tmp_path), toxiproxy_url="", sources=(), processes=())
    monkeypatch.setattr(stack_lib, "up", lambda options: (state, True))
    monkeypatch.setattr(stack_lib, "down", down)
    with pytest.raises(KeyboardInterrupt), stack_lib.running_stack(stack_lib.StackOptions(state_dir=tmp_path)):
        pass
    assert [child.poll() for child in servers] == [-signal.SIGTERM, -signal.SIGTERM]
    assert f"fallback-harness stack down --state-dir {tmp_path}" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
