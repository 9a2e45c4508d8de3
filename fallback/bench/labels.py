"""Names shared by the benchmark suite (which writes them) and the analysis (which reads them).

Every benchmark stores a `Label` in pytest-benchmark's `extra_info`, so the analysis never
parses test names: a figure is found by (scenario, variant, latency). Each scenario has one
`floor` variant; every other variant of the same scenario and injected latency is divided by it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Role = Literal["floor", "variant"]

# Scenarios (one pytest-benchmark group per scenario and injected latency).
READ = "read"
"""Healthy read of `user_challenges`: one source (floor) vs the two merged reads."""
READ_HUNG = "read-primary-hung"
READ_REFUSED = "read-primary-refused"
READ_SLOW = "read-primary-slow"
"""PRIMARY answering, every chunk +300 ms: loads until one includes PRIMARY again (the adaptive cut's learning)."""
WRITE = "write-failover"
MERGE = "merge"
SUPABASE_REFUSED = "supabase-refused"
OVERHEAD_MERGED = "overhead-merged"
OVERHEAD_SINGLE = "overhead-single"
THROUGHPUT = "gateway-throughput"
GATEWAY_SPEED = "gateway-vs-bare"
"""The gateway against a bare Starlette + asyncpg endpoint under wrk (speed.py); figures in extra_info."""

SCENARIO_ORDER: tuple[str, ...] = (
    READ,
    READ_REFUSED,
    READ_HUNG,
    READ_SLOW,
    WRITE,
    MERGE,
    SUPABASE_REFUSED,
    OVERHEAD_MERGED,
    OVERHEAD_SINGLE,
    THROUGHPUT,
    GATEWAY_SPEED,
)
"""The order of groups in reports."""

# Clients.
REFERENCE = "reference"
SPEC_FAITHFUL = "spec_faithful"
CLIENTS: tuple[str, ...] = (REFERENCE, SPEC_FAITHFUL)

LATENCIES_MS: tuple[int, ...] = (0, 20, 100)
MERGE_SIZES: tuple[int, ...] = (1_000, 10_000, 100_000)

BOUNDED = "bounded"
"""Outcome of a call cut short by the harness's own bound (the client would have waited longer)."""


@dataclass(frozen=True)
class Label:
    """What one benchmark measured; stored as pytest-benchmark `extra_info`."""

    scenario: str
    variant: str
    role: Role = "variant"
    client: str | None = None
    latency_ms: int | None = None
    """Latency injected on every `<SOURCE>.api` link (downstream), the same for the whole group."""
    rows: int | None = None
    """Rows merged (merge scenario)."""
    batch: int | None = None
    """Requests per round (throughput scenario)."""
    bound_s: float | None = None
    """The harness's cap on one call, when the client's own default could hang far longer."""

    @property
    def group(self) -> str:
        parts = [self.scenario]
        if self.latency_ms is not None:
            parts.append(f"@{self.latency_ms}ms")
        if self.rows is not None:
            parts.append(f"{self.rows}rows")
        return " ".join(parts)

    def extra_info(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_extra_info(cls, info: dict[str, Any]) -> Label:
        fields = {k: info[k] for k in cls.__dataclass_fields__ if k in info}
        return cls(**fields)


@dataclass(frozen=True)
class Profile:
    """How much to measure: `quick` keeps the whole suite under two minutes for CI."""

    quick: bool
    rounds: int
    """Rounds of each cheap variant (healthy reads, breaker-open calls, writes)."""
    slow_rounds: int
    """Rounds of each variant that takes seconds (deadlines, retried refusals)."""
    bound_s: float
    """Cap on a spec-faithful call that would otherwise hang up to supabase-py's 120 s default.

    Kept below the gateway's 30 s keep-alive close (see the report's Method), so quick and full runs
    see the same outcome for a hung write: cut at the bound."""
    merge_rounds: int
    throughput_batch: int
    speed_seconds: int = 5
    """Length of one wrk run of the gateway-vs-bare benchmark."""
    speed_rounds: int = 3
    """wrk runs per server and query, alternating gateway and bare endpoint."""
    speed_warmup_s: int = 1
    """An unrecorded wrk run per server and query first (0: none, the quick profile's few seconds)."""

    @classmethod
    def for_mode(cls, quick: bool) -> Profile:
        if quick:
            return cls(
                quick=True,
                rounds=5,
                slow_rounds=1,
                bound_s=8.0,
                merge_rounds=3,
                throughput_batch=50,
                speed_seconds=1,
                speed_rounds=1,
                speed_warmup_s=0,
            )
        return cls(quick=False, rounds=20, slow_rounds=3, bound_s=20.0, merge_rounds=10, throughput_batch=200)

    @classmethod
    def from_env(cls) -> Profile:
        return cls.for_mode(os.environ.get("FALLBACK_BENCH_QUICK", "0") not in ("", "0", "false", "no"))


DEFAULT_STATE_DIR = Path(".stack-bench")
DEFAULT_BASE_PORT = 25800


def stack_location() -> tuple[Path, int]:
    """Where the benchmark stack lives: env `FALLBACK_BENCH_STATE_DIR`, `FALLBACK_BENCH_BASE_PORT`.

    Its own state dir and ports, so a benchmark run never touches a developer's or the tests' stack.
    """
    state_dir = Path(os.environ.get("FALLBACK_BENCH_STATE_DIR", str(DEFAULT_STATE_DIR)))
    base_port = int(os.environ.get("FALLBACK_BENCH_BASE_PORT", str(DEFAULT_BASE_PORT)))
    return state_dir, base_port
