"""One worker as the drill process knows it (its life, its pace, its counts, Locust's view of it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fallback.drill.scale.share import WorkerPace
from fallback.drill.scale.wire import GONE, WorkerLife


@dataclass
class WorkerSeenByDrill:
    """One worker as the drill knows it: its life, its pace, its counts, Locust's view of it."""

    index: int
    life: WorkerLife = "connected"
    pid: int = 0
    host: str = ""
    error: str = ""
    issued: int = 0
    events: int = 0
    invoked: int = 0
    """Operations whose invoke reached the drill (what a worker that died is counted for)."""
    ops_done: int = 0
    pace: WorkerPace = field(default_factory=WorkerPace)
    locust_state: str = ""
    cpu_pct: float = 0.0
    gone_at_s: float | None = None
    last_batch_s: float | None = None

    @property
    def gone(self) -> bool:
        return self.life in GONE
