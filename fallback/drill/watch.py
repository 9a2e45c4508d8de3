"""What actually happened to the links: Toxiproxy's `/proxies` polled every ~100 ms.

A drill's faults may come from its own timeline or be typed live in another terminal
(`fallback-harness fault PRIMARY.api down`), so the drill's figures are computed from what
Toxiproxy itself reported, not from what was planned. Each poll yields, per proxy, the set of
faults on it: `down` when the proxy is disabled, plus one `<type>` per toxic (named by its
Toxiproxy name). A fault's window opens at the first poll that shows it and closes at the first
poll that no longer does, so observed edges are late by at most one poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fallback.toxics import Toxiproxy, ToxiproxyError

POLL_INTERVAL_S = 0.1

Snapshot = dict[str, frozenset[tuple[str, str]]]
"""Per proxy: the faults on it, as `(kind, toxic name)`; `("down", "")` for a disabled proxy."""


@dataclass(frozen=True)
class ObservedWindow:
    target: str
    kind: str
    """`down` or a toxic type (`latency`, `timeout`, ...)."""
    name: str
    start_s: float
    end_s: float | None
    """None: still on when the watch ended."""


def snapshot(proxies: Mapping[str, Mapping[str, object]]) -> Snapshot:
    """Turn Toxiproxy's `/proxies` answer into the faults on each proxy."""
    result: Snapshot = {}
    for name, proxy in proxies.items():
        faults: set[tuple[str, str]] = set()
        if not proxy.get("enabled", True):
            faults.add(("down", ""))
        toxics = proxy.get("toxics") or []
        if isinstance(toxics, list):
            for toxic in toxics:
                if isinstance(toxic, Mapping):
                    faults.add((str(toxic.get("type", "?")), str(toxic.get("name", ""))))
        result[name] = frozenset(faults)
    return result


class FaultLog:
    """Turns a sequence of snapshots into fault windows (pure; fed by `ProxyWatcher`)."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str, str], float] = {}
        self.windows: list[ObservedWindow] = []
        self.last: Snapshot = {}
        self.changed_at: float | None = None

    def feed(self, at: float, current: Snapshot) -> None:
        now_on = {(proxy, kind, name) for proxy, faults in current.items() for kind, name in faults}
        for key in sorted(now_on - self._open.keys()):
            self._open[key] = at
            self.changed_at = at
        for key in sorted(self._open.keys() - now_on):
            self._close(key, at)
            self.changed_at = at
        self.last = current

    def _close(self, key: tuple[str, str, str], at: float | None) -> None:
        start = self._open.pop(key)
        proxy, kind, name = key
        self.windows.append(ObservedWindow(proxy, kind, name, start, at))

    def finish(self, at: float | None = None) -> list[ObservedWindow]:
        """Close what is still open (at `at`, or None: lasted until the end); windows by start."""
        for key in sorted(self._open):
            self._close(key, at)
        self.windows.sort(key=lambda w: (w.start_s, w.target))
        return list(self.windows)

    def active(self) -> dict[str, list[str]]:
        """Per proxy, the faults on it now (for the dashboard)."""
        found: dict[str, list[str]] = {}
        for proxy, kind, _name in sorted(self._open):
            found.setdefault(proxy, []).append(kind)
        return found


class ProxyWatcher:
    """Polls Toxiproxy beside the drill: `task = asyncio.create_task(watcher.run())`; `await watcher.stop()`."""

    def __init__(self, toxiproxy: Toxiproxy, clock: Callable[[], float], interval_s: float = POLL_INTERVAL_S) -> None:
        self.toxiproxy = toxiproxy
        self.clock = clock
        self.interval_s = interval_s
        self.log = FaultLog()
        self.errors = 0
        """Polls that failed (Toxiproxy unreachable): the window edges around them are uncertain."""
        self._task: asyncio.Task[None] | None = None

    async def poll_once(self) -> None:
        at = self.clock()
        try:
            proxies = await asyncio.to_thread(self.toxiproxy.proxies)
        except ToxiproxyError:
            self.errors += 1
            return
        self.log.feed(at, snapshot(proxies))

    async def _loop(self) -> None:
        while True:
            await self.poll_once()
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> list[ObservedWindow]:
        """Stop polling after one last poll; windows still open stay open (end None)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.poll_once()
        return self.log.finish()
