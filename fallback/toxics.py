"""Toxiproxy control: one frozen record per toxic, and a thin client for its HTTP API.

Field names follow Toxiproxy's own API (`toxics/*.go`): each toxic shares the envelope
`name`, `type`, `stream`, `toxicity` and carries its own `attributes`. We talk to the
HTTP API with httpx rather than through toxiproxy-python, which is synchronous, keeps its
host globally and returns nothing from `add_toxic` (see shared/spec/outage-semantics.md).

`down` is not a toxic: it disables the proxy, so new connections are refused and open
ones get a FIN, exactly as a stopped server would behave.

This is the Toxiproxy API only; the fault kinds played through it (their attributes, defaults
and main attribute) are entries of the fault registry, `fallback.faults`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import httpx

from fallback.tls import shared_context

Stream = Literal["upstream", "downstream"]
TOXIC_TYPES: frozenset[str] = frozenset(
    {"latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data"}
)
"""Every toxic type Toxiproxy v2.12.0 implements (`toxics/*.go`): a fact about the server, not our list of faults."""


class ToxiproxyError(RuntimeError):
    """Toxiproxy answered with an error (`status`), or could not be reached (`status` None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Toxic:
    """One toxic as Toxiproxy's API names it."""

    type: str
    attributes: Mapping[str, int | float] = field(default_factory=dict)
    stream: Stream = "downstream"
    toxicity: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        if self.type not in TOXIC_TYPES:
            raise ValueError(f"unknown toxic type {self.type!r} (known: {', '.join(sorted(TOXIC_TYPES))})")
        if not 0.0 <= self.toxicity <= 1.0:
            raise ValueError(f"toxicity must be within 0..1, got {self.toxicity}")

    @property
    def resolved_name(self) -> str:
        return self.name or f"{self.type}_{self.stream}"

    def to_api(self) -> dict[str, object]:
        return {
            "name": self.resolved_name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": dict(self.attributes),
        }


def latency(ms: int, jitter: int = 0, stream: Stream = "downstream") -> Toxic:
    return Toxic("latency", {"latency": ms, "jitter": jitter}, stream)


def timeout(ms: int = 0, stream: Stream = "downstream") -> Toxic:
    """`ms=0` is a blackhole: data dropped, connection never closed."""
    return Toxic("timeout", {"timeout": ms}, stream)


def reset_peer(ms: int = 0, stream: Stream = "downstream") -> Toxic:
    return Toxic("reset_peer", {"timeout": ms}, stream)


def bandwidth(kb_per_s: int, stream: Stream = "downstream") -> Toxic:
    return Toxic("bandwidth", {"rate": kb_per_s}, stream)


class Toxiproxy:
    """A thin synchronous client for one Toxiproxy server (its API is small and local)."""

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s, verify=shared_context())  # see fallback.tls

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Toxiproxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, json: object | None = None) -> httpx.Response:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.HTTPError as exc:
            raise ToxiproxyError(f"Toxiproxy at {self.url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise ToxiproxyError(
                f"Toxiproxy {method} {path} -> {response.status_code}: {response.text.strip()}", response.status_code
            )
        return response

    def version(self) -> str:
        return self._call("GET", "/version").text.strip()

    def proxies(self) -> dict[str, dict[str, object]]:
        result: dict[str, dict[str, object]] = self._call("GET", "/proxies").json()
        return result

    def create_proxy(self, name: str, listen: str, upstream: str) -> None:
        body = {"name": name, "listen": listen, "upstream": upstream, "enabled": True}
        self._call("POST", "/proxies", body)

    def delete_proxy(self, name: str) -> None:
        self._call("DELETE", f"/proxies/{name}")

    def set_enabled(self, proxy: str, enabled: bool) -> None:
        self._call("POST", f"/proxies/{proxy}", {"enabled": enabled})

    def down(self, proxy: str) -> None:
        """Disable the proxy: new connections are refused, open ones are closed."""
        self.set_enabled(proxy, False)

    def up(self, proxy: str) -> None:
        self.set_enabled(proxy, True)

    def add(self, proxy: str, toxic: Toxic) -> str:
        """Add a toxic; returns its name (to remove it later)."""
        self._call("POST", f"/proxies/{proxy}/toxics", toxic.to_api())
        return toxic.resolved_name

    def remove(self, proxy: str, toxic_name: str) -> None:
        self._call("DELETE", f"/proxies/{proxy}/toxics/{toxic_name}")

    def toxics(self, proxy: str) -> list[dict[str, object]]:
        result: list[dict[str, object]] = self._call("GET", f"/proxies/{proxy}/toxics").json()
        return result

    def reset(self) -> None:
        """Re-enable every proxy and remove every toxic (Toxiproxy's `/reset`)."""
        self._call("POST", "/reset")
