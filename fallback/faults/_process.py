"""The process appliers: `kill` (SIGKILL, restarted after `restart_after` s), `pause` (SIGSTOP until
cleared, then SIGCONT) and `restart` (a clean stop and start) on `<SOURCE>.postgres` and `<SOURCE>.gateway`.

They act on the embedded stack's processes (`Controls.stack`, read afresh from its state file, since a
restart changes a pid) through `fallback.stack.restart`, signalling each server and its descendants:
PostgreSQL's postmaster AND its backends (a postmaster paused alone would leave its backends serving
the connections they hold: not a hang). `Outages` (in `Controls`) records which processes a fault is
taking down on purpose, so the run's `ProcessWatch` does not report a planned kill as a death, and holds
the timers of the restarts to come. Undoing is idempotent: `clear_target` and `reset` resume every
stopped server (and its children) and restart every server a fault took down, noted in `Outages`
and, for a later command, in the state dir (`mark_taken_down`); a server that died of anything else
stays dead, for the run's watch to report.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from fallback.faults._outages import Key
from fallback.faults._registry import Controls, FaultError, UnknownTarget
from fallback.names import unknown
from fallback.stack import process
from fallback.stack.errors import StackError
from fallback.stack.restart import (
    is_paused,
    kill,
    mark_taken_down,
    record_of,
    restart_process,
    signal_tree,
    taken_down_by_fault,
)
from fallback.stack.state import ProcessKind, StackKind, StackState

if TYPE_CHECKING:
    from fallback.faults._fault import Fault

PAUSE_SEEN_WITHIN_S = 1.0
"""How long `pause` waits for the server to be seen stopped (state `T`) after its SIGSTOP."""
PARTS: dict[str, ProcessKind] = {"postgres": ProcessKind.postgres, "gateway": ProcessKind.gateway}


def _stack(controls: Controls) -> StackState:
    if controls.stack is None or controls.stack.kind is not StackKind.embedded:
        raise FaultError("process faults act on an embedded stack's processes: this stack has none of ours")
    return controls.stack.latest()


def _key(target: str) -> Key:
    source, _, part = target.partition(".")
    return PARTS[part], source


@dataclass(frozen=True)
class SignalProcess:
    """`kill`, `pause` or `restart` one server of the embedded stack."""

    action: Literal["kill", "pause", "restart"]
    family = "process"

    def envelope_error(self, kind: str, field: str) -> str | None:
        return f"`{kind}` acts on a process, not on a stream of data: `{field}` does not apply"

    def apply(self, fault: Fault, controls: Controls) -> None:
        key = self._known(fault.target, controls)
        record = record_of(_stack(controls), *key)
        if self.action == "pause":
            signal_tree(record, signal.SIGSTOP)
            # SIGSTOP takes effect when the process is next scheduled (later on a loaded machine): the fault is
            # on once the server is stopped, so that whoever looks next (`stack status`, a run) sees it paused.
            deadline = time.monotonic() + PAUSE_SEEN_WITHIN_S
            while not is_paused(record) and process.is_alive(record) and time.monotonic() < deadline:
                time.sleep(0.005)
            return
        controls.outages.begin(key)
        mark_taken_down(_stack(controls), record)
        if self.action == "restart":
            self._restart(key, controls)
            return
        kill(record)
        after = float(fault.resolved_attributes.get("restart_after", 0))
        if after > 0:  # 0: never, until the fault is cleared
            controls.outages.schedule(key, after, lambda: self._restart(key, controls, only_if_dead=True))

    def clear(self, fault: Fault, controls: Controls) -> None:
        self.clear_target(fault.target, controls)

    def known_targets(self, controls: Controls) -> tuple[str, ...]:
        if controls.stack is None or controls.stack.kind is not StackKind.embedded:
            return ()
        found = {f"{p.source}.{p.kind}" for p in controls.stack.processes if p.source and p.kind in PARTS.values()}
        return tuple(sorted(found))

    def clear_target(self, target: str, controls: Controls) -> None:
        """Resume the process if paused; restart it if a fault killed it (a process that died of anything
        else is left dead, for the run's watch to report); close its outage."""
        key = self._known(target, controls)
        state = _stack(controls)
        record = record_of(state, *key)
        if is_paused(record):
            process.resume(record)
        if key in controls.outages.excused() or taken_down_by_fault(state, record):
            self._restart(key, controls, only_if_dead=True)

    def reset(self, controls: Controls) -> None:
        for target in self.known_targets(controls):
            self.clear_target(target, controls)

    def _known(self, target: str, controls: Controls) -> Key:
        known = self.known_targets(controls)
        if target not in known:
            raise UnknownTarget(unknown("target", target, known))
        return _key(target)

    @staticmethod
    def _restart(key: Key, controls: Controls, only_if_dead: bool = False) -> None:
        """Restart the process (only when dead: a timer or a clear that comes after another restart)."""
        outages = controls.outages
        with outages.restarting:  # one restart at a time: a timer and a clear may race for the same process
            try:
                record = record_of(_stack(controls), *key)
                if not only_if_dead or not process.is_alive(record):
                    restart_process(_stack(controls), *key)
            except StackError as exc:
                raise FaultError(f"{key[1]}.{key[0]} did not come back: {exc}") from exc
            finally:
                outages.end(key)
