"""Requests per second of a simple select, straight to the gateway (a measurement, not a test).

    .venv/bin/python -m tests.gateway.throughput [--code ROOT ...] [--rounds 3] [--seconds 5]

Starts one throwaway PostgreSQL cluster (seeded with 100 profiles), then for each round and each
code root starts a gateway from that root's `fallback` package, warms it up for one second and
counts the answers to `GET /rest/v1/profiles?select=id,email&limit=10` over `--seconds`, with
`--connections` keep-alive connections each sending one request after another. Roots alternate
within a round, in reverse order every other round (A B, B A, ...), so that load from other processes
on the machine, and any advantage of going first, spread over all of them. Prints every
round and the median per root. Every request must answer 200; any other answer stops the run.

Besides requests per second, which depend on everything else the machine runs, it prints the gateway
process's own CPU time per request, which other load changes much less. The load generator is `_wire.py`'s.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from ._cluster import REPO, GatewayProcess, PgCluster, free_port, make_template, mint
from ._wire import Figures, Request, arguments, execute, gateway_config
from ._wire import measure as measure_gateway

REQUEST = Request("GET", "/rest/v1/profiles?select=id,email&limit=10")
PROFILES = (
    "INSERT INTO public.profiles (user_id, email, role) "
    "SELECT gen_random_uuid(), 'user' || n || '@example.com', 'user' FROM generate_series(1, 100) n"
)


def measure(root: Path, pg: PgCluster, seconds: float, connections: int) -> Figures:
    """A fresh gateway from `root`'s code, loaded for `seconds` after a second of warm-up."""
    secret = secrets.token_urlsafe(32)
    key = mint(secret, "service_role", exp_in=86400)
    gateway = GatewayProcess(pg.root, free_port(26300, 26399), gateway_config(pg, secret, key), cwd=root)
    try:
        gateway.start()
        gateway.wait_ready()
        return measure_gateway(gateway, REQUEST.wire(key), seconds, connections)
    finally:
        gateway.stop()


def main(argv: list[str] | None = None) -> None:
    parser = arguments("throughput", __doc__, argv)
    parser.add_argument("--code", action="append", type=Path, help="a directory holding a `fallback` package")
    args = parser.parse_args(argv)
    roots: list[Path] = [root.resolve() for root in args.code or [REPO]]
    template = make_template()
    pg = PgCluster(template, free_port(26100, 26199))
    results: dict[Path, list[Figures]] = {root: [] for root in roots}
    try:
        pg.start()
        pg.apply_schema()
        execute(pg, PROFILES)
        for number in range(1, args.rounds + 1):
            for root in roots if number % 2 else reversed(roots):
                figures = measure(root, pg, args.seconds, args.connections)
                results[root].append(figures)
                print(f"round {number}  {root}  {figures.line()}", flush=True)
    finally:
        pg.destroy()
        shutil.rmtree(template, ignore_errors=True)
    for root, rounds in results.items():
        print(f"median  {root}  {Figures.median(rounds).line()}")


if __name__ == "__main__":
    main()
