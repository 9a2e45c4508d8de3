"""What the drill process, the Locust master and the workers say to each other (typed, JSON).

drill process --stdin lines--> master --Locust custom messages--> workers
drill process <--stdout lines-- master <--Locust custom messages-- workers

Every message is a pydantic model, so each side validates what it reads; nothing here imports Locust or
gevent (the drill process must never import them: see the package docstring).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from fallback.history import Event
from fallback.project import ProjectSchema
from fallback.stack.state import StackState

WorkerLife = Literal["connected", "ready", "running", "done", "settled", "missing", "died", "failed"]
"""A worker as the drill sees it: connected (to the master), ready (its client built), running (its share of
the schedule), done (schedule and drain over), settled (its undecided writes resolved); missing (no Locust
heartbeat for 3 s), died (a local worker process exited), failed (it reported an error)."""
GONE: frozenset[WorkerLife] = frozenset({"missing", "died", "failed"})


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ShareSpec(_Wire):
    """The whole drill's traffic (the plan every worker takes its share of): `TrafficPlan`'s fields, all of them."""

    rate_per_s: float
    duration_s: float
    max_ops: int | None
    mix: dict[str, float]
    table: str
    max_in_flight: int
    seed: int
    drain_s: float


class WorkerPlan(_Wire):
    """Sent by the master to each worker before the start: all it needs to build its client and its share."""

    index: int
    count: int
    client: str
    op_deadline_s: float
    auth: str = "service_role"
    traffic: ShareSpec
    state: StackState
    project_schema: ProjectSchema
    first_source_rows: dict[str, list[dict[str, JsonValue]]] = Field(default_factory=dict)


class PaceDelta(_Wire):
    """A worker's `PaceLog` since its last batch: new lags and stalls; the per-second counters whole (small)."""

    lags: list[tuple[int, float]] = Field(default_factory=list)
    """(second sent, lag s) of each operation sent since the last batch."""
    due: dict[int, int] = Field(default_factory=dict)
    shed: dict[int, int] = Field(default_factory=dict)
    probe_max: dict[int, float] = Field(default_factory=dict)
    stalls: list[tuple[float, float]] = Field(default_factory=list)
    cpu: dict[int, float] = Field(default_factory=dict)
    pressure: dict[int, float] = Field(default_factory=dict)


class EventBatch(_Wire):
    """Worker -> master -> drill: the history events and pace since the last batch (every `BATCH_S`)."""

    kind: Literal["events"] = "events"
    worker: int
    events: list[Event] = Field(default_factory=list)
    pace: PaceDelta = Field(default_factory=PaceDelta)
    issued: int = 0
    """Operations this worker sent so far."""


class WorkerNote(_Wire):
    """Worker -> master -> drill: a step of its life (`ready`, `done`, `settled`, `failed` with the error)."""

    kind: Literal["note"] = "note"
    worker: int
    life: WorkerLife
    pid: int = 0
    host: str = ""
    error: str = ""


class WorkerSeen(_Wire):
    """One worker as the Locust master sees it (heartbeats, state, CPU)."""

    worker: int
    client_id: str
    locust_state: str
    cpu_pct: float
    heartbeat: int
    """Locust's countdown: 3 when a heartbeat just came, below 0: `missing`."""


class Roster(_Wire):
    """Master -> drill, twice a second: every worker the master knows."""

    kind: Literal["roster"] = "roster"
    workers: list[WorkerSeen]
    master_cpu_pct: float = 0.0


class Listening(_Wire):
    """Master -> drill, once: it is bound and waits for workers."""

    kind: Literal["listening"] = "listening"
    port: int
    web_url: str = ""


MasterLine = Annotated[EventBatch | WorkerNote | Roster | Listening, Field(discriminator="kind")]


class MasterLineModel(_Wire):
    line: MasterLine


CommandName = Literal["plan", "go", "stop", "cancel", "settle", "quit"]


class Command(_Wire):
    """Drill -> master (one JSON line on its stdin)."""

    cmd: CommandName
    plan: WorkerPlan | None = None
    """`plan`: the template every worker's plan is made from (index filled in by the master)."""
    t0_wall: float | None = None
    """`go`: the wall-clock time (time.time()) of the drill clock's zero: every worker's history uses it."""


def parse_master_line(text: str) -> EventBatch | WorkerNote | Roster | Listening:
    return MasterLineModel.model_validate_json('{"line":' + text + "}").line
