"""The load generator shared by the gateway's measurement scripts (throughput.py, embed_throughput.py,
rpc_throughput.py): measurements, not tests.

A minimal HTTP/1.1 client on asyncio streams (not httpx): on a 2-core machine the client shares the CPU
with the gateway, and a lighter client leaves more of it to the gateway. `--connections` keep-alive
connections each send one request after another; every answer must be 200, any other stops the run.
The gateway's own CPU time per request comes from /proc (psutil is not a test dependency), which the
machine's other load changes much less than requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import asyncpg

from ._cluster import GatewayProcess, PgCluster, free_port, make_template, mint, run_sync


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""

    def wire(self, key: str) -> bytes:
        head = f"{self.method} {self.path} HTTP/1.1\r\nHost: bench\r\napikey: {key}\r\n"
        if self.body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(self.body)}\r\n"
        return head.encode() + b"\r\n" + self.body


@dataclass(frozen=True)
class Figures:
    rate: float
    p50_ms: float
    p99_ms: float
    cpu_us: float

    def line(self) -> str:
        return (
            f"{self.rate:8.1f} req/s  p50 {self.p50_ms:6.2f} ms  p99 {self.p99_ms:6.2f} ms  "
            f"{self.cpu_us:6.0f} µs CPU/request"
        )

    @classmethod
    def median(cls, rounds: list[Figures]) -> Figures:
        return cls(*(statistics.median(getattr(f, field.name) for f in rounds) for field in fields(cls)))


async def _connection(port: int, request: bytes, stop_at: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < stop_at:
            sent = time.perf_counter()
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
            latencies.append(time.perf_counter() - sent)
    finally:
        writer.close()


async def _load(port: int, request: bytes, seconds: float, connections: int) -> list[float]:
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(_connection(port, request, stop_at, latencies) for _ in range(connections)))
    return latencies


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def measure(gateway: GatewayProcess, request: bytes, seconds: float, connections: int) -> Figures:
    """One second of warm-up, then `seconds` of load."""
    assert gateway.proc is not None
    asyncio.run(_load(gateway.port, request, 1.0, connections))
    cpu, start = cpu_seconds(gateway.proc.pid), time.monotonic()
    latencies = asyncio.run(_load(gateway.port, request, seconds, connections))
    elapsed, cpu = time.monotonic() - start, cpu_seconds(gateway.proc.pid) - cpu
    cuts = statistics.quantiles(latencies, n=100)
    return Figures(len(latencies) / elapsed, cuts[49] * 1e3, cuts[98] * 1e3, cpu / len(latencies) * 1e6)


def execute(pg: PgCluster, query: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(pg.superuser_dsn)
        try:
            await conn.execute(query)
        finally:
            await conn.close()

    run_sync(run)


def gateway_config(pg: PgCluster, secret: str, key: str, schemas: tuple[str, ...] = ()) -> dict[str, object]:
    config: dict[str, object] = {"name": "BENCH", "db_dsn": pg.authenticator_dsn, "jwt_secret": secret}
    config["api_keys"] = [key]
    if schemas:
        config["schemas"] = list(schemas)
    return config


def arguments(prog: str, description: str | None, argv: list[str] | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m tests.gateway.{prog}", description=description)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    return parser


def compare_kinds(
    args: argparse.Namespace, setup_sql: str, kinds: Mapping[str, Request], schemas: tuple[str, ...] = ()
) -> dict[str, list[Figures]]:
    """One throwaway cluster (`setup_sql` run on it) and one gateway (service_role key); each round loads
    it with every kind in turn, forward then reversed every other round, so that the machine's other load
    spreads over all of them. Prints every round; returns the figures per kind, in round order."""
    template = make_template()
    pg = PgCluster(template, free_port(26100, 26199))
    gateway: GatewayProcess | None = None
    results: dict[str, list[Figures]] = {kind: [] for kind in kinds}
    try:
        pg.start()
        pg.apply_schema()
        execute(pg, setup_sql)
        secret = secrets.token_urlsafe(32)
        key = mint(secret, "service_role", exp_in=86400)
        gateway = GatewayProcess(pg.root, free_port(26300, 26399), gateway_config(pg, secret, key, schemas))
        gateway.start()
        gateway.wait_ready()
        names = list(kinds)
        for number in range(1, args.rounds + 1):
            for kind in names if number % 2 else reversed(names):
                figures = measure(gateway, kinds[kind].wire(key), args.seconds, args.connections)
                results[kind].append(figures)
                print(f"round {number}  {kind:<10} {figures.line()}", flush=True)
    finally:
        if gateway is not None:
            gateway.stop()
        pg.destroy()
        shutil.rmtree(template, ignore_errors=True)
    return results
