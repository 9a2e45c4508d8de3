"""The one Toxiproxy server of a stack, its two proxies per source, and the faults it holds now."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fallback.stack import process, wait
from fallback.stack.binaries import toxiproxy_server
from fallback.stack.ports import HOST
from fallback.stack.state import ProcessKind, ProcessRecord
from fallback.toxics import Toxiproxy


def start(state_dir: Path, port: int) -> ProcessRecord:
    binary = toxiproxy_server()
    log = state_dir / "toxiproxy.log"
    # Toxiproxy logs every API request at debug level by default (megabytes per drill): info is enough.
    env = {**os.environ, "LOG_LEVEL": "info"}
    record = process.spawn(
        ProcessKind.toxiproxy,
        None,
        [str(binary), "-host", HOST, "-port", str(port)],
        log,
        cmdline_hint=str(binary),
        env=env,
    )
    wait.until(wait.http_ok(f"http://{HOST}:{port}/version"), "Toxiproxy", record, log, timeout_s=15)
    return record


def create_proxies(url: str, proxies: list[tuple[str, int, int]]) -> None:
    """Create (name, listen port, upstream port) proxies, replacing any of the same name."""
    with Toxiproxy(url) as toxiproxy:
        existing = toxiproxy.proxies()
        for name, listen, upstream in proxies:
            if name in existing:
                toxiproxy.delete_proxy(name)
            toxiproxy.create_proxy(name, f"{HOST}:{listen}", f"{HOST}:{upstream}")


@dataclass(frozen=True)
class ActiveFault:
    """A fault Toxiproxy holds right now: a disabled proxy (`down`) or one toxic on it."""

    proxy: str
    kind: str
    attributes: tuple[tuple[str, float], ...] = ()
    stream: str = "downstream"
    toxicity: float = 1.0

    def __str__(self) -> str:
        words = [self.proxy, self.kind, *(f"{name}={value:g}" for name, value in self.attributes)]
        words += [] if self.stream == "downstream" else [f"({self.stream})"]
        words += [] if self.toxicity == 1.0 else [f"toxicity={self.toxicity:g}"]
        return " ".join(words)


def active_faults(url: str, timeout_s: float = 2.0) -> tuple[ActiveFault, ...]:
    """Every disabled proxy and every toxic, as Toxiproxy's `/proxies` reports them (a killed run leaves them on)."""
    with Toxiproxy(url, timeout_s=timeout_s) as toxiproxy:
        proxies = toxiproxy.proxies()
    found: list[ActiveFault] = []
    for name, proxy in sorted(proxies.items()):
        if not proxy.get("enabled", True):
            found.append(ActiveFault(name, "down"))
        toxics = proxy.get("toxics")
        for toxic in toxics if isinstance(toxics, list) else []:
            attributes = toxic.get("attributes") or {}
            found.append(
                ActiveFault(
                    name,
                    str(toxic.get("type")),
                    tuple(sorted((k, float(v)) for k, v in attributes.items())),
                    str(toxic.get("stream", "downstream")),
                    float(toxic.get("toxicity", 1.0)),
                )
            )
    return tuple(found)
