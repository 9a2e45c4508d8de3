"""The gevent/asyncio boundary of a worker, solved once.

Locust's users are gevent greenlets on the worker's main thread (its hub); our clients are asyncio.
A worker therefore runs ONE asyncio loop, in its own native thread, for its whole life; the client, the
workload runner and the schedule are built and run in it (`WorkerEngine`). A greenlet hands work to it
with `asyncio.run_coroutine_threadsafe` (thread-safe by design: it wakes the loop through its self-pipe)
and waits for the `concurrent.futures.Future` it gets back with `gevent.get_hub().threadpool.spawn(
future.result)`: a thread of gevent's native pool blocks on the result, and the greenlet waits on the
pool's `AsyncResult`, which gevent wakes through its own thread-safe async watcher. The hub keeps running
(heartbeats, Locust's messages, the web UI) while the loop works, and the loop never waits on the hub.

Monkey-patching: `import locust` normally calls `gevent.monkey.patch_all()`, which would turn the loop
thread's `threading`, `socket`, `selectors` and the default executor's threads into greenlets of a hub
that thread never runs (a `getaddrinfo` in the executor would hang). The worker and the master import
Locust with `LOCUST_SKIP_MONKEY_PATCH=1`: nothing is patched. Locust's master/worker machinery uses
gevent's own primitives and `zmq.green`, so it needs no patching; we use no Locust HTTP user (those would
need a patched `socket`). `tests/drill/test_scale_bridge.py` checks the loop's sockets, DNS and executor
work beside a running hub.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

os.environ.setdefault("LOCUST_SKIP_MONKEY_PATCH", "1")  # before anything imports locust (see above)

import gevent

T = TypeVar("T")


class LoopThread:
    """One asyncio loop in a native thread: `call(coro)` from a greenlet, without blocking the hub."""

    def __init__(self, name: str = "drill-asyncio") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` in the loop and wait for its result, cooperatively (other greenlets keep running)."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        result: T = gevent.get_hub().threadpool.spawn(future.result).get()
        return result

    def call_soon(self, callback: Any) -> None:
        """Run a plain callable in the loop's thread (fire and forget)."""
        self.loop.call_soon_threadsafe(callback)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the loop (its pending tasks cancelled) and join the thread."""

        async def _cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self.loop.is_running():
            future = asyncio.run_coroutine_threadsafe(_cancel_all(), self.loop)
            try:
                gevent.get_hub().threadpool.spawn(future.result, timeout_s).get()
            except Exception as exc:  # a task that would not end: the loop stops anyway
                print(f"asyncio loop: tasks still running at close: {exc!r}", file=sys.stderr)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout_s)
        if not self.loop.is_running():
            self.loop.close()
