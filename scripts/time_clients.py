"""Quick timings of both clients on a private stack (not assertions: figures for a report).

python scripts/time_clients.py [--state-dir /tmp/client-timing-stack] [--base-port 27300]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fallback.client import Deadline, ReferenceClient, SpecFaithfulClient
from fallback.client.config import sources_from_stack
from fallback.client.merge import Concat, PriorityDedup, SourceRows
from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy, timeout

SEED = {"profiles": {"PRIMARY": 50, "BOLT": 30, "OLD": 20}, "user_challenges": {"PRIMARY": 45, "BOLT": 25, "OLD": 15}}


def row() -> dict[str, Any]:
    return {"user_id": str(uuid.uuid4()), "email": f"t-{uuid.uuid4().hex[:8]}@example.com"}


async def timed(make: Callable[[], Awaitable[Any]], n: int = 1) -> tuple[float, Any]:
    """Median milliseconds over n runs, and the last result."""
    times, result = [], None
    for _ in range(n):
        start = time.perf_counter()
        result = await make()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def report(label: str, ms: float, extra: str = "") -> None:
    print(f"{label:<62} {ms:>9.1f} ms  {extra}")


async def measure(state: StackState, toxics: Toxiproxy, cache: Path) -> None:
    deadline = Deadline()  # the defaults: connect 1 s, read 2 s, total 2.5 s
    three = ReferenceClient.from_stack(state, cache_dir=cache / "a", deadline=deadline)
    one = ReferenceClient(sources_from_stack(state)[:1], cache_dir=cache / "b", deadline=deadline)
    await three.load("user_challenges")
    await one.load("user_challenges")  # warm connections
    ms, _ = await timed(lambda: three.load("user_challenges"), 30)
    report("load, 3 healthy sources, merged (median of 30)", ms)
    ms, _ = await timed(lambda: one.load("user_challenges"), 30)
    report("load, 1 source (median of 30)", ms)
    spec = SpecFaithfulClient.from_stack(state)
    await spec.load("user_challenges")
    ms, _ = await timed(lambda: spec.load("user_challenges"), 30)
    report("spec-faithful load, 3 healthy sources, sequential (median of 30)", ms)

    toxics.add("PRIMARY.api", timeout(0))
    fresh = ReferenceClient.from_stack(state, cache_dir=cache / "c", deadline=deadline)
    ms, result = await timed(lambda: fresh.load("user_challenges"))
    report("load, PRIMARY hanging (blackhole), default deadline", ms, f"PRIMARY: {result.attempts[0].kind}")
    short = ReferenceClient.from_stack(state, cache_dir=cache / "d", deadline=Deadline(total=0.5, read=0.5))
    ms, result = await timed(lambda: short.load("user_challenges"))
    report("load, PRIMARY hanging, deadline total 0.5 s", ms, f"PRIMARY: {result.attempts[0].kind}")
    ms, result = await timed(lambda: fresh.create("user_challenges", row()))
    report("create, PRIMARY hanging (default policy: budget 6 s)", ms, f"outcome {result.outcome}")
    for _ in range(3):
        await fresh.create("user_challenges", row())
    ms, result = await timed(lambda: fresh.create("user_challenges", row()), 10)
    report("create, PRIMARY hanging, its breaker open (median of 10)", ms, f"-> {result.source}")
    toxics.reset()
    await asyncio.sleep(0.5)
    resolutions = await fresh.resolve_pending()
    print(f"{'':<62} resolve_pending after recovery: {[(r.outcome, r.source) for r in resolutions]}")

    toxics.down("PRIMARY.api")
    refused = ReferenceClient.from_stack(state, cache_dir=cache / "e", deadline=deadline)
    await refused.create("user_challenges", row())
    ms, result = await timed(lambda: refused.create("user_challenges", row()), 3)
    report("create, PRIMARY refused, breaker still closed (median of 3)", ms, f"-> {result.source}")
    for _ in range(4):
        await refused.create("user_challenges", row())
    ms, result = await timed(lambda: refused.create("user_challenges", row()), 10)
    report("create, PRIMARY refused, breaker open (median of 10)", ms, f"-> {result.source}")
    ms, result = await timed(lambda: spec.create("user_challenges", row()), 3)
    report("spec-faithful create, PRIMARY refused (median of 3)", ms, f"-> {result.source}")
    ms, result = await timed(lambda: spec.load("user_challenges"))
    report("spec-faithful load, PRIMARY refused (postgrest retries 1+2+4 s)", ms)
    ms, result = await timed(lambda: refused.load("user_challenges"), 10)
    report("load, PRIMARY refused (median of 10)", ms)
    toxics.reset()
    for client in (three, one, spec, fresh, short, refused):
        await client.aclose()


def merge_timings() -> None:
    shared = [{"id": f"shared-{i}", "v": i} for i in range(10_000)]
    answers = [
        SourceRows("PRIMARY", [{"id": str(uuid.uuid4()), "v": i} for i in range(40_000)] + shared),
        SourceRows("BOLT", [{"id": str(uuid.uuid4()), "v": i} for i in range(20_000)] + shared[:5_000]),
        SourceRows("OLD", [{"id": str(uuid.uuid4()), "v": i} for i in range(20_000)] + shared[5_000:]),
    ]
    total = sum(len(a.rows) for a in answers)
    for policy in (Concat(), PriorityDedup("id")):
        start = time.perf_counter()
        merged = policy(answers)
        ms = (time.perf_counter() - start) * 1000
        extra = f"{total} rows in, {len(merged.rows)} out, {len(merged.duplicates)} duplicates reported"
        report(f"merge {type(policy).__name__}, 100,000 rows", ms, extra)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state-dir", type=Path, default=Path("/tmp/client-timing-stack"))
    parser.add_argument("--base-port", type=int, default=27300)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    merge_timings()
    options = stack_lib.StackOptions(state_dir=args.state_dir, base_port=args.base_port)
    with stack_lib.running_stack(options) as state, Toxiproxy(state.toxiproxy_url) as toxics:
        toxics.reset()
        stack_lib.reseed(state, SEED)
        with tempfile.TemporaryDirectory() as cache:
            asyncio.run(measure(state, toxics, Path(cache)))
        toxics.reset()


if __name__ == "__main__":
    main()
