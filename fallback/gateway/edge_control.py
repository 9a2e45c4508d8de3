"""The HTTP-edge faults' control file: what the edge (`edge.py`) in a gateway process plays, and who writes it.

    <state dir>/<SOURCE>/edge.json        beside the gateway's own `gateway.json` (mode 600)

The fault applier (`fallback.faults._edge`) writes it; the gateway's edge layer reads it on every API
request (one `stat`, a parse only when the file changed). Why a file in the state dir, not an admin route:
- ordinary API clients cannot reach it at all: no route, no secret that could leak or be guessed, nothing
  on the network (an admin path would be reachable through `<SOURCE>.api` like every other path);
- applying and clearing never wait on the gateway: a paused or busy gateway cannot hang the applier, and a
  paused one plays the fault from its first request after SIGCONT;
- any process holding the state dir undoes it (`fault all clear` from another terminal, `stack down`),
  like the `jwt_rotated` note;
- it names the one gateway process it is meant for (pid and start time): a gateway restarted for any
  reason (a `kill` fault, `stack up` after a crash) comes back with no edge fault on, whatever file is left.
A Unix socket would give the first two points only with a second server inside the gateway, and socket
paths are limited to 107 bytes (deep state dirs exceed it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

CONTROL_FILE = "edge.json"
StatusSource = Literal["auto", "kong", "cloudflare"]
RequestFate = Literal["auto", "forwarded", "dropped"]


class _Rule(BaseModel):
    """Which API requests a rule hits: a `share` of them, spread evenly (every request when 1), and at most
    the `first` N hits (0: no limit), counted from when the rule was switched on (its `id`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=lambda: secrets.token_hex(8))
    share: float = Field(default=1.0, ge=0.0, le=1.0)
    first: int = Field(default=0, ge=0)


class StatusRule(_Rule):
    """The edge answers `status` itself with Kong's or Cloudflare's error page (`edge_pages.py`)."""

    kind: Literal["edge_status"] = "edge_status"
    status: int
    retry_after: int = Field(default=1, ge=0)
    """Seconds, sent with 429 and 503 only."""
    by: StatusSource = "auto"
    request: RequestFate = "auto"
    """`forwarded`: the gateway ran the request (a write committed) and the edge replaced its answer;
    `dropped`: the gateway never saw it. `auto`: as the status means it (`edge_pages.forwarded`)."""


class TruncatedRule(_Rule):
    """The gateway's answer, its body cut after `keep` of its bytes."""

    kind: Literal["edge_truncated"] = "edge_truncated"
    keep: float = Field(default=0.5, ge=0.0, le=1.0)
    framing: Literal["close", "length"] = "close"
    """`close`: the headers announce the whole body, the connection closes after the kept part (a
    connection lost mid-body); `length`: a well-formed message whose body is the kept part (a cut JSON)."""


class StalledRule(_Rule):
    """The gateway's status and headers sent at once, its body held `stall` ms (0: until switched off)."""

    kind: Literal["edge_stalled"] = "edge_stalled"
    stall: int = Field(default=0, ge=0)


class SlowFirstByteRule(_Rule):
    """The request held at the edge `delay` ms before the gateway gets it: nothing comes back meanwhile."""

    kind: Literal["edge_slow_first_byte"] = "edge_slow_first_byte"
    delay: int = Field(ge=0)


class TokensExpireRule(_Rule):
    """Inside the gateway: every valid user token of this source refused as expired (`edge_inside.py`)."""

    kind: Literal["tokens_expire"] = "tokens_expire"


class PoolExhaustedRule(_Rule):
    """Inside the gateway: its pool held busy, so requests wait for a slot and get 504 PGRST003 (`edge_inside.py`)."""

    kind: Literal["pool_exhausted"] = "pool_exhausted"


EdgeRule = Annotated[
    StatusRule | TruncatedRule | StalledRule | SlowFirstByteRule | TokensExpireRule | PoolExhaustedRule,
    Field(discriminator="kind"),
]
RuleKind = Literal[
    "edge_status", "edge_truncated", "edge_stalled", "edge_slow_first_byte", "tokens_expire", "pool_exhausted"
]
EDGE_KINDS: tuple[RuleKind, ...] = ("edge_status", "edge_truncated", "edge_stalled", "edge_slow_first_byte")
"""Played in front of the gateway, on `<SOURCE>.api`; the others inside it, on `<SOURCE>`."""
RULE = TypeAdapter[EdgeRule](EdgeRule)


class EdgeControl(BaseModel):
    """The whole file: the rules on, by kind, for the gateway process `pid` started at `started`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pid: int
    started: int
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22): a pid reused later
    by another process never matches."""
    rules: dict[RuleKind, EdgeRule] = Field(default_factory=dict)


def process_started(pid: int) -> int | None:
    """`pid`'s start time (clock ticks since boot); None when it does not run."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def read_control(path: Path) -> EdgeControl | None:
    """The file's content; None when absent or unreadable (a half-written file never exists: see `write`)."""
    try:
        return EdgeControl.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None


def rules_for(path: Path, pid: int, started: int | None) -> tuple[EdgeRule, ...]:
    """The rules meant for the process `pid` (started at `started`); () for any other process."""
    control = read_control(path)
    if control is None or control.pid != pid or control.started != started:
        return ()
    return tuple(control.rules.values())


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One writer at a time (a run's timeline and `fault ... clear` in another terminal may race)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f"{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_control(path: Path, control: EdgeControl | None) -> None:
    """Replace the file atomically (mode 600: a temp file renamed over it), or remove it (None)."""
    if control is None or not control.rules:
        path.unlink(missing_ok=True)
        return
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(control.model_dump_json())
    os.replace(temp, path)
