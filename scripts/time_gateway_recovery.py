"""How long a gateway takes to answer again after its PostgreSQL is killed and restarted (issue 15).

    .venv/bin/python scripts/time_gateway_recovery.py [--tries 5] [--base-port 28500] [--kind kill|restart]

A measurement, not a test: on a dedicated stack (state dir `.stack-time-gateway-recovery`), per try,
PRIMARY's PostgreSQL is taken down by the registry's fault (`kill` with `restart_after` 0, then
cleared: the restart; or `restart`: a clean stop and start), and PRIMARY's gateway `/ready` is polled
every 20 ms from the moment PostgreSQL accepts connections again (the restart waits for pg_isready).
Printed: the median and range of the time from PostgreSQL back to `/ready` 200, and how long
PostgreSQL itself was down. The gateway reconnects by itself with backoff (1 s, doubling, capped
at 32 s): what it shows depends on where in its backoff PostgreSQL came back.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import httpx

from fallback.faults import Controls, Fault
from fallback.stack import stack as stack_lib
from fallback.toxics import Toxiproxy

STATE_DIR = Path(__file__).resolve().parents[1] / ".stack-time-gateway-recovery"


def one_try(controls: Controls, ready_url: str, kind: str, down_s: float) -> tuple[float, float]:
    """(PostgreSQL down for, s; gateway ready after PostgreSQL is back, s)."""
    started = time.monotonic()
    if kind == "kill":
        Fault("PRIMARY.postgres", "kill", {"restart_after": 0}).apply(controls)
        time.sleep(down_s)
        Fault("PRIMARY.postgres", "kill").clear(controls)  # restarts it; returns once it accepts connections
    else:
        Fault("PRIMARY.postgres", "restart").apply(controls)
    back = time.monotonic()
    while True:
        try:
            if httpx.get(ready_url, timeout=1.0).status_code == 200:
                return back - started, time.monotonic() - back
        except httpx.HTTPError:
            pass
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--base-port", type=int, default=28500)
    parser.add_argument("--kind", choices=("kill", "restart"), default="kill")
    parser.add_argument("--down", type=float, default=2.0, help="seconds PostgreSQL stays dead after a kill")
    args = parser.parse_args()
    options = stack_lib.StackOptions(state_dir=STATE_DIR, base_port=args.base_port)
    try:
        state, _ = stack_lib.up(options)
        ready_url = f"{state.source('PRIMARY').direct_api_url}/ready"
        downs, recoveries = [], []
        with Toxiproxy(state.toxiproxy_url) as toxiproxy:
            controls = Controls.of_stack(toxiproxy, state)
            for n in range(args.tries):
                stack_lib.wait_until_healthy(state)
                time.sleep(1.0)  # the gateway settled: its backoff starts from the beginning
                down, recovery = one_try(controls, ready_url, args.kind, args.down)
                downs.append(down)
                recoveries.append(recovery)
                print(f"try {n + 1}: PostgreSQL down {down:.2f} s, gateway ready {recovery:.2f} s after it was back")
        print(
            f"{args.kind}: gateway /ready 200 after PostgreSQL back: median {statistics.median(recoveries):.2f} s "
            f"(range {min(recoveries):.2f}-{max(recoveries):.2f} s, {args.tries} tries); "
            f"PostgreSQL down median {statistics.median(downs):.2f} s"
        )
    finally:
        stack_lib.down(STATE_DIR, purge=True)


if __name__ == "__main__":
    main()
