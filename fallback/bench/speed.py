"""The gateway's speed against its floor: the same three requests through the gateway and through a bare
Starlette + asyncpg endpoint (bare_endpoint.py) on the same database, under the same wrk load, in one run.

    select  GET /rest/v1/user_challenges?select=id&limit=1   (service_role)
    embed   GET /rest/v1/bench_posts?select=id,title,bench_authors(name)&order=id&limit=10
    rpc     POST /rest/v1/rpc/bench_post_count {"author": 1}

Both servers are hit directly (not through Toxiproxy's API link); both reach PostgreSQL through the
source's `.db` link with the gateway's own `authenticator` login and pool size. Rounds alternate
gateway, bare, gateway, bare ..., so load from elsewhere on the machine spreads over both; the ratios
are of the medians over rounds. Measured and reported, never asserted.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from fallback.bench import load
from fallback.bench.labels import GATEWAY_SPEED
from fallback.stack.state import StackState

SOURCE = "PRIMARY"
BARE_PORT_OFFSET = 90
"""The bare endpoint's port: the benchmark stack's base port + 90 (free in the stack's layout)."""
CONNECTIONS = 8

FIXTURE_SQL = """
DROP TABLE IF EXISTS public.bench_posts, public.bench_authors CASCADE;
CREATE TABLE public.bench_authors (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.bench_posts (id int PRIMARY KEY, title text NOT NULL,
                                 author_id int NOT NULL REFERENCES public.bench_authors(id));
INSERT INTO public.bench_authors SELECT i, 'author ' || i FROM generate_series(1, 10) i;
INSERT INTO public.bench_posts SELECT i, 'post ' || i, 1 + i % 10 FROM generate_series(1, 100) i;
CREATE OR REPLACE FUNCTION public.bench_post_count(author int) RETURNS bigint
  LANGUAGE sql STABLE AS $$ SELECT count(*) FROM public.bench_posts WHERE author_id = author $$;
GRANT SELECT ON public.bench_authors, public.bench_posts TO service_role;
GRANT EXECUTE ON FUNCTION public.bench_post_count(int) TO service_role;
"""


@dataclass(frozen=True)
class Target:
    name: str
    method: str
    path: str
    """Under `/rest/v1` on the gateway."""
    body: str | None = None


TARGETS: tuple[Target, ...] = (
    Target("select", "GET", "/user_challenges?select=id&limit=1"),
    Target("embed", "GET", "/bench_posts?select=id,title,bench_authors(name)&order=id&limit=10"),
    Target("rpc", "POST", "/rpc/bench_post_count", json.dumps({"author": 1})),
)


@dataclass(frozen=True)
class SpeedResult:
    """Every round of one target, both servers; stored as the benchmark's `extra_info["speed"]`."""

    target: str
    gateway: tuple[load.LoadRun, ...]
    bare: tuple[load.LoadRun, ...]

    def info(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "gateway": [asdict(r) for r in self.gateway],
            "bare": [asdict(r) for r in self.bare],
        }

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> SpeedResult:
        def runs(key: str) -> tuple[load.LoadRun, ...]:
            return tuple(load.LoadRun(**run) for run in info[key])

        return cls(str(info["target"]), runs("gateway"), runs("bare"))

    @property
    def gateway_rps(self) -> float:
        return statistics.median(r.rps for r in self.gateway)

    @property
    def bare_rps(self) -> float:
        return statistics.median(r.rps for r in self.bare)

    @property
    def gateway_p50_ms(self) -> float:
        return statistics.median(r.p50_ms for r in self.gateway)

    @property
    def bare_p50_ms(self) -> float:
        return statistics.median(r.p50_ms for r in self.bare)

    def cpu_us(self, name: str) -> float | None:
        values = [r.server_cpu_us for r in (self.gateway if name == "gateway" else self.bare)]
        return statistics.median(v for v in values if v is not None) if all(v is not None for v in values) else None

    @property
    def rps_ratio(self) -> float:
        """Gateway throughput / bare throughput (goal: at least 0.8)."""
        return self.gateway_rps / self.bare_rps

    @property
    def p50_ratio(self) -> float:
        """Gateway p50 / bare p50 (goal: at most 1.2)."""
        return self.gateway_p50_ms / self.bare_p50_ms


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of `pid` from /proc (Linux; psutil is not a dependency for this one read)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_run(request: load.Request, pid: int, seconds: int) -> load.LoadRun:
    before = _cpu_s(pid)
    run = load.run(request, seconds=seconds, connections=CONNECTIONS)
    return dataclasses.replace(run, server_cpu_us=(_cpu_s(pid) - before) * 1e6 / run.requests)


def gateway_pid(state: StackState) -> int:
    return next(p.pid for p in state.processes if p.kind.value == "gateway" and p.source == SOURCE)


def _gateway_dsn(state: StackState) -> str:
    """The gateway's own database login (authenticator through the `.db` link), from its config file."""
    config = Path(state.state_dir) / SOURCE / "gateway.json"
    if not config.is_file():
        raise load.LoadError(f"no {config}: the speed benchmark needs the embedded stack with our gateway")
    return str(json.loads(config.read_text(encoding="utf-8"))["db_dsn"])


async def install_fixture(state: StackState) -> None:
    """The embed and RPC targets' tables and function (the event trigger reloads the gateway's cache)."""
    conn = await asyncpg.connect(state.source(SOURCE).db_dsn)
    try:
        await conn.execute(FIXTURE_SQL)
        await conn.execute("NOTIFY pgrst, 'reload schema'")
    finally:
        await conn.close()


def _wait_http(url: str, proc: subprocess.Popen[bytes] | None = None, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise load.LoadError(f"the bare endpoint exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise load.LoadError(f"{url} never answered 200")


@contextmanager
def bare_endpoint(state: StackState, port: int) -> Iterator[Server]:
    """The bare endpoint as a child process for the block; its base URL. Stopped (and reaped) at the end."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise load.LoadError(f"port {port} for the bare endpoint is in use") from None
    argv = [sys.executable, "-m", "fallback.bench.bare_endpoint", "--dsn", _gateway_dsn(state), "--port", str(port)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/select", proc)
        yield Server(url, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def requests_for(state: StackState, bare_url: str, target: Target) -> tuple[load.Request, load.Request]:
    """(through the gateway, to the bare endpoint) for one target."""
    source = state.source(SOURCE)
    key = source.service_role_key
    headers: tuple[tuple[str, str], ...] = (("apikey", key), ("Authorization", f"Bearer {key}"))
    if target.body is not None:
        headers += (("Content-Type", "application/json"),)
    gateway = load.Request(f"{source.direct_api_url}/rest/v1{target.path}", target.method, headers, target.body)
    return gateway, load.Request(f"{bare_url}/{target.name}", target.method, headers, target.body)


def check_same_answer(gateway: load.Request, bare: load.Request) -> None:
    """Both servers must answer 200 with the same JSON, or the comparison means nothing."""
    answers = [
        httpx.request(r.method, r.url, headers=dict(r.headers), content=r.body, timeout=10) for r in (gateway, bare)
    ]
    if any(a.status_code != 200 for a in answers) or answers[0].json() != answers[1].json():
        got = [f"{a.status_code} {a.text[:200]}" for a in answers]
        raise load.LoadError(f"the gateway and the bare endpoint answer differently: {got}")


def measure_target(
    state: StackState, bare_server: Server, target: Target, *, seconds: int, rounds: int, warmup_s: int = 1
) -> SpeedResult:
    gateway, bare = requests_for(state, bare_server.url, target)
    check_same_answer(gateway, bare)
    for request in (gateway, bare) if warmup_s else ():
        load.run(request, seconds=warmup_s, connections=CONNECTIONS)
    runs: dict[str, list[load.LoadRun]] = {"gateway": [], "bare": []}
    pids = {"gateway": gateway_pid(state), "bare": bare_server.pid}
    for index in range(rounds):
        order = [("gateway", gateway), ("bare", bare)]
        for name, request in order if index % 2 == 0 else order[::-1]:
            runs[name].append(timed_run(request, pids[name], seconds))
    return SpeedResult(target.name, tuple(runs["gateway"]), tuple(runs["bare"]))


def speed_results(data: Mapping[str, Any]) -> tuple[SpeedResult, ...]:
    """The speed figures in pytest-benchmark's JSON document, in TARGETS order."""
    found = [
        SpeedResult.from_info(entry["extra_info"]["speed"])
        for entry in data.get("benchmarks") or []
        if (entry.get("extra_info") or {}).get("scenario") == GATEWAY_SPEED and "speed" in entry["extra_info"]
    ]
    order = [t.name for t in TARGETS]
    return tuple(sorted(found, key=lambda r: order.index(r.target) if r.target in order else len(order)))


def _cpu_cell(gateway: float | None, bare: float | None) -> str:
    if gateway is None or bare is None:
        return "n/a"
    return f"{gateway:.0f} / {bare:.0f} ({gateway / bare:.2f}x)"


def speed_rows(results: Sequence[SpeedResult]) -> list[tuple[str, ...]]:
    return [
        (
            r.target,
            f"{r.gateway_rps:,.0f}",
            f"{r.bare_rps:,.0f}",
            f"{r.rps_ratio:.2f}x",
            f"{r.gateway_p50_ms:.2f}",
            f"{r.bare_p50_ms:.2f}",
            f"{r.p50_ratio:.2f}x",
            _cpu_cell(r.cpu_us("gateway"), r.cpu_us("bare")),
            str(len(r.gateway)),
        )
        for r in results
    ]


SPEED_NOTE = (
    f"wrk, {CONNECTIONS} connections, straight to each server; ratios of the medians over rounds. Goal: "
    "throughput ratio >= 0.8 and p50 ratio <= 1.2 (the gateway adds apikey/JWT checks and the PostgREST dialect)."
)
SPEED_HEADER = (
    "query",
    "gateway req/s",
    "bare req/s",
    "throughput ratio",
    "gateway p50 ms",
    "bare p50 ms",
    "p50 ratio",
    "server CPU us/req (gateway / bare)",
    "rounds",
)
