"""How long a run takes to notice a `kill -9` of a gateway or a postmaster (issue 12, defect 10).

    .venv/bin/python scripts/time_dead_process.py [--tries 5] [--base-port 26000]

A measurement, not a test: per try, a fresh dedicated stack (state dir `.stack-time-dead-process`),
a 20 s scenario's workload through a `RunSession`, the process killed 3 s into the workload. Printed
per role: the median (and range) of the time from the kill to the watch noticing it, and to the
session's end (the workload stopped, faults cleared, client closed, tables read).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
from pathlib import Path

from fallback.engine.session import RunSession, SessionPlan
from fallback.scenario import Scenario
from fallback.stack import stack as stack_lib

STATE_DIR = Path(__file__).resolve().parents[1] / ".stack-time-dead-process"
KILL_AT_S = 3.0
SCENARIO = Scenario.model_validate(
    {
        "name": "long-run",
        "description": "steady reads and writes for 20 s",
        "workload": {
            "steps": [
                {
                    "parallel": [
                        {"op": "load", "rate": "10/s", "duration": "20s"},
                        {"op": "create", "rate": "5/s", "duration": "20s"},
                    ]
                }
            ]
        },
    }
)


async def one_try(role: str, base_port: int) -> tuple[float, float]:
    """(kill -> noticed, kill -> session ended), in seconds on the run's clock."""
    await asyncio.to_thread(stack_lib.down, STATE_DIR)
    state, _ = await asyncio.to_thread(stack_lib.up, stack_lib.StackOptions(state_dir=STATE_DIR, base_port=base_port))
    try:
        record = next(p for p in state.processes if p.role == role)
        seed = {"user_challenges": {"PRIMARY": 5}}
        plan = SessionPlan(client="reference", op_deadline_s=5, seed_rows=seed, writes=("create",))
        killed: list[float] = []
        async with RunSession(state, plan) as session:

            async def kill() -> None:
                await asyncio.sleep(KILL_AT_S)
                os.kill(record.pid, signal.SIGKILL)
                killed.append(session.clock())

            tasks: list[asyncio.Task[None]] = []

            def start_killer() -> None:  # when the workload's clock starts
                tasks.append(asyncio.create_task(kill()))

            await session.drive(session.runner.run(SCENARIO.workload), on_start=start_killer)
        ended = session.clock()
        assert session.dead is not None, "the kill was not noticed"
        return session.dead.at_s - killed[0], ended - killed[0]
    finally:
        await asyncio.to_thread(stack_lib.down, STATE_DIR, True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--base-port", type=int, default=26000)
    args = parser.parse_args()
    for role in ("gateway:BOLT", "postgres:PRIMARY"):
        noticed, ended = [], []
        for _ in range(args.tries):
            n, e = asyncio.run(one_try(role, args.base_port))
            noticed.append(n)
            ended.append(e)
        print(
            f"{role}: kill -> noticed median {statistics.median(noticed):.3f} s (min {min(noticed):.3f}, "
            f"max {max(noticed):.3f}); kill -> run ended median {statistics.median(ended):.3f} s "
            f"(min {min(ended):.3f}, max {max(ended):.3f}); {args.tries} tries"
        )


if __name__ == "__main__":
    main()
