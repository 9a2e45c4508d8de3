"""Bring the three-source stack up and down.

Order of start: Toxiproxy (so the `.db` proxies exist), the PostgreSQL clusters, schema
and seed, then the gateways (which reach their database through `<SOURCE>.db`). The
state file is rewritten after every process starts, so even a `kill -9` of `stack up`
leaves enough behind for `stack down` to stop everything. Any failure or interrupt while
starting stops what was started, in reverse order, before the error propagates.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from fallback.faults import Controls, reset_all
from fallback.stack import gateway_process, keys, postgres, process, toxiproxy_server, wait
from fallback.stack.binaries import postgres_bindir
from fallback.stack.binaries import toxiproxy_server as toxiproxy_binary
from fallback.stack.errors import StackNotRunning
from fallback.stack.ports import DEFAULT_BASE_PORT, HOST, PortLayout, ensure_free
from fallback.stack.seed import apply_schema, seed_source
from fallback.stack.state import (
    SOURCE_NAMES,
    ProcessRecord,
    SourceEndpoints,
    StackState,
    load_state,
    save_state,
    state_path,
)
from fallback.toxics import Toxiproxy

DEFAULT_STATE_DIR = Path(".stack")
Seed = Mapping[str, Mapping[str, int]]
"""Rows per table per source: `{"user_challenges": {"PRIMARY": 45, ...}, ...}`."""


@dataclass(frozen=True)
class StackOptions:
    state_dir: Path = DEFAULT_STATE_DIR
    base_port: int = DEFAULT_BASE_PORT
    sources: tuple[str, ...] = SOURCE_NAMES
    seed: Seed | None = None
    gateway_env: Mapping[str, str] = field(default_factory=dict)


def is_healthy(state: StackState) -> bool:
    """Every process alive and every gateway ready."""
    if state.kind == "external":
        from fallback.stack.external import is_reachable  # hosted projects serve no /ready

        return is_reachable(state)
    if state.kind != "embedded":
        return all(_ready(s.direct_api_url) for s in state.sources)
    if not state.processes or not all(process.is_alive(p) for p in state.processes):
        return False
    return all(_ready(s.direct_api_url) for s in state.sources)


RECOVERY_TIMEOUT_S = 70.0
"""Long enough for a gateway's reconnect backoff (1 s doubling, capped at 32 s) to come round."""


def wait_until_healthy(state: StackState, timeout_s: float = RECOVERY_TIMEOUT_S) -> None:
    """Block until every gateway is ready again (after a fault on a `.db` link it reconnects with backoff)."""
    deadline = time.monotonic() + timeout_s
    while not is_healthy(state):
        if time.monotonic() > deadline:
            raise StackNotRunning(f"the stack did not become healthy within {timeout_s:.0f} s")
        time.sleep(0.1)


def make_fresh(state: StackState, toxiproxy: Toxiproxy | None, seed: Seed | None) -> None:
    """No state leaks into the next run: no toxics, every gateway ready, tables truncated and reseeded.

    External projects are never waited on, truncated or seeded: their data is not ours.
    """
    if toxiproxy is not None and state.toxiproxy_url:
        toxiproxy.reset()
    if state.kind == "external":
        return
    wait_until_healthy(state)
    if seed is not None:
        reseed(state, seed)


def _ready(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/ready", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def up(options: StackOptions) -> tuple[StackState, bool]:
    """Start the stack unless a healthy one is already running; returns (state, started_here)."""
    state_dir = options.state_dir.resolve()
    existing = load_state(state_dir)
    if existing is not None:
        if is_healthy(existing):
            if options.seed:
                reseed(existing, options.seed)
            return existing, False
        down(state_dir)  # a crashed or half-stopped run: reap what is left of it
    toxiproxy_binary()  # fail on a missing program before anything starts
    postgres_bindir()
    gateway_process.check_programs()
    layout = PortLayout(options.base_port, len(options.sources))
    ensure_free(layout)
    state_dir.mkdir(parents=True, exist_ok=True)
    builder = _Builder(state_dir, layout, options)
    try:
        state = builder.start()
    except BaseException:
        builder.stop_started()
        raise
    return state, True


class _Builder:
    def __init__(self, state_dir: Path, layout: PortLayout, options: StackOptions) -> None:
        self.state_dir = state_dir
        self.layout = layout
        self.options = options
        self.started: list[ProcessRecord] = []
        self._already_running = set(process.spawned())
        self.toxiproxy_url = f"http://{HOST}:{layout.toxiproxy_api}"

    def _record(self, record: ProcessRecord, sources: tuple[SourceEndpoints, ...] = ()) -> None:
        self.started.append(record)
        save_state(
            StackState(
                state_dir=str(self.state_dir),
                toxiproxy_url=self.toxiproxy_url,
                sources=sources,
                processes=tuple(self.started),
            )
        )

    def start(self) -> StackState:
        names = self.options.sources
        self._record(toxiproxy_server.start(self.state_dir, self.layout.toxiproxy_api))
        toxiproxy_server.create_proxies(
            self.toxiproxy_url,
            [
                proxy
                for i, name in enumerate(names)
                for proxy in (
                    (f"{name}.api", self.layout.source(i).api_proxy, self.layout.source(i).gateway),
                    (f"{name}.db", self.layout.source(i).db_proxy, self.layout.source(i).postgres),
                )
            ],
        )
        for i, name in enumerate(names):
            self._record(postgres.start(self.state_dir, name, self.layout.source(i).postgres))
        for i, name in enumerate(names):
            self._wait_postgres(name, self.layout.source(i).postgres)
        authenticator_password = secrets.token_urlsafe(24)
        sources = tuple(self._endpoints(i, name) for i, name in enumerate(names))
        asyncio.run(self._prepare_databases(sources, authenticator_password))
        records = []
        for i, source in enumerate(sources):
            ports = self.layout.source(i)
            dsn = f"postgresql://authenticator:{authenticator_password}@{HOST}:{ports.db_proxy}/postgres"
            started = gateway_process.start(
                self.state_dir,
                source.name,
                ports.gateway,
                dsn,
                source.jwt_secret,
                [source.anon_key, source.service_role_key],
            )
            for record in started:
                self._record(record, sources)
            records.append(started[-1])
        for i, (source, record) in enumerate(zip(sources, records, strict=True)):
            gateway_process.wait_ready(record, self.state_dir, source.name, self.layout.source(i).gateway)
        state = StackState(
            state_dir=str(self.state_dir),
            toxiproxy_url=self.toxiproxy_url,
            sources=sources,
            processes=tuple(self.started),
        )
        save_state(state)
        return state

    def _wait_postgres(self, name: str, port: int) -> None:
        record = next(p for p in self.started if p.role == f"postgres:{name}")
        pg_isready = str(postgres_bindir() / "pg_isready")

        def accepting() -> bool:
            argv = [pg_isready, "-q", "-h", HOST, "-p", str(port)]
            return subprocess.run(argv, check=False).returncode == 0

        log = postgres.cluster_paths(self.state_dir, name).log
        wait.until(accepting, f"PostgreSQL of {name}", record, log, timeout_s=60)

    def _endpoints(self, index: int, name: str) -> SourceEndpoints:
        ports = self.layout.source(index)
        secret = keys.new_jwt_secret()
        ref = name.lower()
        return SourceEndpoints(
            name=name,
            api_url=f"http://{HOST}:{ports.api_proxy}",
            direct_api_url=f"http://{HOST}:{ports.gateway}",
            db_dsn=postgres.superuser_dsn(self.state_dir, ports.postgres),
            anon_key=keys.api_key(secret, "anon", ref),
            service_role_key=keys.api_key(secret, "service_role", ref),
            jwt_secret=secret,
            api_proxy=f"{name}.api",
            db_proxy=f"{name}.db",
            pg_port=ports.postgres,
            gateway_port=ports.gateway,
            api_proxy_port=ports.api_proxy,
            db_proxy_port=ports.db_proxy,
        )

    async def _prepare_databases(self, sources: tuple[SourceEndpoints, ...], password: str) -> None:
        await asyncio.gather(*(apply_schema(s.db_dsn, password) for s in sources))
        if self.options.seed:
            await _seed_all(sources, self.options.seed)

    def stop_started(self) -> None:
        unnoted = [r for pid, r in process.spawned().items() if pid not in self._already_running]
        _stop_records(list({r.pid: r for r in [*self.started, *unnoted]}.values()))
        state_path(self.state_dir).unlink(missing_ok=True)


async def _seed_all(sources: tuple[SourceEndpoints, ...], seed: Seed) -> None:
    per_source = {s.name: {table: counts.get(s.name, 0) for table, counts in seed.items()} for s in sources}
    await asyncio.gather(*(seed_source(s.db_dsn, s.name, per_source[s.name]) for s in sources))


def reseed(state: StackState, seed: Seed) -> None:
    """Truncate and reseed every source (tables not named in `seed` are emptied)."""
    asyncio.run(_seed_all(state.sources, seed))


def _stop_records(records: list[ProcessRecord] | tuple[ProcessRecord, ...]) -> None:
    # Gateways first (they hold database connections), then PostgreSQL, then Toxiproxy.
    order = {"gateway": 0, "postgrest": 1, "postgres": 2, "toxiproxy": 3}
    for record in sorted(records, key=lambda r: order.get(r.role.split(":")[0], 0)):
        if record.role.startswith("postgres:"):
            postgres.stop(record)
        else:
            process.stop(record)


def down(state_dir: Path, purge: bool = False) -> list[ProcessRecord]:
    """Stop every process of the stack in `state_dir`; with `purge`, delete its data too."""
    state_dir = state_dir.resolve()
    state = load_state(state_dir)
    stopped: list[ProcessRecord] = []
    if state is not None:
        stopped = [p for p in state.processes if process.is_alive(p)]
        with contextlib.suppress(Exception), Toxiproxy(state.toxiproxy_url) as toxiproxy:  # nothing left read-only
            reset_all(Controls.of_stack(toxiproxy, state))
        _stop_records(state.processes)
        state_path(state_dir).unlink(missing_ok=True)
    if purge:
        shutil.rmtree(state_dir, ignore_errors=True)
    return stopped


def require_state(state_dir: Path) -> StackState:
    state = load_state(state_dir.resolve())
    if state is None or not is_healthy(state):
        raise StackNotRunning(
            f"no healthy stack in {state_dir}: start one with `fallback-harness stack up`"
        )
    return state


@contextmanager
def running_stack(options: StackOptions) -> Iterator[StackState]:
    """A running stack for the duration of the block; stopped at the end only if started here."""
    state, started_here = up(options)
    try:
        yield state
    finally:
        if started_here:
            down(options.state_dir)
