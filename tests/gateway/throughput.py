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
process's own CPU time per request (user + system, from /proc: psutil is not a dependency), which
other load changes much less.

The load generator is a minimal HTTP/1.1 client on asyncio streams (not httpx): on a 2-core machine
the client shares the CPU with the gateway, and a lighter client leaves more of it to the gateway.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import statistics
import sys
import time
from pathlib import Path

import asyncpg

from ._cluster import REPO, GatewayProcess, PgCluster, free_port, make_template, mint, run_sync

PATH = "/rest/v1/profiles?select=id,email&limit=10"


async def _connection(port: int, request: bytes, stop_at: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            writer.write(request)
            status_line = await reader.readline()
            if b" 200 " not in status_line:
                raise RuntimeError(f"unexpected answer: {status_line!r}")
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            counts[0] += 1
    finally:
        writer.close()


async def _load(port: int, request: bytes, seconds: float, connections: int) -> int:
    counts = [0]
    start = time.monotonic()
    await asyncio.gather(*(_connection(port, request, start + seconds, counts) for _ in range(connections)))
    return counts[0]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _execute(pg: PgCluster, query: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(pg.superuser_dsn)
        try:
            await conn.execute(query)
        finally:
            await conn.close()

    run_sync(run)


def measure(root: Path, pg: PgCluster, seconds: float, connections: int) -> tuple[float, float]:
    """(requests per second, gateway CPU microseconds per request)."""
    secret = secrets.token_urlsafe(32)
    key = mint(secret, "service_role", exp_in=86400)
    config: dict[str, object] = {
        "name": "BENCH",
        "db_dsn": pg.authenticator_dsn,
        "jwt_secret": secret,
        "api_keys": [key],
    }
    gateway = GatewayProcess(pg.root, free_port(26300, 26399), config, cwd=root)
    request = f"GET {PATH} HTTP/1.1\r\nHost: bench\r\napikey: {key}\r\n\r\n".encode()
    try:
        gateway.start()
        gateway.wait_ready()
        asyncio.run(_load(gateway.port, request, 1.0, connections))
        assert gateway.proc is not None
        cpu, start = _cpu_seconds(gateway.proc.pid), time.monotonic()
        count = asyncio.run(_load(gateway.port, request, seconds, connections))
        elapsed, cpu = time.monotonic() - start, _cpu_seconds(gateway.proc.pid) - cpu
        return count / elapsed, cpu / count * 1e6
    finally:
        gateway.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.gateway.throughput", description=__doc__)
    parser.add_argument("--code", action="append", type=Path, help="a directory holding a `fallback` package")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    roots: list[Path] = [root.resolve() for root in args.code or [REPO]]
    template = make_template()
    pg = PgCluster(template, free_port(26100, 26199))
    results: dict[Path, list[tuple[float, float]]] = {root: [] for root in roots}
    try:
        pg.start()
        pg.apply_schema()
        _execute(
            pg,
            "INSERT INTO public.profiles (user_id, email, role) "
            "SELECT gen_random_uuid(), 'user' || n || '@example.com', 'user' FROM generate_series(1, 100) n",
        )
        for number in range(1, args.rounds + 1):
            for root in roots if number % 2 else reversed(roots):
                rate, cpu = measure(root, pg, args.seconds, args.connections)
                results[root].append((rate, cpu))
                print(f"round {number}  {root}  {rate:8.1f} req/s  {cpu:6.0f} µs CPU/request", flush=True)
    finally:
        pg.destroy()
        shutil.rmtree(template, ignore_errors=True)
    for root, figures in results.items():
        rate = statistics.median(rate for rate, _ in figures)
        cpu = statistics.median(cpu for _, cpu in figures)
        print(f"median  {root}  {rate:8.1f} req/s  {cpu:6.0f} µs CPU/request")


if __name__ == "__main__":
    sys.exit(main())
