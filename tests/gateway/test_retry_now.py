"""The gateway's reconnect backoff sleep ends early when the harness touches `retry-now`, and only then."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fallback.gateway.retry_now import nudge, nudgeable_sleep


def test_the_sleep_ends_soon_after_the_file_is_touched(tmp_path: Path) -> None:
    path = tmp_path / "retry-now"
    nudge(path)  # a file left from an earlier nudge does not end the next sleep: only a change does
    sleep = nudgeable_sleep(path, poll_s=0.01)

    async def touched_after(seconds: float) -> None:
        await asyncio.sleep(seconds)
        nudge(path)

    async def run() -> float:
        started = time.monotonic()
        await asyncio.gather(sleep(10.0), touched_after(0.1))
        return time.monotonic() - started

    assert 0.1 <= asyncio.run(run()) < 2.0


def test_untouched_the_sleep_lasts_its_delay(tmp_path: Path) -> None:
    path = tmp_path / "retry-now"  # absent: as on a stack nobody nudged yet
    sleep = nudgeable_sleep(path, poll_s=0.01)
    started = time.monotonic()
    asyncio.run(sleep(0.3))
    assert time.monotonic() - started >= 0.3
    nudge(path)
    nudged_before = nudgeable_sleep(path, poll_s=0.01)  # touched before the sleep began: not a nudge for it
    started = time.monotonic()
    asyncio.run(nudged_before(0.3))
    assert time.monotonic() - started >= 0.3
