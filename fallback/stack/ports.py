"""The stack's port layout: fixed, documented, and checked before anything starts.

Source i of the project (in its priority order: 0 = PRIMARY, 1 = BOLT, 2 = OLD for the built-in example; up
to 8 sources, `fallback.project.MAX_SOURCES`) owns the block `base + 10*i`:
    +0 PostgreSQL, +1 gateway, +2 Toxiproxy `<SOURCE>.api`, +3 Toxiproxy `<SOURCE>.db`,
    +4 and +5 a real PostgREST's API and admin server (only with FALLBACK_GATEWAY=postgrest).
Toxiproxy's own API listens on `base + 99`, so a layout takes `base .. base+99` whatever the sources, which must lie
within the unprivileged ports 1024..65535 (`check_base_port`). The embedded stack defaults to base
25400, the test suite to 25500, and Docker Compose's file is fixed at 25600 (`COMPOSE_BASE_PORT`).
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass

from fallback.project.model import MAX_SOURCES
from fallback.stack.errors import PortInUse

DEFAULT_BASE_PORT = 25400
COMPOSE_BASE_PORT = 25600
TOXIPROXY_API_OFFSET = 99
LOWEST_PORT, HIGHEST_PORT = 1024, 65535
HOST = "127.0.0.1"


def check_base_port(base: int) -> int:
    """`base` itself, or ValueError saying why the layout cannot start there."""
    if not LOWEST_PORT <= base <= HIGHEST_PORT - TOXIPROXY_API_OFFSET:
        raise ValueError(
            f"base port {base}: the stack's layout takes ports base..base+{TOXIPROXY_API_OFFSET}, which must lie "
            f"within {LOWEST_PORT}..{HIGHEST_PORT}: choose a base from {LOWEST_PORT} to "
            f"{HIGHEST_PORT - TOXIPROXY_API_OFFSET}"
        )
    return base


@dataclass(frozen=True)
class SourcePorts:
    postgres: int
    gateway: int
    api_proxy: int
    db_proxy: int


@dataclass(frozen=True)
class PortLayout:
    base: int
    source_count: int

    def __post_init__(self) -> None:
        check_base_port(self.base)
        if not 1 <= self.source_count <= MAX_SOURCES:
            raise ValueError(f"{self.source_count} sources: a stack holds 1 to {MAX_SOURCES}")

    def source(self, index: int) -> SourcePorts:
        block = self.base + 10 * index
        return SourcePorts(postgres=block, gateway=block + 1, api_proxy=block + 2, db_proxy=block + 3)

    @property
    def toxiproxy_api(self) -> int:
        return self.base + TOXIPROXY_API_OFFSET

    def all_ports(self) -> dict[int, str]:
        """Every port with the name of what will listen there."""
        names = {self.toxiproxy_api: "Toxiproxy API"}
        for index in range(self.source_count):
            ports = self.source(index)
            names[ports.postgres] = f"PostgreSQL of source #{index}"
            names[ports.gateway] = f"gateway of source #{index}"
            names[ports.api_proxy] = f"Toxiproxy api proxy of source #{index}"
            names[ports.db_proxy] = f"Toxiproxy db proxy of source #{index}"
        return names


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def listener_pid(port: int) -> int | None:
    """Best-effort: the pid listening on a TCP port (from /proc), for error messages."""
    try:
        inode = _listening_inode(port)
        if inode is None:
            return None
        for pid in filter(str.isdigit, os.listdir("/proc")):
            fd_dir = f"/proc/{pid}/fd"
            try:
                for fd in os.listdir(fd_dir):
                    if os.readlink(f"{fd_dir}/{fd}") == f"socket:[{inode}]":
                        return int(pid)
            except OSError:
                continue
    except OSError:
        return None
    return None


def _listening_inode(port: int) -> str | None:
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.split(":")[1], 16) == port:
                return inode
    return None


def _ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            low, high = (int(n) for n in handle.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def holder_text(port: int) -> str:
    """Who holds a taken `port`, for an error message: " by pid N", or why no listener may be found."""
    pid = listener_pid(port)
    if pid is not None:
        return f" by pid {pid}"
    low, high = _ephemeral_range()
    if low <= port <= high:
        return f" (no listener: a connection's local port? {low}..{high} is the kernel's ephemeral range)"
    return ""


def ensure_free(layout: PortLayout) -> None:
    """Raise PortInUse naming the first taken port, what it is for, and who holds it."""
    for port, purpose in sorted(layout.all_ports().items()):
        if not port_is_free(port):
            raise PortInUse(
                f"port {port} ({purpose}) is already in use{holder_text(port)}: stop that process, run "
                f"`fallback-harness stack down`, or choose another block with --base-port "
                f"(now {layout.base})"
            )
