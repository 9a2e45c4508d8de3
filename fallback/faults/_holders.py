"""`lock` and `connections_exhausted`: connections kept open by a holder process (`_hold.py`).

Each holder's connections carry `application_name = fallback-fault <kind> <source> <attributes>`, so
any process (the run that applied it, `fault ... clear` in another terminal, `stack down`) finds and
ends them by SQL: `pg_terminate_backend` rolls the holder's transaction back (the lock is released)
and frees its slots; the holder sees its connections end and exits.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from fallback.faults._database import HOLDER_APP, DatabaseFamily, sql, terminate_api_sessions
from fallback.faults._hold import FILL_POLL_S, HoldSpec
from fallback.faults._registry import Controls, FaultConflict, FaultError

if TYPE_CHECKING:
    from fallback.faults._fault import Fault

READY_TIMEOUT_S = 20.0
RELEASE_TIMEOUT_S = 10.0
HOLDER_ROLE = "fallback_fault_holder"
HOLDER_SCRIPT = str(Path(__file__).with_name("_hold.py"))
"""The non-superuser login `connections_exhausted` connects as (superusers would also take reserved slots)."""
_HOLDERS = "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1"
_TERMINATE = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE $1"
_started: list[subprocess.Popen[str]] = []
"""Holders this process started: waited for once released, so none is left a zombie."""
_HOLDING = threading.Lock()
"""One start or release of holders at a time in this process. A release (a run's final reset) that ran beside
an apply still starting its holder (a flap's apply takes seconds while the holder fills the slots) counted
no connection yet, returned, and the holder then kept every slot after the run; now it waits for the apply."""


def _tag(fault: Fault) -> str:
    attributes = ",".join(f"{k}={v}" for k, v in fault.resolved_attributes.items())
    return f"{HOLDER_APP} {fault.kind} {fault.target} {attributes}"[:63]  # PostgreSQL keeps 63 bytes


def _count(dsn: str, pattern: str) -> int:
    (found,) = sql(dsn, (_HOLDERS, (pattern,)))
    return int(str(found))


def start_holder(spec: HoldSpec) -> int:
    """Start a detached holder and wait until it holds its connections; how many it holds."""
    where = urlsplit(spec.dsn)
    holder = subprocess.Popen(
        # Run as a script, not `-m fallback.faults._hold`: that imports the whole fault registry first (0.4 s and
        # more per start; the holder needs asyncpg and pydantic only); `-P`: its own folder not on sys.path.
        # The label names the database it holds in `ps` (and lets a test tell its own stack's holders from others').
        [sys.executable, "-P", HOLDER_SCRIPT, f"--holds={where.hostname}:{where.port}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # it reports on stdout; an inherited stderr would keep a caller's pipe open
        text=True,
        start_new_session=True,  # a Ctrl-C in the terminal is for the harness, which clears the fault
    )
    _started.append(holder)
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.write(spec.model_dump_json() + "\n")
    holder.stdin.close()
    deadline = time.monotonic() + READY_TIMEOUT_S
    line = ""
    while time.monotonic() < deadline and not line:  # readline blocks; the holder answers or exits
        line = holder.stdout.readline()
        if not line and holder.poll() is not None:
            break
    if not line.startswith("ready"):
        holder.kill()
        holder.wait()
        raise FaultError(f"the fault's holder process failed: {line.strip() or 'it exited without a word'}")
    return int(line.split()[1])


def release_holders(dsn: str, pattern: str = f"{HOLDER_APP} %") -> None:
    """End the holders whose connections match `pattern` (default: every holder), and wait until they are gone."""
    with _HOLDING:
        _release(dsn, pattern)


def _release(dsn: str, pattern: str) -> None:
    deadline = time.monotonic() + RELEASE_TIMEOUT_S
    while _count(dsn, pattern):
        if time.monotonic() > deadline:
            raise FaultError(f"holder connections ({pattern!r}) still open after {RELEASE_TIMEOUT_S:.0f} s")
        sql(dsn, (_TERMINATE, (pattern,)))  # again: a filling holder may have taken a freed slot meanwhile
        time.sleep(0.05)
    for holder in [h for h in _started if h.poll() is None]:
        try:
            holder.wait(timeout=2)
        except subprocess.TimeoutExpired:
            continue  # another source's holder, still holding
    _started[:] = [h for h in _started if h.poll() is None]
    if not _count(dsn, f"{HOLDER_APP} connections_exhausted %"):
        sql(dsn, f"DROP ROLE IF EXISTS {HOLDER_ROLE}")


class _Holding(DatabaseFamily):
    def clear(self, fault: Fault, controls: Controls) -> None:
        release_holders(controls.database(fault.target), _tag(fault))

    def _refuse_twice(self, fault: Fault, dsn: str) -> None:
        if _count(dsn, _tag(fault)):
            raise FaultConflict(f"{fault.target} already has this {fault.kind} ({_tag(fault)})")


class Lock(_Holding):
    """A session holds a lock for the window: `row` locks rows (`SELECT ... FOR UPDATE`: writes to them
    wait, reads do not), `exclusive` the table against writes, `access_exclusive` against reads too."""

    def apply(self, fault: Fault, controls: Controls) -> None:
        with _HOLDING:
            self._apply(fault, controls)

    def _apply(self, fault: Fault, controls: Controls) -> None:
        dsn = controls.database(fault.target)
        self._refuse_twice(fault, dsn)
        attributes = fault.resolved_attributes
        table, mode, rows = f"public.{attributes['table']}", str(attributes["mode"]), int(attributes["rows"])
        if mode == "row":
            chosen = f"(SELECT id FROM {table} ORDER BY id LIMIT {rows})" if rows else f"(SELECT id FROM {table})"
            statement = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE id IN {chosen} FOR UPDATE) locked"
        else:
            statement = f"LOCK TABLE {table} IN {mode.replace('_', ' ').upper()} MODE"
        start_holder(HoldSpec(dsn=dsn, application_name=_tag(fault), statements=(statement,)))


class ConnectionsExhausted(_Holding):
    """Every free connection slot taken by a non-superuser login: new connections get 53300 ("sorry,
    too many clients already"); the superuser keeps its reserved slots. `sessions: drop` also ends the
    API's sessions, so the gateway must reconnect and finds no slot (503 PGRST000, as PostgREST)."""

    def apply(self, fault: Fault, controls: Controls) -> None:
        with _HOLDING:
            self._apply(fault, controls)

    def _apply(self, fault: Fault, controls: Controls) -> None:
        dsn = controls.database(fault.target)
        self._refuse_twice(fault, dsn)
        password = secrets.token_urlsafe(16)
        sql(
            dsn,
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{HOLDER_ROLE}') THEN "
            f"CREATE ROLE {HOLDER_ROLE} LOGIN; END IF; END $$",
            f"ALTER ROLE {HOLDER_ROLE} LOGIN PASSWORD '{password}'",
        )
        parts = urlsplit(dsn)
        login = parts._replace(netloc=f"{HOLDER_ROLE}:{password}@{parts.hostname}:{parts.port}")
        spec = HoldSpec(dsn=urlunsplit(login), application_name=_tag(fault), fill=True)
        held = start_holder(spec)
        if fault.resolved_attributes["sessions"] == "drop":
            _drop_api_sessions(dsn, held)


def _drop_api_sessions(dsn: str, held: int) -> None:
    """End the API's sessions and let the holder take their slots before the gateway reconnects.

    The gateway reconnects within milliseconds, faster than the holder's poll: for that moment its
    login is refused by a connection limit (the same SQLSTATE 53300), then the slots are the holder's."""
    sql(dsn, "ALTER ROLE authenticator CONNECTION LIMIT 0")
    try:
        freed = terminate_api_sessions(dsn)
        deadline = time.monotonic() + 2.0
        while _count(dsn, f"{HOLDER_APP} connections_exhausted %") < held + freed and time.monotonic() < deadline:
            time.sleep(FILL_POLL_S)
    finally:
        sql(dsn, "ALTER ROLE authenticator CONNECTION LIMIT -1")
