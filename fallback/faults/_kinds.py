"""The registry: every fault kind the harness can play, one entry each, in the order messages list them.

Attribute names are Toxiproxy's own (`toxics/*.go`); units as Toxiproxy documents them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from fallback.faults._auth import RotateJwtSecret
from fallback.faults._database import ReadOnly
from fallback.faults._edge import EdgeRuleFault, InsideGateway
from fallback.faults._holders import ConnectionsExhausted, Lock
from fallback.faults._process import SignalProcess
from fallback.faults._registry import Applier, Attribute, Controls, FaultKind, TargetKind, targets_of
from fallback.faults._slow import SlowQueries
from fallback.faults._toxiproxy import AddToxic, DisableProxy
from fallback.gateway.edge_pages import STATUSES
from fallback.names import unknown

_PICK = (
    Attribute("share", "of the requests (0..1)", default=1.0, integer=False, maximum=1),
    Attribute("first", "requests (0: no limit)", default=0, maximum=1_000_000),
)
"""Which API requests an edge kind hits: a `share`, spread evenly (the first one among them), at most `first`."""
_EDGE: frozenset[TargetKind] = frozenset({"edge"})

_ENTRIES: tuple[FaultKind, ...] = (
    FaultKind("down", "disables the proxy", DisableProxy(), exclusive=True, explore_rank=0),
    FaultKind(
        "latency",
        "delays every chunk of data",
        AddToxic("latency"),
        (Attribute("latency", "ms", search=(100, 300, 1000, 50)), Attribute("jitter", "ms", default=0)),
        main="latency",
        explore_rank=1,
    ),
    FaultKind(
        "timeout",
        "drops the data and closes after `timeout` ms (0: never, a blackhole)",
        AddToxic("timeout"),
        (Attribute("timeout", "ms", default=0, search=(0, 200, 1000)),),
        main="timeout",
        explore_rank=2,
    ),
    FaultKind(
        "reset_peer",
        "resets the connection (TCP RST) after `timeout` ms",
        AddToxic("reset_peer"),
        (Attribute("timeout", "ms", default=0, search=(0, 100, 500)),),
        main="timeout",
        explore_rank=3,
    ),
    FaultKind(
        "bandwidth",
        "limits the throughput",
        AddToxic("bandwidth"),
        (Attribute("rate", "KB/s", search=(1, 8, 64)),),
        main="rate",
        explore_rank=5,
    ),
    FaultKind(
        "slow_close",
        "delays the close of the connection",
        AddToxic("slow_close"),
        (Attribute("delay", "ms", search=(500, 100, 2000)),),
        main="delay",
        explore_rank=4,
    ),
    FaultKind(  # not explored: it only re-chunks a stream, no outage worth a search budget
        "slicer",
        "slices the data into small chunks",
        AddToxic("slicer"),
        (
            Attribute("average_size", "bytes"),
            Attribute("size_variation", "bytes", default=32),
            Attribute("delay", "µs", default=10),
        ),
        main="average_size",
    ),
    FaultKind(
        "limit_data",
        "closes the connection after `bytes` bytes",
        AddToxic("limit_data"),
        (Attribute("bytes", "bytes", search=(0, 64, 512, 4096)),),
        main="bytes",
        explore_rank=6,
    ),
    # --- inside a source's PostgreSQL (target: the source, e.g. `PRIMARY`); appended: old seeds stay valid
    FaultKind(
        "read_only",
        "puts the API roles in read-only mode, as Supabase on a full disk (writes: 25006)",
        ReadOnly(),
        targets=frozenset({"source"}),
        exclusive=True,
        explore_rank=7,
    ),
    FaultKind(
        "lock",
        "holds a lock on a table's rows (`row`) or the table itself for the window",
        Lock(),
        (
            Attribute("table", "table", default="user_challenges", choices=("user_challenges", "profiles")),
            Attribute("mode", "lock", default="row", choices=("row", "exclusive", "access_exclusive")),
            Attribute("rows", "rows", default=0, search=(0, 1)),
        ),
        main="rows",
        targets=frozenset({"source"}),
        explore_rank=8,
    ),
    FaultKind(
        "slow_queries",
        "delays every API statement by `delay` ms inside PostgreSQL",
        SlowQueries(),
        (Attribute("delay", "ms", maximum=600_000, search=(300, 1000)),),
        main="delay",
        targets=frozenset({"source"}),
        exclusive=True,
        explore_rank=9,
    ),
    FaultKind(
        "connections_exhausted",
        "takes every free connection slot (new connections: 53300)",
        ConnectionsExhausted(),
        (Attribute("sessions", "keep|drop the API's", default="drop", choices=("drop", "keep")),),
        targets=frozenset({"source"}),
        exclusive=True,
        explore_rank=10,
    ),
    # --- process faults (`_process.py`): signals to a server's processes on the embedded stack; appended
    FaultKind(
        "kill",
        "kills the process (SIGKILL) and restarts it after `restart_after` s (0: never, until cleared)",
        SignalProcess("kill"),
        (Attribute("restart_after", "s", default=3, integer=False, maximum=3600, search=(3, 1, 0)),),
        main="restart_after",
        targets=frozenset({"process"}),
        exclusive=True,
        explore_rank=11,
    ),
    FaultKind(
        "pause",
        "stops the process (SIGSTOP) until cleared, then continues it (SIGCONT): a hang",
        SignalProcess("pause"),
        targets=frozenset({"process"}),
        exclusive=True,
        explore_rank=12,
    ),
    FaultKind(
        "restart",
        "stops the process cleanly and starts it again at once",
        SignalProcess("restart"),
        targets=frozenset({"process"}),
        exclusive=True,
        explore_rank=13,
    ),
    # --- auth (`_auth.py`, target: the source): the source's gateway restarted with another JWT secret
    FaultKind(
        "jwt_rotated",
        "changes the source's JWT secret: every key and token clients hold gets 401 PGRST301",
        RotateJwtSecret(),
        targets=frozenset({"source"}),
        exclusive=True,
        explore_rank=14,
    ),
    # --- the HTTP edge (`_edge.py`, target `<SOURCE>.api`): Kong/Cloudflare in front of the gateway; appended
    FaultKind(
        "edge_status",
        "answers `status` at the edge, with Kong's or Cloudflare's page (429 and 503 with Retry-After)",
        EdgeRuleFault(),
        (
            Attribute("status", "HTTP status", allowed=STATUSES, search=(502, 520, 503, 429, 504, 500, 522)),
            *_PICK,
            Attribute("retry_after", "s", default=1, maximum=3600),
            Attribute("by", "edge", default="auto", choices=("auto", "kong", "cloudflare")),
            Attribute("request", "fate", default="auto", choices=("auto", "forwarded", "dropped")),
        ),
        main="status",
        targets=_EDGE,
        exclusive=True,
        explore_rank=15,
    ),
    FaultKind(
        "edge_truncated",
        "cuts the gateway's answer after `keep` of its body (the connection closed there, or a short message)",
        EdgeRuleFault(),
        (
            Attribute("keep", "of the body (0..1)", default=0.5, integer=False, maximum=1, search=(0.5, 0.0, 0.9)),
            Attribute("framing", "close|length", default="close", choices=("close", "length")),
            *_PICK,
        ),
        main="keep",
        targets=_EDGE,
        exclusive=True,
        explore_rank=16,
    ),
    FaultKind(
        "edge_stalled",
        "sends the gateway's status and headers, then holds the body `stall` ms (0: until cleared)",
        EdgeRuleFault(),
        (Attribute("stall", "ms", default=0, maximum=600_000, search=(1000, 0, 5000)), *_PICK),
        main="stall",
        targets=_EDGE,
        exclusive=True,
        explore_rank=17,
    ),
    FaultKind(
        "edge_slow_first_byte",
        "holds each request `delay` ms at the edge before the gateway gets it",
        EdgeRuleFault(),
        (Attribute("delay", "ms", maximum=600_000, search=(1000, 300, 5000)), *_PICK),
        main="delay",
        targets=_EDGE,
        exclusive=True,
        explore_rank=18,
    ),
    # --- inside the source's gateway, through the edge's control file (`_edge.py`, target: the source); appended
    FaultKind(
        "tokens_expire",
        'refuses every user token as expired (401 PGRST303 "JWT expired"); the anon and service keys still work',
        InsideGateway(),
        targets=frozenset({"source"}),
        exclusive=True,
        explore_rank=19,
    ),
    FaultKind(
        "pool_exhausted",
        "holds the gateway's pool busy: requests wait its acquisition timeout (10 s), then 504 PGRST003",
        InsideGateway(),
        targets=frozenset({"source"}),
        exclusive=True,
        explore_rank=20,
    ),
)

KINDS: Mapping[str, FaultKind] = {kind.name: kind for kind in _ENTRIES}
FAULT_KINDS: tuple[str, ...] = tuple(KINDS)
MAIN_ATTRIBUTE: Mapping[str, str] = {kind.name: kind.main for kind in _ENTRIES if kind.main is not None}
"""The attribute a bare number sets, e.g. `fault PRIMARY.api latency 300`."""
TARGET_KINDS: frozenset[TargetKind] = frozenset(t for kind in _ENTRIES for t in kind.targets)


def all_targets() -> tuple[str, ...]:
    """Every target some kind accepts, on the active project's sources (`PRIMARY.api`, `PRIMARY.db`, ...)."""
    return targets_of(TARGET_KINDS)


EXPLORED: tuple[FaultKind, ...] = tuple(
    sorted((kind for kind in _ENTRIES if kind.explore_rank is not None), key=lambda kind: kind.explore_rank or 0)
)
"""What `explore` draws, simplest first."""


def fault_kind(name: str) -> FaultKind:
    """The registry's entry for `name`; a ValueError lists the known kinds."""
    if name not in KINDS:
        raise ValueError(unknown("fault", name, FAULT_KINDS))
    return KINDS[name]


def appliers() -> tuple[Applier, ...]:
    """One applier per family, for what a family does as a whole (list targets, clear a target, reset)."""
    families: dict[str, Applier] = {}
    for kind in _ENTRIES:
        families.setdefault(kind.applier.family, kind.applier)
    return tuple(families.values())


RESET_FIRST = ("process",)
"""Families undone before the others: a paused or killed PostgreSQL must be back before the database
family's undo can reach it (else each of its connections waits out its timeout: 10 s per paused source)."""


def family_of(kind: str) -> str:
    """The family of a fault kind's applier (`down` and every toxic: `toxiproxy`; `read_only`: `database`)."""
    return fault_kind(kind).applier.family


def reset_order() -> tuple[Applier, ...]:
    """One applier per family, in the order families are undone (`RESET_FIRST` first, then as listed)."""
    return tuple(sorted(appliers(), key=lambda applier: applier.family not in RESET_FIRST))  # stable sort


def reset_all(controls: Controls, families: Collection[str] | None = None) -> None:
    """Undo every fault of every family on the whole stack (the end of every run, `fault all clear`);
    `families`: of those families only (`FaultLedger`: the ones a session's runs applied)."""
    for applier in reset_order():
        if families is None or applier.family in families:
            applier.reset(controls)
