"""Ending the gateway's reconnect backoff early, from the harness, once a run's faults are all undone.

    <state dir>/<SOURCE>/retry-now        touched by the harness (`nudge`); the gateway's backoff sleep
                                          (`nudgeable_sleep`) looks at it every 50 ms and ends when it changed

After a fault on the database link (or a restarted PostgreSQL) the gateway reconnects with PostgREST's
exponential backoff (1 s, doubling): when the run's faults are cleared it may still sleep a second or more
before it tries again, and the next run waits for it (`fallback.engine.fresh.until_healthy`). The explorer
runs a schedule a second, so that sleep was the largest cost between schedules. The harness touches this
file only after every fault of the run is undone, so a run never sees a gateway recover sooner than
PostgREST's backoff would let it; the attempt the nudge starts is the gateway's usual one (a failure goes
back to the backoff, doubling as before).

A file beside `edge.json`, not an admin route, for the reasons `edge_control.py` gives (no API client can
reach it; touching it never waits on the gateway, paused or busy).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from .db import Sleeper

RETRY_FILE = "retry-now"
POLL_S = 0.05


def _stamp(path: Path) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


def nudgeable_sleep(path: Path, poll_s: float = POLL_S) -> Sleeper:
    """`asyncio.sleep(delay)` that ends early when `path` is touched meanwhile (one `stat` per `poll_s`)."""

    async def sleep(delay: float) -> None:
        before = _stamp(path)
        end = time.monotonic() + delay
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(poll_s, left))
            if _stamp(path) != before:
                return

    return sleep


def nudge(path: Path) -> None:
    """Touch the file (its folder is the gateway's, in the state dir): a gateway sleeping in its backoff retries."""
    path.touch()
    os.utime(path, ns=(time.time_ns(), time.time_ns()))  # a new mtime even within the file system's granularity
