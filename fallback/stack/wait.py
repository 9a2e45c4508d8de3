"""Readiness checks: small, separate, each with a deadline and a useful failure message.

`until` is the one polling loop of the stack: every wait (a server starting, a gateway reconnecting,
a compose stack coming up) goes through it, so every wait also notices a recorded process that died
instead of sleeping out its deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from fallback.stack import process
from fallback.stack.errors import StackError, StartFailed
from fallback.stack.state import ProcessRecord, StackState
from fallback.tls import shared_context

Check = Callable[[], bool]


def tail(log: Path | None, lines: int = 15) -> str:
    """The last lines of a log (every log holds one start only: see `process.fresh_log`)."""
    if log is None:
        return "(no log)"
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def until(
    check: Check,
    what: str,
    watch: ProcessRecord | Sequence[ProcessRecord] = (),
    log: Path | None = None,
    timeout_s: float = 30.0,
    *,
    interval_s: float = 0.05,
    error: type[StackError] = StartFailed,
) -> None:
    """Poll `check` until it is true; fail early, with the log's tail, when a watched process died."""
    watched = (watch,) if isinstance(watch, ProcessRecord) else tuple(watch)
    deadline = time.monotonic() + timeout_s
    while True:
        if check():
            return
        dead = [r for r in watched if not process.is_alive(r)]
        if dead:
            gone = ", ".join(f"{r.role} (pid {r.pid})" for r in dead)
            raise error(f"{what}: {gone} exited{_log_lines(log)}")
        if time.monotonic() >= deadline:
            raise error(f"{what}: not ready after {timeout_s:g} s{_log_lines(log)}")
        time.sleep(interval_s)


def _log_lines(log: Path | None) -> str:
    return f"; last lines of {log}:\n{tail(log)}" if log is not None else ""


def http_ok(url: str, timeout_s: float = 1.0) -> Check:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=timeout_s, verify=shared_context()).status_code == 200  # see fallback.tls
        except httpx.HTTPError:
            return False

    return check


def apis_ready(state: StackState, timeout_s: float = 2.0) -> bool:
    """Every source's gateway answers `/ready` with 200 (for Kong: PostgREST's admin `/ready`)."""
    return all(http_ok(f"{s.direct_api_url}/ready", timeout_s)() for s in state.sources)
