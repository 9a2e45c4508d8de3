"""The embedded stack: every server started here, as child processes, in one state dir.

Order of start: Toxiproxy (so the `.db` proxies exist), the PostgreSQL clusters, schema
and seed, then the gateways (which reach their database through `<SOURCE>.db`). The
state file is rewritten after every process starts, so even a `kill -9` of `stack up`
leaves enough behind for `stack down` to stop everything. Any failure or interrupt while
starting stops what was started, in `STOP_ORDER`, before the error propagates.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from fallback.project import Project, active
from fallback.stack import gateway_process, keys, load, postgres, process, toxiproxy_server, wait
from fallback.stack.binaries import postgres_bindir
from fallback.stack.binaries import toxiproxy_server as toxiproxy_binary
from fallback.stack.errors import StartFailed
from fallback.stack.migrate import SqlStep, plan_for
from fallback.stack.ports import DEFAULT_BASE_PORT, HOST, PortLayout, ensure_free
from fallback.stack.seed import Seed, seed_all
from fallback.stack.state import (
    DEFAULT_STATE_DIR,
    STOP_ORDER,
    ProcessKind,
    ProcessRecord,
    SourceEndpoints,
    StackKind,
    StackState,
    save_state,
    state_path,
)


@dataclass(frozen=True)
class StackOptions:
    state_dir: Path = DEFAULT_STATE_DIR
    base_port: int = DEFAULT_BASE_PORT
    seed: Seed | None = None
    schemas: tuple[str, ...] | None = None
    """PostgREST's `db-schemas` for every gateway (missing ones are created, usable by the API roles).
    None: the project's schemas when starting; a running stack is used whatever it exposes (`stack up`
    without --schemas)."""
    project: Project | None = None
    """The project whose sources, migrations and seeds the stack loads; None: the active project."""

    @property
    def the_project(self) -> Project:
        return self.project if self.project is not None else active()

    @property
    def sources(self) -> tuple[str, ...]:
        return self.the_project.source_names

    @property
    def exposed(self) -> tuple[str, ...]:
        return self.schemas or self.the_project.schemas

    def layout(self) -> PortLayout:
        return PortLayout(self.base_port, len(self.sources))


def stop_records(records: tuple[ProcessRecord, ...] | list[ProcessRecord]) -> None:
    """Stop processes in `STOP_ORDER` (PostgreSQL with its fast shutdown)."""
    for record in sorted(records, key=lambda r: STOP_ORDER.index(r.kind)):
        if record.kind is ProcessKind.postgres:
            postgres.stop(record)
        else:
            process.stop(record)


class EmbeddedStack:
    """`start()` every server of the layout, `ready(state)` when all live and answer, `stop(state)`."""

    kind: ClassVar[StackKind] = StackKind.embedded

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.state_dir = options.state_dir.resolve()

    def start(self) -> StackState:
        """Start every server (nothing of this stack may be running); on any failure stop what started."""
        toxiproxy_binary()  # fail on a missing program before anything starts
        postgres_bindir()
        gateway_process.check_programs()
        layout = self.options.layout()
        plans = {name: plan_for(self.options.the_project, name) for name in self.options.sources}  # bad input first
        ensure_free(layout)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        builder = _Builder(self.state_dir, layout, self.options, plans)
        try:
            return builder.start()
        except BaseException:
            builder.stop_started()
            raise

    def ready(self, state: StackState) -> bool:
        """Every process alive and every gateway ready."""
        state = state.latest()
        if not state.processes or not all(process.is_alive(p) for p in state.processes):
            return False
        return wait.apis_ready(state)

    def stop(self, state: StackState, purge: bool = False) -> list[ProcessRecord]:
        """Stop every recorded process (paused ones resumed first); returns those that were still running."""
        state = state.latest()
        alive = [p for p in state.processes if process.is_alive(p)]
        stop_records(state.processes)
        state_path(self.state_dir).unlink(missing_ok=True)
        if purge:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        return alive


class _Builder:
    def __init__(
        self, state_dir: Path, layout: PortLayout, options: StackOptions, plans: dict[str, tuple[SqlStep, ...]]
    ) -> None:
        self.state_dir = state_dir
        self.layout = layout
        self.options = options
        self.plans = plans
        self.passwords = {name: secrets.token_urlsafe(24) for name in options.sources}
        """The password each gateway logs in with (role `authenticator`), new at every start."""
        self.started: list[ProcessRecord] = []
        self._already_running = set(process.spawned())
        self.toxiproxy_url = f"http://{HOST}:{layout.toxiproxy_api}"

    def _state(self, sources: tuple[SourceEndpoints, ...] = ()) -> StackState:
        return StackState(
            state_dir=str(self.state_dir),
            toxiproxy_url=self.toxiproxy_url,
            sources=sources,
            processes=tuple(self.started),
            schemas=self.options.exposed,
            project_root=str(self.options.the_project.root),
            project_name=self.options.the_project.name,
            migrations_digest=load.plans_digest(self.plans),
        )

    def _record(self, record: ProcessRecord, sources: tuple[SourceEndpoints, ...] = ()) -> None:
        self.started.append(record)
        save_state(self._state(sources))

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
        self._prepare_clusters(names)
        for i, name in enumerate(names):
            self._record(postgres.start(self.state_dir, name, self.layout.source(i).postgres))
        for i, name in enumerate(names):
            self._wait_postgres(name, self.layout.source(i).postgres)
        self._load_databases()
        sources = tuple(self._endpoints(i, name) for i, name in enumerate(names))
        if self.options.seed:
            with process.interrupts_deferred():  # as loading: a Ctrl-C after the seed, not inside asyncpg
                asyncio.run(seed_all(sources, self.options.seed, self.options.exposed))
        load.write_schemas(self.state_dir, sources, self.plans, self.options.exposed)
        apis = []
        for i, source in enumerate(sources):
            ports = self.layout.source(i)
            dsn = f"postgresql://authenticator:{source.authenticator_password}@{HOST}:{ports.db_proxy}/postgres"
            started = gateway_process.start(
                self.state_dir,
                source.name,
                ports.gateway,
                dsn,
                source.jwt_secret,
                [source.anon_key, source.service_role_key],
                self.options.exposed,
            )
            for record in started:
                self._record(record, sources)
            apis.append(started[-1])
        for i, (source, record) in enumerate(zip(sources, apis, strict=True)):
            gateway_process.wait_ready(record, self.state_dir, source.name, self.layout.source(i).gateway)
        state = self._state(sources)
        save_state(state)
        return state

    def _prepare_clusters(self, names: tuple[str, ...]) -> None:
        """Every source's data directory, copied from the template at once (the first one makes the template).

        Each copy appears whole or not at all (`postgres.ensure_cluster`): an interrupt leaves none half made."""
        postgres.ensure_cluster(self.state_dir, names[0])
        with ThreadPoolExecutor(max_workers=4) as pool:
            for _ in pool.map(lambda name: postgres.ensure_cluster(self.state_dir, name), names[1:]):
                pass

    def _load_databases(self) -> None:
        """The harness's SQL and each source's plan; a source whose records do not fit is rebuilt, then loaded."""
        dsns = {name: self._superuser_dsn(name) for name in self.options.sources}
        rebuild = load.load_all(dsns, self.plans, self.passwords, self.options.exposed)
        for name in rebuild:
            index = self.options.sources.index(name)
            old = next(p for p in self.started if p.kind is ProcessKind.postgres and p.source == name)
            postgres.stop(old)
            self.started.remove(old)
            postgres.discard_cluster(self.state_dir, name)
            port = self.layout.source(index).postgres
            self._record(postgres.start(self.state_dir, name, port))
            self._wait_postgres(name, port)
        if rebuild:
            dsns = {name: self._superuser_dsn(name) for name in rebuild}
            left = load.load_all(dsns, {n: self.plans[n] for n in rebuild}, self.passwords, self.options.exposed)
            if left:
                raise StartFailed(f"the databases of {', '.join(left)} were rebuilt and still do not fit their SQL")

    def _superuser_dsn(self, name: str) -> str:
        port = self.layout.source(self.options.sources.index(name)).postgres
        return postgres.superuser_dsn(self.state_dir, name, port)

    def _wait_postgres(self, name: str, port: int) -> None:
        record = next(p for p in self.started if p.kind is ProcessKind.postgres and p.source == name)
        postgres.wait_accepting(record, self.state_dir, name, port)

    def _endpoints(self, index: int, name: str) -> SourceEndpoints:
        ports = self.layout.source(index)
        secret = keys.new_jwt_secret()
        ref = name.lower()
        return SourceEndpoints(
            name=name,
            api_url=f"http://{HOST}:{ports.api_proxy}",
            direct_api_url=f"http://{HOST}:{ports.gateway}",
            db_dsn=postgres.superuser_dsn(self.state_dir, name, ports.postgres),
            anon_key=keys.api_key(secret, "anon", ref),
            service_role_key=keys.api_key(secret, "service_role", ref),
            jwt_secret=secret,
            api_proxy=f"{name}.api",
            db_proxy=f"{name}.db",
            pg_port=ports.postgres,
            gateway_port=ports.gateway,
            api_proxy_port=ports.api_proxy,
            db_proxy_port=ports.db_proxy,
            authenticator_password=self.passwords[name],
        )

    def stop_started(self) -> None:
        unnoted = [r for pid, r in process.spawned().items() if pid not in self._already_running]
        stop_records(list({r.pid: r for r in [*self.started, *unnoted]}.values()))
        state_path(self.state_dir).unlink(missing_ok=True)
