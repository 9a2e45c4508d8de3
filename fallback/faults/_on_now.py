"""Which faults are on now, in every family: what `stack status` lists, so that a fault left by a run that
was killed mid-window (or typed by hand and forgotten) is seen before the next run trusts the stack.

Each family is read where its state lives, without changing anything: Toxiproxy's proxies and toxics, each
source's PostgreSQL (holder connections, slow-query policies, read-only API roles: one probe query), the
stack's process records (a paused process is in state `T`), the edge control files (a rule counts only
for the gateway process running now: the gateway ignores a file written for a process that has since
restarted), and the JWT rotation notes. A part that does not answer is listed as such, not as clean.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass

from fallback.faults._database import DatabaseUnreachable, probe
from fallback.faults._edge import control_path
from fallback.faults._registry import Controls
from fallback.gateway.edge_control import EDGE_KINDS, process_started, rules_for
from fallback.stack.restart import is_paused, rotated_jwt_secret
from fallback.stack.state import ProcessKind, StackKind
from fallback.stack.toxiproxy_server import active_faults
from fallback.toxics import ToxiproxyError


@dataclass(frozen=True)
class OnNow:
    """One fault on now: where, what, and what was found (`unreachable`: the part could not be asked)."""

    target: str
    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return " ".join(word for word in (self.target, self.kind, self.detail) if word)


def faults_on(controls: Controls) -> tuple[OnNow, ...]:
    """Every fault on now, family by family (Toxiproxy, process, database, edge, auth). A paused PostgreSQL
    is not probed (it would hold the probe for its whole connect timeout): its pause is what is on."""
    paused = _processes(controls)
    frozen = {on.target.removesuffix(f".{ProcessKind.postgres}") for on in paused}
    names = [name for name, _ in controls.databases if name not in frozen]
    found = _toxiproxy(controls) + paused
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        for on in pool.map(lambda name: _database(controls, name), names):  # one probe each, at once
            found += on
    return tuple(found + _edge_and_auth(controls))


def _toxiproxy(controls: Controls) -> list[OnNow]:
    try:
        held = active_faults(controls.toxiproxy.url)
    except ToxiproxyError as exc:
        return [OnNow("toxiproxy", "unreachable", str(exc))]
    return [OnNow(f.proxy, f.kind, " ".join(str(f).split(" ")[2:])) for f in held]


def _database(controls: Controls, source: str) -> list[OnNow]:
    try:
        holders, slow, read_only = probe(controls.database(source))
    except DatabaseUnreachable as exc:
        return [OnNow(source, "unreachable", f"(PostgreSQL: {exc})")]
    on = [OnNow(source, "read_only")] if read_only else []
    on += [OnNow(source, "slow_queries", f"({slow} delay policies)")] if slow else []
    on += [OnNow(source, "lock or connections_exhausted", f"({holders} holder connections)")] if holders else []
    return on


def _processes(controls: Controls) -> list[OnNow]:
    state = controls.stack
    if state is None or state.kind is not StackKind.embedded:
        return []
    return [OnNow(f"{p.source}.{p.kind}", "pause") for p in state.latest().processes if p.source and is_paused(p)]


def _edge_and_auth(controls: Controls) -> list[OnNow]:
    state = controls.stack
    if state is None or state.kind is not StackKind.embedded:
        return []
    state = state.latest()
    gateways = {p.source: p.pid for p in state.processes if p.kind is ProcessKind.gateway}
    found: list[OnNow] = []
    for source in state.sources:
        pid = gateways.get(source.name)
        rules = rules_for(control_path(state, source.name), pid, process_started(pid)) if pid is not None else ()
        for rule in sorted(rules, key=lambda rule: rule.kind):  # the rules the running gateway plays, as it reads them
            where = f"{source.name}.api" if rule.kind in EDGE_KINDS else source.name
            values = rule.model_dump(exclude={"kind", "id"})
            found.append(OnNow(where, rule.kind, " ".join(f"{name}={value}" for name, value in values.items())))
        if rotated_jwt_secret(state, source.name) is not None:
            found.append(OnNow(source.name, "jwt_rotated"))
    return found
