"""Readiness checks: small, separate, each with a deadline and a useful failure message."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from fallback.stack import process
from fallback.stack.errors import StartFailed
from fallback.stack.state import ProcessRecord


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def until(
    check: Callable[[], bool],
    what: str,
    record: ProcessRecord,
    log: Path,
    timeout_s: float = 30.0,
) -> None:
    """Poll `check` until it is true; fail early if the process died, with its log's tail."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        if not process.is_alive(record):
            raise StartFailed(f"{what}: process {record.pid} exited; last lines of {log}:\n{_tail(log)}")
        time.sleep(0.05)
    raise StartFailed(f"{what}: not ready after {timeout_s:.0f} s; last lines of {log}:\n{_tail(log)}")


def tcp_open(host: str, port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            return False

    return check


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    return check
