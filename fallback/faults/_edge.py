"""The control-file appliers: the HTTP-edge kinds (`edge_status`, `edge_truncated`, `edge_stalled`,
`edge_slow_first_byte`) on `<SOURCE>.api`, and the two kinds played inside the gateway through the same file
(`tokens_expire`, `pool_exhausted`) on `<SOURCE>`.

Toxiproxy only moves bytes; an edge that answers 520, cuts a JSON body or stalls after the headers is HTTP.
These kinds are played by the edge layer inside the source's gateway process (`fallback.gateway.edge`),
switched on and off through a control file in the state dir (`fallback.gateway.edge_control`, which says
why a file and not an admin route): one rule per kind, named for the gateway process running now (pid and
start time), so a gateway restarted for any reason comes back with no edge fault on. Clearing removes the
rule (the file when it was the last one); `clear_target` and `reset` remove the file. Requests pass
through `<SOURCE>.api` as before: an edge fault and a Toxiproxy fault on the same link combine.

Only our gateway has the layer (the embedded stack with `FALLBACK_GATEWAY=ours`, the default): with a real
PostgREST behind the Kong-like proxy, and on compose and external stacks, these kinds are refused, not
played silently as nothing. `tokens_expire` and
`pool_exhausted` (`InsideGateway`, family `gateway`) need our gateway itself (`fallback.gateway.edge_inside`).
Each family clears only its own kinds from the shared file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fallback.faults._registry import Controls, FaultConflict, FaultError, UnknownTarget
from fallback.gateway.edge_control import (
    CONTROL_FILE,
    EDGE_KINDS,
    RULE,
    EdgeControl,
    EdgeRule,
    locked,
    process_started,
    read_control,
    write_control,
)
from fallback.names import unknown
from fallback.stack import gateway_process
from fallback.stack.errors import StackError
from fallback.stack.restart import record_of
from fallback.stack.state import ProcessKind, StackKind, StackState

if TYPE_CHECKING:
    from fallback.faults._fault import Fault


def control_path(state: StackState, source: str) -> Path:
    return Path(state.state_dir) / source / CONTROL_FILE


def _stack(controls: Controls) -> StackState:
    if controls.stack is None or controls.stack.kind is not StackKind.embedded:
        raise FaultError("HTTP-edge faults are played by an embedded stack's gateway: this stack has none of ours")
    return controls.stack.latest()


@dataclass(frozen=True)
class EdgeRuleFault:
    """One `edge_*` kind: its rule put in the source's edge control file, taken out on clear."""

    family = "edge"
    kinds = EDGE_KINDS

    def envelope_error(self, kind: str, field: str) -> str | None:
        return f"`{kind}` is played by the HTTP edge in front of the gateway, not on a stream: `{field}` does not apply"

    def target_of(self, source: str) -> str:
        return f"{source}.api"

    def rule(self, fault: Fault) -> EdgeRule:
        """The control file's rule for `fault` (a fresh id: its request counts start at 0)."""
        return RULE.validate_python({"kind": fault.kind, **fault.resolved_attributes})

    def apply(self, fault: Fault, controls: Controls) -> None:
        if gateway_process.use_real_postgrest():
            raise FaultError(f"{fault.kind} is played by our gateway: with FALLBACK_GATEWAY=postgrest it is not")
        source = self._known(fault.target, controls)
        state = _stack(controls)
        path = control_path(state, source)
        pid, started = self._gateway(state, source)
        with locked(path):
            now = self._current(path, pid, started)
            if fault.kind in now.rules:
                raise FaultConflict(f"{fault.target} already has an {fault.kind} on its edge")
            write_control(path, now.model_copy(update={"rules": {**now.rules, fault.kind: self.rule(fault)}}))

    def clear(self, fault: Fault, controls: Controls) -> None:
        source = self._known(fault.target, controls)
        path = control_path(_stack(controls), source)
        with locked(path):
            now = read_control(path)
            if now is not None and fault.kind in now.rules:
                rest = {kind: rule for kind, rule in now.rules.items() if kind != fault.kind}
                write_control(path, now.model_copy(update={"rules": rest}))

    def known_targets(self, controls: Controls) -> tuple[str, ...]:
        if controls.stack is None or controls.stack.kind is not StackKind.embedded:
            return ()
        return tuple(self.target_of(source.name) for source in controls.stack.sources)

    def clear_target(self, target: str, controls: Controls) -> None:
        """Take this family's rules out (the other family's stay); no rule left: no file."""
        path = control_path(_stack(controls), self._known(target, controls))
        with locked(path):
            now = read_control(path)
            if now is not None:
                rest = {kind: rule for kind, rule in now.rules.items() if kind not in self.kinds}
                write_control(path, now.model_copy(update={"rules": rest}))

    def reset(self, controls: Controls) -> None:
        for target in self.known_targets(controls):
            self.clear_target(target, controls)

    def _known(self, target: str, controls: Controls) -> str:
        known = self.known_targets(controls)
        if target not in known:
            raise UnknownTarget(unknown("target", target, known))
        return target.partition(".")[0]

    @staticmethod
    def _gateway(state: StackState, source: str) -> tuple[int, int]:
        """The pid and start time of the process serving `source`'s API now (our gateway or Kong-like proxy)."""
        try:
            record = record_of(state, ProcessKind.gateway, source)
        except StackError as exc:
            raise FaultError(str(exc)) from exc
        started = process_started(record.pid)
        if started is None:
            raise FaultError(f"{source}'s gateway (pid {record.pid}) does not run: no edge to play a fault on")
        return record.pid, started

    @staticmethod
    def _current(path: Path, pid: int, started: int) -> EdgeControl:
        """The rules on for that process; a file left for an earlier process counts as none."""
        now = read_control(path)
        if now is None or (now.pid, now.started) != (pid, started):
            return EdgeControl(pid=pid, started=started)
        return now


@dataclass(frozen=True)
class InsideGateway(EdgeRuleFault):
    """`tokens_expire` or `pool_exhausted` on a source: a rule the edge layer plays inside our gateway."""

    family = "gateway"
    kinds = ("tokens_expire", "pool_exhausted")

    def envelope_error(self, kind: str, field: str) -> str | None:
        return f"`{kind}` is played inside the source's gateway, not on a stream: `{field}` does not apply"

    def target_of(self, source: str) -> str:
        return source
