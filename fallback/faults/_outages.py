"""`Outages`: which processes faults are taking down on purpose (for the run's process watch) and the
restarts scheduled for them. No dependency on the rest of the package, so `Controls` can hold one."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fallback.stack.state import ProcessKind, ProcessRecord

Key = tuple[ProcessKind, str]
"""A process by what it is and whom it serves: (postgres, PRIMARY). Its pid changes on every restart."""


class Outages:
    """The processes faults are taking down on purpose, and the restarts scheduled for them.

    Shared by the fault appliers (which open and close an outage) and the run's `ProcessWatch` (which
    excuses a process while its outage is open). A restart saves the new pid in the state file BEFORE
    the outage closes, so a watch that reads `excused()` before the state file never sees a false death.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.restarting = threading.Lock()
        """Held by whoever restarts a process (never while `_lock` is: the watch must not wait on a restart)."""
        self._open: set[Key] = set()
        self._timers: dict[Key, threading.Timer] = {}

    def excused(self) -> frozenset[Key]:
        with self._lock:
            return frozenset(self._open)

    def excuses(self, record: ProcessRecord) -> bool:
        return record.source is not None and (record.kind, record.source) in self.excused()

    def begin(self, key: Key) -> None:
        with self._lock:
            self._open.add(key)

    def end(self, key: Key) -> None:
        with self._lock:
            self._open.discard(key)
            timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def schedule(self, key: Key, after_s: float, restart: Callable[[], None]) -> None:
        timer = threading.Timer(after_s, restart)
        timer.daemon = True
        with self._lock:
            self._timers[key] = timer
        timer.start()

    def pending(self) -> tuple[threading.Timer, ...]:
        with self._lock:
            return tuple(self._timers.values())

    def wait(self) -> None:
        """Until every scheduled restart has run (`fallback-harness fault X kill` waits for it)."""
        for timer in self.pending():
            timer.join()
