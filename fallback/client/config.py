"""Which sources a client talks to, in priority order, and how long it waits for each.

Sources come from code, from the environment (the spec's `.env` names, with or without the
`VITE_` prefix) or from a running stack's state. Keys never appear in a repr.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import httpx

from fallback.client.errors import ConfigError
from fallback.names import source_names

if TYPE_CHECKING:
    from fallback.stack.state import StackState


@dataclass(frozen=True)
class SourceConfig:
    """One Supabase project: a name used as the `_db_source` tag, its URL and its API key."""

    name: str
    url: str
    key: str = field(repr=False)
    access_token: str | None = field(default=None, repr=False)
    """A signed-in user's token, sent as `Authorization: Bearer` (the browser app's case); None: the key."""

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("a source needs a name")
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"source {self.name}: URL must start with http:// or https://, got {self.url!r}")
        if not self.key:
            raise ConfigError(f"source {self.name}: no API key")


@dataclass(frozen=True)
class Deadline:
    """How long one call to one source may take, split into phases like `httpx.Timeout`.

    `connect`, `read`, `write`, `pool` go to httpx; `total` is enforced around the whole call
    with `asyncio.timeout`, so a source that trickles bytes (each read within `read`) still
    cannot hold a caller past `total`.
    """

    connect: float = 1.0
    read: float = 2.0
    write: float = 2.0
    pool: float = 1.0
    total: float = 2.5

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "pool", "total"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"deadline {name} must be > 0")

    def httpx_timeout(self) -> httpx.Timeout:
        """An `httpx.Timeout`: postgrest-py truncates a plain float with `int()` (0.5 becomes 0)."""
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


def _env_names(name: str, first: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Accepted variable names for a source's URL and key, first match wins (the highest-priority
    source is the app's own project: plain `SUPABASE_URL`)."""
    stem = "SUPABASE" if first else f"{name}_SUPABASE"
    urls = (f"{stem}_URL", f"VITE_{stem}_URL")
    keys = (f"{stem}_SERVICE_ROLE_KEY", f"{stem}_ANON_KEY", f"VITE_{stem}_ANON_KEY")
    return urls, keys


def _first(env: Mapping[str, str], names: Sequence[str]) -> str | None:
    for name in names:
        value = env.get(name)
        if value:
            return value
    return None


def sources_from_env(
    env: Mapping[str, str] | None = None, names: Sequence[str] | None = None
) -> tuple[SourceConfig, ...]:
    """Read sources from `SUPABASE_URL`/`SUPABASE_ANON_KEY`, `BOLT_SUPABASE_URL`/..., `OLD_...`.

    `VITE_`-prefixed names (the spec's `.env`) are accepted too; a `*_SERVICE_ROLE_KEY`, when
    set, is preferred over the anon key (the admin flows need it). Sources whose URL is unset
    are skipped; a URL without a key is an error. The order of `names` is the priority (default: the
    active project's sources, `fallback.names.source_names()`); the first is read from `SUPABASE_URL`,
    any other NAME from `NAME_SUPABASE_URL`.
    """
    env = os.environ if env is None else env
    names = source_names() if names is None else names
    found: list[SourceConfig] = []
    for index, name in enumerate(names):
        url_names, key_names = _env_names(name, index == 0)
        url = _first(env, url_names)
        if url is None:
            continue
        key = _first(env, key_names)
        if key is None:
            raise ConfigError(f"{url_names[0]} is set but none of {', '.join(key_names)} is")
        found.append(SourceConfig(name, url, key))
    if not found:
        raise ConfigError(f"no source configured: set {_env_names(names[0], True)[0][0]} (and the others)")
    return tuple(found)


def sources_from_stack(
    state: StackState, key: Literal["service_role", "anon"] = "service_role"
) -> tuple[SourceConfig, ...]:
    """Sources of a running stack, through their Toxiproxy API proxies, in the stack's order."""
    return tuple(
        SourceConfig(s.name, s.api_url, s.service_role_key if key == "service_role" else s.anon_key)
        for s in state.sources
    )
