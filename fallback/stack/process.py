"""Starting and stopping the stack's server processes.

Every server runs in its own session (so a Ctrl-C in the terminal reaches only us and
we decide the order of shutdown), writes to a log file in the state dir, and is recorded
with a `cmdline_hint` so that a later `stack down` never kills a recycled pid.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from fallback.stack.state import ProcessKind, ProcessRecord

_children: dict[int, subprocess.Popen[bytes]] = {}
_records: dict[int, ProcessRecord] = {}


@dataclass(frozen=True)
class RunAs:
    """The uid, gid and (no) supplementary groups of an OS user, for `subprocess` (`user=`, `group=`, ...).

    Dropping only the uid would keep root's gid and groups: a directory of mode 0701 owned by root's group
    would then deny PostgreSQL by its group bits, although its "other" bits let any user through.
    """

    user: int
    group: int
    extra_groups: tuple[int, ...] = ()

    @classmethod
    def named(cls, name: str) -> RunAs:
        """The user `name` with its own primary group and no supplementary groups (KeyError if there is none)."""
        entry = pwd.getpwnam(name)
        return cls(user=entry.pw_uid, group=entry.pw_gid)


class Credentials(TypedDict, total=False):
    """`subprocess.Popen`'s keyword arguments that set who the child runs as (`extra_groups=[]`: none)."""

    user: int
    group: int
    extra_groups: list[int]


def credentials(run_as: RunAs | None) -> Credentials:
    """Keyword arguments for `subprocess` that run the child as `run_as` (none: as ourselves)."""
    if run_as is None:
        return {}
    return {"user": run_as.user, "group": run_as.group, "extra_groups": list(run_as.extra_groups)}


def fresh_log(log_path: Path) -> Path:
    """One log per start: the previous start's log is kept as `<name>.1`, older ones are dropped."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if log_path.exists():
        log_path.replace(log_path.with_name(log_path.name + ".1"))
    return log_path


def spawn(
    kind: ProcessKind,
    source: str | None,
    argv: Sequence[str],
    log_path: Path,
    cmdline_hint: str,
    run_as: RunAs | None = None,
    env: dict[str, str] | None = None,
) -> ProcessRecord:
    """Start a server in its own session, its output in a fresh `log_path`."""
    with open(fresh_log(log_path), "wb") as log, interrupts_deferred():
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            **credentials(run_as),
        )
        record = ProcessRecord(kind=kind, source=source, pid=proc.pid, cmdline_hint=cmdline_hint)
        _children[proc.pid] = proc
        _records[proc.pid] = record
    return record


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then deliver them.

    A KeyboardInterrupt raised inside `Popen()` (while it waits for the child's exec) would lose the
    Popen object after the fork: the child would run on with nobody to stop it. Loading the databases
    (`fallback.stack.load.load_all`) holds them too: one raised inside asyncpg and asyncio's shutdown left
    a drill hung or dead (SIGSEGV) after a double Ctrl-C in CI.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: pending.append(signum))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in pending:
            signal.raise_signal(signum)  # now handled as usual: KeyboardInterrupt / SystemExit


def spawned() -> dict[int, ProcessRecord]:
    """Every process this Python process started and has not stopped, by pid.

    An interrupt can land between `spawn` returning and the caller noting the record; whoever
    cleans up after a failed start compares this with what it saw before, so nothing is orphaned.
    """
    return dict(_records)


def pid_running(pid: int) -> bool:
    """Not gone and not a zombie (a zombie holds no memory and no port; init reaps it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def is_alive(record: ProcessRecord) -> bool:
    """True when the pid runs and is still the process we started (not a zombie, not recycled)."""
    child = _children.get(record.pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        with open(f"/proc/{record.pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
        with open(f"/proc/{record.pid}/cmdline", "rb") as cmdline:
            return record.cmdline_hint.encode() in cmdline.read()
    except (OSError, IndexError):
        return False


def stop(record: ProcessRecord, sig: int = signal.SIGTERM, grace_s: float = 10.0) -> None:
    """Send `sig`, wait up to `grace_s`, then SIGKILL. Safe on a process that is already gone."""
    if not is_alive(record):
        _reap(record.pid)
        return
    try:
        os.kill(record.pid, sig)
    except ProcessLookupError:
        return
    resume(record)  # a paused process (a `pause` fault) handles the signal only once it runs again
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not is_alive(record):
            _reap(record.pid)
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(record.pid, signal.SIGKILL)
    _reap(record.pid)


def tree(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc (a process group would not do: PostgreSQL's backends each
    call setsid(), so a signal to the postmaster's group never reaches them)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def resume(record: ProcessRecord) -> None:
    """SIGCONT to the server and its descendants (PostgreSQL: its backends); harmless when none is stopped."""
    for pid in tree(record.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGCONT)


def _reap(pid: int) -> None:
    _records.pop(pid, None)
    child = _children.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)
