"""Throughput and latency of an embedded select beside a plain select, one gateway (a measurement, not a test).

    .venv/bin/python -m tests.gateway.embed_throughput [--rounds 3] [--seconds 5] [--connections 8]

Starts one throwaway PostgreSQL cluster with the embedding fixture (conformance/embed_fixture.sql,
schema `test`), one gateway in front of it, and then, for each round, loads it with the two queries in
turn (A B, then B A, ...) with `--connections` keep-alive connections each sending one request after
another (service_role):

    plain     GET /rest/v1/projects?select=id,name
    embedded  GET /rest/v1/projects?select=id,name,clients(name),tasks(id,name)

Prints per round requests per second, p50 and p99 latency and the gateway process's CPU time per request;
then the medians per query and the median of the rounds' embedded/plain ratios (each round's pair ran
back to back, so it shares the machine's load). Every request must answer 200. The load generator is the
minimal HTTP/1.1 client of `throughput.py` plus a clock around each request.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import statistics
import sys
import time
from pathlib import Path

import asyncpg

from ._cluster import GatewayProcess, PgCluster, free_port, make_template, mint, run_sync
from .throughput import _cpu_seconds

QUERIES = {
    "plain": "/rest/v1/projects?select=id,name",
    "embedded": "/rest/v1/projects?select=id,name,clients(name),tasks(id,name)",
}
FIXTURE = Path(__file__).parent / "conformance" / "embed_fixture.sql"


async def _connection(port: int, request: bytes, stop_at: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (sent := time.monotonic()) < stop_at:
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
            latencies.append(time.monotonic() - sent)
    finally:
        writer.close()


async def _load(port: int, request: bytes, seconds: float, connections: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    start = time.monotonic()
    await asyncio.gather(*(_connection(port, request, start + seconds, latencies) for _ in range(connections)))
    return len(latencies) / (time.monotonic() - start), latencies


def _load_fixture(pg: PgCluster) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(pg.superuser_dsn)
        try:
            await conn.execute(FIXTURE.read_text(encoding="utf-8"))
        finally:
            await conn.close()

    run_sync(run)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.gateway.embed_throughput", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    template = make_template()
    pg = PgCluster(template, free_port(26100, 26199))
    gateway: GatewayProcess | None = None
    results: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in QUERIES}
    try:
        pg.start()
        pg.apply_schema()
        _load_fixture(pg)
        secret = secrets.token_urlsafe(32)
        key = mint(secret, "service_role", exp_in=86400)
        config: dict[str, object] = {
            "name": "BENCH",
            "db_dsn": pg.authenticator_dsn,
            "jwt_secret": secret,
            "api_keys": [key],
            "schemas": ["test"],
        }
        gateway = GatewayProcess(pg.root, free_port(26300, 26399), config)
        gateway.start()
        gateway.wait_ready()
        for number in range(1, args.rounds + 1):
            names = list(QUERIES) if number % 2 else list(reversed(QUERIES))
            for name in names:
                request = f"GET {QUERIES[name]} HTTP/1.1\r\nHost: bench\r\napikey: {key}\r\n\r\n".encode()
                asyncio.run(_load(gateway.port, request, 1.0, args.connections))  # warm-up
                assert gateway.proc is not None
                cpu = _cpu_seconds(gateway.proc.pid)
                rate, latencies = asyncio.run(_load(gateway.port, request, args.seconds, args.connections))
                cpu = (_cpu_seconds(gateway.proc.pid) - cpu) / len(latencies) * 1e6
                cuts = statistics.quantiles(latencies, n=100)
                p50, p99 = cuts[49] * 1e3, cuts[98] * 1e3
                results[name].append((rate, p50, p99, cpu))
                print(
                    f"round {number}  {name:8}  {rate:8.1f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
                    f"{cpu:5.0f} µs gateway CPU/request",
                    flush=True,
                )
    finally:
        if gateway is not None:
            gateway.stop()
        pg.destroy()
        shutil.rmtree(template, ignore_errors=True)
    for name, figures in results.items():
        rate = statistics.median(f[0] for f in figures)
        p50 = statistics.median(f[1] for f in figures)
        p99 = statistics.median(f[2] for f in figures)
        cpu = statistics.median(f[3] for f in figures)
        print(f"median  {name:8}  {rate:8.1f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  {cpu:5.0f} µs CPU/request")
    pairs = list(zip(results["embedded"], results["plain"], strict=True))
    rate_ratio = statistics.median(e[0] / p[0] for e, p in pairs)
    p50_ratio = statistics.median(e[1] / p[1] for e, p in pairs)
    print(f"embedded / plain, median of the rounds' ratios: throughput {rate_ratio:.2f}x  p50 {p50_ratio:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
