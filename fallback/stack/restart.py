"""Restarting one server of an embedded stack, as the stack started it: same ports, same config.

    state = restart_process(state, ProcessKind.postgres, "PRIMARY")   # the state file gets the new pid

What the process faults (`fallback.faults`: `kill`, `pause`, `restart`) act through. A process still
running is stopped cleanly first (PostgreSQL's fast shutdown); one that is dead (killed) is only reaped.
The new record is saved in the state file before the wait for readiness, so that even a start that
fails leaves `stack down` able to stop what started. A restarted gateway reaches its database through
`<SOURCE>.db` as before; a restarted PostgreSQL is not waited on by its gateway: the gateway
reconnects by itself, with backoff.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from fallback.stack import gateway_process, postgres, process, wait
from fallback.stack.binaries import postgres_bindir
from fallback.stack.errors import StackError
from fallback.stack.ports import HOST
from fallback.stack.state import ProcessKind, ProcessRecord, StackKind, StackState, save_state

RESTARTABLE = (ProcessKind.postgres, ProcessKind.gateway)
"""The processes a fault may kill, pause or restart (Toxiproxy is the harness's own instrument)."""


def record_of(state: StackState, kind: ProcessKind, source: str) -> ProcessRecord:
    """The state's record of `kind` serving `source`; a StackError when there is none."""
    if state.kind is not StackKind.embedded:
        raise StackError(f"the {state.kind} stack in {state.state_dir} has no processes of ours to act on")
    for record in state.processes:
        if record.kind is kind and record.source == source:
            return record
    raise StackError(f"no {kind} of {source} in the stack in {state.state_dir}")


def is_paused(record: ProcessRecord) -> bool:
    """True when the process is stopped by a signal (SIGSTOP): state `T` in /proc."""
    try:
        with open(f"/proc/{record.pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "T"
    except (OSError, IndexError):
        return False


def signal_tree(record: ProcessRecord, sig: int) -> list[int]:
    """`sig` to the server and its descendants (PostgreSQL: the postmaster AND its backends); their pids.

    The postmaster is stopped first, so that it forks no backend between the look for its children and
    the signal. A postmaster paused alone would leave its backends serving the connections they hold."""
    if not process.is_alive(record):
        return []
    os.kill(record.pid, signal.SIGSTOP)
    pids = process.tree(record.pid)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    return pids


def kill(record: ProcessRecord, timeout_s: float = 5.0) -> None:
    """SIGKILL to the server and its descendants, as a container kill would; returns once all are gone.

    PostgreSQL's backends too: a postmaster killed alone leaves them attached to the shared memory until
    they notice, and a new postmaster refuses to start beside them."""
    pids = signal_tree(record, signal.SIGKILL)
    process.stop(record, grace_s=timeout_s)  # reaps it (it is dead: nothing is sent)
    deadline = time.monotonic() + timeout_s
    while any(process.pid_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)


def _marker(state: StackState, record: ProcessRecord) -> Path:
    return Path(state.state_dir) / str(record.source) / f"{record.kind}.taken-down"


def mark_taken_down(state: StackState, record: ProcessRecord) -> None:
    """Note, in the state dir, that a fault takes this process down on purpose (so a later `fault all clear`,
    even from another command, restarts it; a process that died of something else is left for the run's
    watch to report). The note names the pid: one left from an older stack never matches."""
    marker = _marker(state, record)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(str(record.pid))


def taken_down_by_fault(state: StackState, record: ProcessRecord) -> bool:
    try:
        return _marker(state, record).read_text().strip() == str(record.pid)
    except OSError:
        return False


def _rotated_path(state_dir: Path, source: str) -> Path:
    return state_dir / source / "jwt_secret.rotated"


def rotated_jwt_secret(state: StackState, source: str) -> str | None:
    """The JWT secret the `jwt_rotated` fault put in force for `source`'s gateway; None: the stack's own."""
    try:
        return _rotated_path(Path(state.state_dir), source).read_text().strip() or None
    except OSError:
        return None


def rotate_jwt_secret(state: StackState, source: str, secret: str | None) -> None:
    """Note (mode 600) the secret `source`'s gateway starts with from now on, or forget it (None): every
    (re)start of that gateway reads it, so a gateway killed during the window comes back rotated too."""
    path = _rotated_path(Path(state.state_dir), source)
    if secret is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)


def restart_process(state: StackState, kind: ProcessKind, source: str, timeout_s: float = 60.0) -> StackState:
    """Stop `kind` of `source` (cleanly, if it runs), start it again, wait until it answers; the new state."""
    if kind not in RESTARTABLE:
        raise StackError(f"{kind} cannot be restarted by a fault (only {', '.join(RESTARTABLE)})")
    state = state.latest()
    old = record_of(state, kind, source)
    if kind is ProcessKind.postgres:
        postgres.stop(old)
    else:
        process.stop(old)
    new = _start(state, kind, source)
    updated = state.model_copy(update={"processes": tuple(new if p == old else p for p in state.processes)})
    save_state(updated)
    _marker(state, old).unlink(missing_ok=True)
    _wait_ready(updated, new, timeout_s)
    return updated


def _start(state: StackState, kind: ProcessKind, source: str) -> ProcessRecord:
    state_dir = Path(state.state_dir)
    endpoints = state.source(source)
    if kind is ProcessKind.postgres:
        return postgres.start(state_dir, source, endpoints.pg_port)
    if gateway_process.use_real_postgrest():
        return gateway_process.start_kong(state_dir, source)
    dsn = f"postgresql://authenticator:{endpoints.authenticator_password}@{HOST}:{endpoints.db_proxy_port}/postgres"
    keys = [endpoints.anon_key, endpoints.service_role_key]
    secret = rotated_jwt_secret(state, source) or endpoints.jwt_secret
    (record,) = gateway_process.start(state_dir, source, endpoints.gateway_port, dsn, secret, keys)
    return record


def _wait_ready(state: StackState, record: ProcessRecord, timeout_s: float = 60.0) -> None:
    state_dir = Path(state.state_dir)
    endpoints = state.source(str(record.source))
    if record.kind is ProcessKind.gateway:
        gateway_process.wait_ready(record, state_dir, endpoints.name, endpoints.gateway_port, timeout_s)
        return
    argv = [str(postgres_bindir() / "pg_isready"), "-q", "-h", HOST, "-p", str(endpoints.pg_port)]
    log = postgres.cluster_paths(state_dir, endpoints.name).log
    what = f"PostgreSQL of {endpoints.name}"
    wait.until(lambda: subprocess.run(argv, check=False).returncode == 0, what, record, log, timeout_s)
