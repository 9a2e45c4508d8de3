"""A Locust drill's options, its ports (inside the drill's own block of 100) and their check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fallback.stack.errors import PortInUse, StackError
from fallback.stack.ports import holder_text, port_is_free

MASTER_PORT_OFFSET = 90
"""Locust's master binds base+90, its web UI base+91: inside the drill's own block of 100 ports, which the
stack's layout leaves free there (sources use +0..+5 of each ten up to +75, Toxiproxy +99)."""
WEB_PORT_OFFSET = 91


class ClusterError(StackError):
    """The master or the workers did not start, or the workers did not get ready."""


@dataclass(frozen=True)
class ScaleOptions:
    workers: int
    """Local worker processes to start (0: `--master` only, the workers come from other machines)."""
    expect_workers: int
    master_port: int
    bind_host: str = "127.0.0.1"
    web_port: int = 0
    csv_prefix: str = ""
    log_dir: Path = Path(".")


def ensure_ports_free(options: ScaleOptions) -> None:
    """PortInUse naming the port, what it is for and who holds it (the CLI: exit 2 before anything starts)."""
    host = "127.0.0.1" if options.bind_host in ("0.0.0.0", "") else options.bind_host
    for port, purpose in ((options.master_port, "master"), (options.web_port, "web UI")):
        if port and not port_is_free(port, host):
            raise PortInUse(
                f"port {port} (Locust's {purpose}) is already in use{holder_text(port)}: stop that "
                "process or choose another block with --base-port (or --master-port)"
            )
