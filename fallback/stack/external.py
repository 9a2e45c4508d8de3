"""`external` mode: point the harness at existing Supabase projects, one per source of the project (staging).

    # external.yaml
    allow_writes: false              # default; true lets drills and scenarios create and update rows
    sources:                         # the project's sources, in its order; optional (see below)
      - name: PRIMARY
        url: https://<primary-ref>.supabase.co
        anon_key_env: PRIMARY_ANON_KEY            # or anon_key: eyJ... (env is better: no secret in the file)
        service_role_key_env: PRIMARY_SERVICE_KEY  # optional; the harness's clients use it (anon otherwise)
        db_dsn_env: PRIMARY_DB_URL                 # optional: lets the checker read the tables directly
      - {name: BOLT, url: ..., anon_key_env: ...}
      - {name: OLD, url: ..., anon_key_env: ...}
    toxiproxy: http://127.0.0.1:25499   # optional, see the README: faults need a path you control

Every field of a source is optional but its name: what is not given is read from the environment under
the source's own names, `<SOURCE>_URL`, `<SOURCE>_ANON_KEY`, `<SOURCE>_SERVICE_ROLE_KEY` and `<SOURCE>_DB_URL`
(e.g. `REPLICA_EU_URL`); the URL and the anon key must be found, the others may be left unset. Without
`sources:` every source of the project is read that way. The sources must be the project's, in its order.

`ExternalStack(config, state_dir).start()` (or `external_state`) writes a `StackState(kind="external")`,
so every command reads it like any other stack. Nothing is ever truncated or seeded on an external
project, and unless `allow_writes: true` every operation that writes is refused *before* anything
runs: `writes_allowed(state)` / `ensure_writes_allowed(state, writes=...)` say so (the drill and the
scenario engine ask them; which operations write is theirs to know, not this module's).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fallback.project import Project, active
from fallback.stack.state import ProcessRecord, SourceEndpoints, StackKind, StackState, save_state, state_path

POLICY_FILE = "external.json"


class ExternalConfigError(ValueError):
    """The external config file is missing, malformed, or names a key variable that is not set."""


class WritesNotAllowed(RuntimeError):
    """Writes were asked of external projects whose config does not say `allow_writes: true`."""


ENV_SUFFIXES = {"url": "URL", "anon_key": "ANON_KEY", "service_role_key": "SERVICE_ROLE_KEY", "db_dsn": "DB_URL"}
"""Where a source's value is read from when the config gives neither it nor its `_env`: `<SOURCE>_<suffix>`."""


def env_name(source: str, field: str) -> str:
    """`REPLICA_EU_ANON_KEY`: the variable a source's `field` is read from by default."""
    return f"{source}_{ENV_SUFFIXES[field]}"


class ExternalSource(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    url: str | None = Field(default=None, pattern=r"^https?://")
    url_env: str | None = None
    anon_key: str | None = None
    anon_key_env: str | None = None
    service_role_key: str | None = None
    service_role_key_env: str | None = None
    db_dsn: str | None = None
    db_dsn_env: str | None = None

    def value(self, field: str, env: Mapping[str, str]) -> str | None:
        """The field as given, else from the variable its `_env` names, else from `<SOURCE>_<suffix>` if set."""
        direct: str | None = getattr(self, field)
        variable: str | None = getattr(self, f"{field}_env")
        if direct is not None:
            return direct
        if variable is None:
            return env.get(env_name(self.name, field)) or None
        if variable not in env:
            raise ExternalConfigError(f"source {self.name}: {field}_env names {variable}, which is not set")
        return env[variable]

    def required(self, field: str, env: Mapping[str, str]) -> str:
        value = self.value(field, env)
        if not value:
            raise ExternalConfigError(
                f"source {self.name}: no {field}: give {field} or {field}_env in the config, "
                f"or set {env_name(self.name, field)}"
            )
        return value


class ExternalConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    allow_writes: bool = False
    sources: tuple[ExternalSource, ...] | None = Field(default=None, min_length=1)
    """None: every source of the project, each read from its own environment variables."""
    toxiproxy: str | None = None

    def sources_of(self, project: Project) -> tuple[ExternalSource, ...]:
        """The config's sources, which must be the project's in its order (or the project's, from env)."""
        if self.sources is None:
            return tuple(ExternalSource(name=name) for name in project.source_names)
        named = tuple(s.name for s in self.sources)
        if named != project.source_names:
            raise ExternalConfigError(
                f"the config's sources are {', '.join(named)}; project {project.name}'s are "
                f"{', '.join(project.source_names)} (in priority order): list those, or leave `sources:` out "
                "to read each from its own environment variables"
            )
        return self.sources


def load_external_config(path: Path) -> ExternalConfig:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ExternalConfig.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ExternalConfigError(f"{path}: {exc}") from exc


def external_state(
    config: ExternalConfig, state_dir: Path, env: Mapping[str, str] | None = None, project: Project | None = None
) -> StackState:
    """The state of an external stack of `project` (default: the active one), saved in `state_dir` with its
    write policy beside it."""
    env = os.environ if env is None else env
    project = project if project is not None else active()
    sources = []
    for source in config.sources_of(project):
        anon = source.required("anon_key", env)
        url = source.required("url", env).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ExternalConfigError(f"source {source.name}: url {url!r} is not an http(s) URL")
        sources.append(
            SourceEndpoints(
                name=source.name,
                api_url=url,
                direct_api_url=url,
                db_dsn=source.value("db_dsn", env) or "",
                anon_key=anon,
                service_role_key=source.value("service_role_key", env) or anon,
                jwt_secret="",  # a hosted project's secret is not ours: no user tokens can be minted
                api_proxy=f"{source.name}.api",
                db_proxy=f"{source.name}.db",
                pg_port=0,
                gateway_port=0,
                api_proxy_port=0,
                db_proxy_port=0,
            )
        )
    state_dir = state_dir.resolve()
    state = StackState(
        kind=StackKind.external,
        state_dir=str(state_dir),
        toxiproxy_url=config.toxiproxy or "",
        sources=tuple(sources),
        schemas=project.schemas,
        project_root=str(project.root),
        project_name=project.name,
    )
    save_state(state)
    (state_dir / POLICY_FILE).write_text(json.dumps({"allow_writes": config.allow_writes}) + "\n", encoding="utf-8")
    return state


def is_reachable(state: StackState, timeout_s: float = 5.0) -> bool:
    """Hosted projects serve no `/ready`: a source is up when `/rest/v1/` answers below 500 with its key."""
    for source in state.sources:
        try:
            answer = httpx.get(f"{source.api_url}/rest/v1/", headers={"apikey": source.anon_key}, timeout=timeout_s)
        except httpx.HTTPError:
            return False
        if answer.status_code >= 500:
            return False
    return True


def writes_allowed(state: StackState) -> bool:
    """Local stacks always; external ones only when their config said `allow_writes: true`."""
    if state.kind != "external":
        return True
    try:
        policy = json.loads((Path(state.state_dir) / POLICY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(policy.get("allow_writes", False))


def ensure_writes_allowed(state: StackState, *, writes: bool) -> None:
    if writes and not writes_allowed(state):
        raise WritesNotAllowed(
            "these are external projects and their config does not say `allow_writes: true`: "
            "run read-only (e.g. --mix load=1) or allow writes in the config"
        )


class ExternalStack:
    """`start()` records the projects (nothing is started), `ready(state)` when each answers, `stop` forgets them."""

    kind: ClassVar[StackKind] = StackKind.external

    def __init__(self, state_dir: Path, config: ExternalConfig | None = None) -> None:
        self.state_dir = state_dir.resolve()
        self.config = config

    def start(self) -> StackState:
        if self.config is None:
            raise ExternalConfigError("external projects need a config file (--config FILE)")
        return external_state(self.config, self.state_dir)

    def ready(self, state: StackState) -> bool:
        return is_reachable(state)

    def stop(self, state: StackState, purge: bool = False) -> list[ProcessRecord]:
        state_path(self.state_dir).unlink(missing_ok=True)
        (self.state_dir / POLICY_FILE).unlink(missing_ok=True)
        if purge:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        return []
