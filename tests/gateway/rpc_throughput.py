"""RPC calls against a simple select through the same gateway, in one run (a measurement, not a test).

    .venv/bin/python -m tests.gateway.rpc_throughput [--rounds 3] [--seconds 5] [--connections 8]

One throwaway PostgreSQL cluster (100 profiles) and one gateway (service_role key). Each round runs
every request kind below for `--seconds` after a one-second warm-up, in the same order as throughput.py
alternates code roots (forward, then reversed every other round), with `--connections` keep-alive
connections each sending one request after another (throughput.py's minimal HTTP/1.1 client, so that
the load generator takes as little of the 2-core machine as possible). Prints per round and kind the
requests per second, the p50 and p99 latency, and the gateway's CPU time per request; then the medians
over rounds and each RPC kind relative to the select. Every request must answer 200.

    select      GET  /rest/v1/profiles?select=id&limit=1               (the issue's simple select)
    rpc-set     GET  /rest/v1/rpc/all_profiles?select=id&limit=1      (the same rows through a function)
    rpc-scalar  POST /rest/v1/rpc/add_them  {"a": 1, "b": 2}          (named arguments from a JSON body)
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import statistics
import sys
import time
from dataclasses import dataclass

from ._cluster import GatewayProcess, PgCluster, free_port, make_template, mint
from .throughput import _cpu_seconds, _execute

FUNCTIONS = """
INSERT INTO public.profiles (user_id, email, role)
  SELECT gen_random_uuid(), 'user' || n || '@example.com', 'user' FROM generate_series(1, 100) n;
CREATE FUNCTION public.all_profiles() RETURNS SETOF public.profiles
  LANGUAGE sql STABLE AS $$ SELECT * FROM public.profiles $$;
CREATE FUNCTION public.add_them(a integer, b integer) RETURNS integer
  LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
"""
KINDS = {
    "select": ("GET", "/rest/v1/profiles?select=id&limit=1", b""),
    "rpc-set": ("GET", "/rest/v1/rpc/all_profiles?select=id&limit=1", b""),
    "rpc-scalar": ("POST", "/rest/v1/rpc/add_them", b'{"a": 1, "b": 2}'),
}


@dataclass(frozen=True)
class Figures:
    rate: float
    p50_ms: float
    p99_ms: float
    cpu_us: float


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


def _request(kind: str, key: str) -> bytes:
    method, path, body = KINDS[kind]
    head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\napikey: {key}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def measure(gateway: GatewayProcess, request: bytes, seconds: float, connections: int) -> Figures:
    assert gateway.proc is not None
    asyncio.run(_load(gateway.port, request, 1.0, connections))
    cpu, start = _cpu_seconds(gateway.proc.pid), time.monotonic()
    latencies = asyncio.run(_load(gateway.port, request, seconds, connections))
    elapsed, cpu = time.monotonic() - start, _cpu_seconds(gateway.proc.pid) - cpu
    cuts = statistics.quantiles(latencies, n=100)
    return Figures(len(latencies) / elapsed, cuts[49] * 1e3, cuts[98] * 1e3, cpu / len(latencies) * 1e6)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.gateway.rpc_throughput", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    template = make_template()
    pg = PgCluster(template, free_port(26100, 26199))
    gateway: GatewayProcess | None = None
    results: dict[str, list[Figures]] = {kind: [] for kind in KINDS}
    try:
        pg.start()
        pg.apply_schema()
        _execute(pg, FUNCTIONS)
        secret = secrets.token_urlsafe(32)
        key = mint(secret, "service_role", exp_in=86400)
        config: dict[str, object] = {
            "name": "BENCH",
            "db_dsn": pg.authenticator_dsn,
            "jwt_secret": secret,
            "api_keys": [key],
        }
        gateway = GatewayProcess(pg.root, free_port(26300, 26399), config)
        gateway.start()
        gateway.wait_ready()
        kinds = list(KINDS)
        for number in range(1, args.rounds + 1):
            for kind in kinds if number % 2 else reversed(kinds):
                figures = measure(gateway, _request(kind, key), args.seconds, args.connections)
                results[kind].append(figures)
                print(
                    f"round {number}  {kind:<10} {figures.rate:8.1f} req/s  p50 {figures.p50_ms:6.2f} ms  "
                    f"p99 {figures.p99_ms:6.2f} ms  {figures.cpu_us:6.0f} µs CPU/request",
                    flush=True,
                )
    finally:
        if gateway is not None:
            gateway.stop()
        pg.destroy()
        shutil.rmtree(template, ignore_errors=True)
    medians = {
        kind: Figures(*(statistics.median(getattr(f, field) for f in figures) for field in Figures.__annotations__))
        for kind, figures in results.items()
    }
    base = medians["select"]
    for kind, m in medians.items():
        print(
            f"median  {kind:<10} {m.rate:8.1f} req/s ({m.rate / base.rate:4.2f}x select)  "
            f"p50 {m.p50_ms:6.2f} ms ({m.p50_ms / base.p50_ms:4.2f}x)  p99 {m.p99_ms:6.2f} ms  "
            f"{m.cpu_us:6.0f} µs CPU/request"
        )


if __name__ == "__main__":
    sys.exit(main())
