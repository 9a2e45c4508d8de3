"""The stack's state file: what `stack up` started and how to reach it.

Written to `<state_dir>/state.json` by `stack up`, read by `stack status`, `stack down`,
the pytest fixtures and every later command. Keys and passwords are secrets: `redacted()`
gives a copy fit for logs and reports.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field, model_validator

from fallback.project.schema import ProjectSchema
from fallback.stack.errors import StackNotRunning

DEFAULT_STATE_DIR = Path(".stack")


class StackKind(StrEnum):
    """Who started the stack: `embedded` (processes started here), `compose` or `external` (elsewhere)."""

    embedded = "embedded"
    compose = "compose"
    external = "external"


class ProcessKind(StrEnum):
    """What a recorded process is; `STOP_ORDER` says in which order they go down."""

    gateway = "gateway"
    postgrest = "postgrest"
    postgres = "postgres"
    toxiproxy = "toxiproxy"


STOP_ORDER: tuple[ProcessKind, ...] = (
    ProcessKind.gateway,
    ProcessKind.postgrest,
    ProcessKind.postgres,
    ProcessKind.toxiproxy,
)
"""Gateways first (they hold database connections), then PostgREST, PostgreSQL, Toxiproxy last."""


class SourceEndpoints(BaseModel):
    """One local "Supabase project": a PostgreSQL cluster, a gateway, two proxies."""

    model_config = ConfigDict(frozen=True)

    name: str
    api_url: str
    """Base URL through Toxiproxy (`<name>.api`); what a client passes to `create_client`."""
    direct_api_url: str
    """Base URL of the gateway itself, bypassing Toxiproxy."""
    db_dsn: str
    """Superuser DSN straight to PostgreSQL (for seeding and for the checker, never for clients)."""
    anon_key: str
    service_role_key: str
    jwt_secret: str
    api_proxy: str
    db_proxy: str
    pg_port: int
    gateway_port: int
    api_proxy_port: int
    db_proxy_port: int
    authenticator_password: str = ""
    """The password the gateway logs in with (role `authenticator`); each source its own."""

    def redacted(self) -> dict[str, object]:
        data = self.model_dump()
        for key in ("anon_key", "service_role_key", "jwt_secret", "authenticator_password"):
            data[key] = "***"
        return data


class ProcessRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ProcessKind
    source: str | None = None
    """The source it serves (None for Toxiproxy, which serves them all)."""
    pid: int
    cmdline_hint: str
    """A substring of /proc/<pid>/cmdline, so a recycled pid is never killed by mistake."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def role(self) -> str:
        """For people: `postgres:PRIMARY`, `gateway:BOLT`, `toxiproxy` (never parsed)."""
        return f"{self.kind}:{self.source}" if self.source else str(self.kind)

    @model_validator(mode="before")
    @classmethod
    def _from_older_state_files(cls, data: Any) -> Any:
        # state.json written before `kind` existed held only `role`; a stack started then must still go down.
        if isinstance(data, dict) and "kind" not in data and "role" in data:
            kind, _, source = str(data["role"]).partition(":")
            data = {**data, "kind": kind, "source": source or None}
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k != "role"}
        return data


class StackState(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: StackKind = StackKind.embedded
    state_dir: str
    toxiproxy_url: str
    sources: tuple[SourceEndpoints, ...]
    processes: tuple[ProcessRecord, ...] = ()
    schemas: tuple[str, ...] = ("public",)
    """The schemas every gateway exposes (`stack up --schemas`, PostgREST's db-schemas); the first is the default."""
    project_root: str = ""
    """The project the stack was loaded from (its directory; empty in a state file older than projects)."""
    project_name: str = ""
    migrations_digest: str = ""
    """sha256 over every source's migration and seed files as loaded (`load.plans_digest`): a running stack
    is reused only for the same project built from the same files."""

    def project_schema(self, source: str | None = None) -> ProjectSchema:
        """The schema `stack up` read from the databases after the migrations: the first source's, or `source`'s.

        Raises StackNotRunning when the stack wrote none (compose and external stacks, older state files)."""
        path = schema_path(Path(self.state_dir), source)
        try:
            return ProjectSchema.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StackNotRunning(
                f"no schema was written for the {self.kind} stack in {self.state_dir} ({path} is missing): "
                "an embedded stack writes it at `stack up`"
            ) from None

    def source(self, name: str) -> SourceEndpoints:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources)
        raise KeyError(f"no source named {name!r} in the stack (known: {known})")

    def latest(self) -> StackState:
        """This stack as its state file says now: a fault may have restarted a process under a new pid
        (`fallback.stack.restart`). Compose and external stacks, and a state with no file, are returned as they are."""
        if self.kind is not StackKind.embedded:
            return self
        return load_state(Path(self.state_dir)) or self

    def public_view(self) -> dict[str, object]:
        """What `stack up --json` prints: endpoints and keys (the user asked for them)."""
        return {
            "kind": str(self.kind),
            "state_dir": self.state_dir,
            "project": {"name": self.project_name, "root": self.project_root},
            "schemas": list(self.schemas),
            "toxiproxy": {
                "api": self.toxiproxy_url,
                "proxies": [p for s in self.sources for p in (s.api_proxy, s.db_proxy)],
            },
            "sources": [
                {
                    "name": s.name,
                    "api_url": s.api_url,
                    "direct_api_url": s.direct_api_url,
                    "db_dsn": s.db_dsn,
                    "anon_key": s.anon_key,
                    "service_role_key": s.service_role_key,
                    "api_proxy": s.api_proxy,
                    "db_proxy": s.db_proxy,
                }
                for s in self.sources
            ],
        }


def state_path(state_dir: Path) -> Path:
    return state_dir / "state.json"


def schema_path(state_dir: Path, source: str | None = None) -> Path:
    """`<state_dir>/schema.json` (the first source's schema) or `<state_dir>/<SOURCE>/schema.json`."""
    return state_dir / source / "schema.json" if source is not None else state_dir / "schema.json"


def load_state(state_dir: Path) -> StackState | None:
    path = state_path(state_dir)
    if not path.exists():
        return None
    return StackState.model_validate(json.loads(path.read_text()))


def save_state(state: StackState) -> None:
    path = state_path(Path(state.state_dir))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(state.model_dump_json(indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)
