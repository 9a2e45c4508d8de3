"""The one Toxiproxy server of a stack, and its two proxies per source."""

from __future__ import annotations

from pathlib import Path

from fallback.stack import process, wait
from fallback.stack.binaries import toxiproxy_server
from fallback.stack.ports import HOST
from fallback.stack.state import ProcessRecord
from fallback.toxics import Toxiproxy


def start(state_dir: Path, port: int) -> ProcessRecord:
    binary = toxiproxy_server()
    log = state_dir / "toxiproxy.log"
    record = process.spawn(
        "toxiproxy",
        [str(binary), "-host", HOST, "-port", str(port)],
        log,
        cmdline_hint=str(binary),
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
