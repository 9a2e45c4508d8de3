"""The fault registry: one table of every fault kind, which every other part derives from.

    from fallback.faults import Fault, fault_kind
    Fault("BOLT.api", "latency", {"latency": 300}).apply(toxiproxy)   # ... .clear(toxiproxy)
    fault_kind("latency").main                                        # 'latency'

Who reads the table (`KINDS`, in `_kinds.py`):
- the scenario validator (`fallback.scenario`): known kinds, targets, attributes, the overlap rule
  for `exclusive` kinds, and whether `stream`/`toxicity` apply;
- `fallback-harness fault TARGET KIND [VALUE]`: a bare VALUE sets the kind's `main` attribute;
- drills (`--fail TARGET:KIND=VALUE@START-END`) and the pytest plugin's `fallback_fault` marker, likewise;
- `explore`: the kinds with an `explore_rank`, in that order, each drawing its main attribute's `search` values.

## Adding a fault kind: one entry

Add one `FaultKind` to `_ENTRIES` in `_kinds.py`:

    FaultKind(
        "latency",                           # the name files and commands use
        "delays every chunk of data",        # completes "`latency` ..." in help and messages
        AddToxic("latency"),                 # the applier: what applies and clears it
        (Attribute("latency", "ms", search=(100, 300, 1000, 50)),   # no default: required
         Attribute("jitter", "ms", default=0)),
        main="latency",                      # what a bare number sets
        targets=frozenset({"link"}),         # the default: `<SOURCE>.api|db`
        exclusive=False,                     # True: overlapping windows on one target are refused
        explore_rank=1,                      # None: explore leaves it out
    )

An attribute has a name (the applier's API's own: Toxiproxy's JSON field names), a unit, a default
(None: required), `integer` (False: a float such as a share 0..1), `minimum`/`maximum`, and the
values `explore` tries (`allowed`: the only whole numbers it takes). Targets are of four kinds: `link`
(`<SOURCE>.api`: client to gateway, `<SOURCE>.db`: gateway to PostgreSQL, both Toxiproxy proxies), `edge`
(`<SOURCE>.api` only: the HTTP edge in front of the gateway), `process` (`<SOURCE>.postgres`,
`<SOURCE>.gateway`) and `source` (`<SOURCE>`). A kind names its target kinds and brings its applier.

## Appliers

An applier (`Applier`, a protocol) plays a kind on the stack through `Controls` (Toxiproxy today;
a new applier adds what it needs there, e.g. the stack's pids or a superuser DSN): `apply`, `clear`
(a fault already gone is no error), and, per family, `known_targets`, `clear_target` and `reset`
(what `fault X clear`, `fault all clear` and the end of every run use). It converts its backend's
errors to `FaultError`s in our words (`UnknownTarget`, `FaultConflict`). `envelope_error` says
whether Toxiproxy's `stream`/`toxicity` envelope applies. The Toxiproxy appliers (`_toxiproxy.py`)
are `DisableProxy` (`down`) and `AddToxic(type)` (every toxic). The database appliers (`_database.py`,
`_slow.py`, `_holders.py`: `read_only`, `slow_queries`, `lock`, `connections_exhausted`) act inside a
source's PostgreSQL through its superuser DSN (`Controls.of_stack(toxiproxy, state)`); their
target is the source (`PRIMARY`). The process appliers (`_process.py`,
`SignalProcess`: `kill`, `pause`, `restart`) act on the embedded stack's processes (`Controls.stack`) and
record the outages they cause in `Controls.outages` (`Outages`), which a run's process watch reads so
that a planned kill is not reported as a death. The auth applier (`_auth.py`, `RotateJwtSecret`:
`jwt_rotated`, target the source) restarts the source's gateway with a fresh JWT secret noted in the
state dir, and again with the stack's own on clear. The HTTP-edge applier (`_edge.py`, `EdgeRuleFault`:
`edge_status`, `edge_truncated`, `edge_stalled`, `edge_slow_first_byte`, target `<SOURCE>.api`) puts a rule
in the control file the gateway's edge layer reads (`fallback.gateway.edge`), bound to the gateway process
running now; `tokens_expire` and `pool_exhausted` (`InsideGateway`, target the source) put theirs in the same
file, played inside our gateway (user tokens refused as expired; its pool held busy).
`reset_all(controls)` undoes every fault of every family (`reset_all(controls, families)`: of those only);
a `FaultLedger` (`_ledger.py`) remembers which families a session's runs applied, so that between runs only
those are undone (the explorer's).
"""

from fallback.faults._auth import RotateJwtSecret
from fallback.faults._database import ReadOnly
from fallback.faults._edge import EdgeRuleFault, InsideGateway
from fallback.faults._fault import Fault
from fallback.faults._holders import ConnectionsExhausted, Lock
from fallback.faults._kinds import (
    EXPLORED,
    FAULT_KINDS,
    KINDS,
    MAIN_ATTRIBUTE,
    all_targets,
    appliers,
    family_of,
    fault_kind,
    reset_all,
)
from fallback.faults._ledger import FaultLedger
from fallback.faults._on_now import OnNow, faults_on
from fallback.faults._outages import Outages
from fallback.faults._process import SignalProcess
from fallback.faults._registry import (
    TARGET_SHAPES,
    Applier,
    Attribute,
    Controls,
    FaultConflict,
    FaultError,
    FaultKind,
    TargetKind,
    UnknownTarget,
    Value,
    fits,
    target_kind,
    targets_of,
)
from fallback.faults._slow import SlowQueries
from fallback.faults._toxiproxy import AddToxic, DisableProxy

__all__ = [
    "EXPLORED",
    "FAULT_KINDS",
    "KINDS",
    "MAIN_ATTRIBUTE",
    "TARGET_SHAPES",
    "AddToxic",
    "Applier",
    "Attribute",
    "ConnectionsExhausted",
    "Controls",
    "DisableProxy",
    "EdgeRuleFault",
    "Fault",
    "FaultConflict",
    "FaultError",
    "FaultKind",
    "FaultLedger",
    "InsideGateway",
    "Lock",
    "OnNow",
    "Outages",
    "ReadOnly",
    "RotateJwtSecret",
    "SignalProcess",
    "SlowQueries",
    "TargetKind",
    "UnknownTarget",
    "Value",
    "all_targets",
    "appliers",
    "family_of",
    "fault_kind",
    "faults_on",
    "fits",
    "reset_all",
    "target_kind",
    "targets_of",
]
