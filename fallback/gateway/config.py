"""The gateway's configuration: one JSON file per local "Supabase project"."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_SCHEMAS = ("public",)
HIDDEN_SCHEMAS = ("pg_catalog", "information_schema")
NAMEDATALEN = 63
"""PostgreSQL truncates identifiers to 63 bytes: a longer name could never match a schema."""


def check_schemas(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """PostgREST's `db-schemas`: at least one name, none empty, repeated, too long, or a catalog schema
    (PostgREST refuses those: they would leak the catalog). ValueError names the offending entry."""
    if not names:
        raise ValueError("at least one schema is needed")
    seen: set[str] = set()
    for name in names:
        if not name:
            raise ValueError("an empty schema name")
        if len(name.encode()) > NAMEDATALEN:
            raise ValueError(f"schema name {name!r} is longer than {NAMEDATALEN} bytes")
        if name in HIDDEN_SCHEMAS:
            raise ValueError(f"schema {name!r} cannot be exposed (PostgREST refuses {' and '.join(HIDDEN_SCHEMAS)})")
        if name in seen:
            raise ValueError(f"schema {name!r} is named twice")
        seen.add(name)
    return tuple(names)


def parse_schemas(text: str) -> tuple[str, ...]:
    """`public, personal` (PostgREST's comma-separated `db-schemas`) → ("public", "personal")."""
    return check_schemas([part.strip() for part in text.split(",")])


class GatewayConfig(BaseModel):
    """Everything one gateway needs; `python -m fallback.gateway --config PATH` reads it from JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    host: str = "127.0.0.1"
    port: int
    db_dsn: str
    """The `authenticator` login, usually through a Toxiproxy port."""
    jwt_secret: str
    api_keys: list[str]
    """The anon and service_role keys of this source; any other `apikey` is refused with 401."""
    schemas: list[str] = Field(default_factory=lambda: list(DEFAULT_SCHEMAS))
    """PostgREST's `db-schemas`: the first is the default, the others are chosen with the profile headers."""
    anon_role: str = "anon"
    statement_timeout_ms: int = 8000
    pool_size: int = 10
    pool_acquisition_timeout_s: float = 10.0
    reconnect_backoff_initial_s: float = 1.0
    reconnect_backoff_max_s: float = 32.0
    connect_timeout_s: float = 5.0
    """Bound on opening one database connection (a blackholed link must not hang requests)."""
    io_grace_s: float = 2.0
    """Added to the statement timeout to bound each database round trip on the client side."""
    db_channel_enabled: bool = True
    """Like PostgREST's `db-channel-enabled`: a LISTEN connection that notices a lost database
    at once and reloads the schema cache on `NOTIFY pgrst, 'reload schema'`."""
    access_log: bool = False
    db_tx_end: Literal["commit", "commit-allow-override", "rollback", "rollback-allow-override"] = "commit"
    """PostgREST's `db-tx-end`: how each request's transaction ends; `*-allow-override` honours
    `Prefer: tx=commit|rollback`. Supabase serves the default, `commit`."""

    db_aggregates_enabled: bool = True
    """PostgREST's `db-aggregates-enabled` (`select=amount.sum()`, `count()`); off, they are PGRST123.
    PostgREST's default is off; Supabase turns it on, and so does this gateway."""

    db_extra_search_path: list[str] = Field(default_factory=lambda: ["public", "extensions"])
    """PostgREST's `db-extra-search-path`: after the request's schema on each transaction's `search_path`.
    PostgREST's default is `public`; Supabase serves `public, extensions`, and so does this gateway."""
    db_plan_enabled: bool = False
    """PostgREST's `db-plan-enabled`: `Accept: application/vnd.pgrst.plan` answers the request's EXPLAIN.
    Off by default, as in PostgREST and on Supabase (where it is switched on for debugging)."""

    @field_validator("schemas")
    @classmethod
    def _schemas(cls, value: list[str]) -> list[str]:
        return list(check_schemas(value))

    @classmethod
    def load(cls, path: str | Path) -> GatewayConfig:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))
