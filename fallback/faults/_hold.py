"""The holder process: keeps PostgreSQL connections open for a `lock` or `connections_exhausted` fault.

    python -m fallback.faults._hold      # reads one `HoldSpec` as JSON on stdin

A fault typed with `fallback-harness fault` must outlive that command, so the connections live in a
process of their own (detached: a Ctrl-C in the terminal does not end it). It prints `ready N` once
it holds N connections (the lock taken), then waits. It ends, closing everything (a lock is rolled
back with its connection), when the applier terminates its backends (`pg_terminate_backend` on its
`application_name`, from any process), on SIGTERM/SIGINT, or when PostgreSQL goes away.
`fill`: connect until PostgreSQL answers 53300 (too many clients), then keep taking every slot that
frees up (polled every `FILL_POLL_S`) for as long as it runs.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import asyncpg
from pydantic import BaseModel, ConfigDict

FILL_POLL_S = 0.05
TOO_MANY_CONNECTIONS = "53300"


class HoldSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dsn: str
    application_name: str
    statements: tuple[str, ...] = ()
    """Run in one transaction left open on the first connection (e.g. `LOCK TABLE ...`)."""
    fill: bool = False


async def _connect(spec: HoldSpec) -> asyncpg.Connection:
    return await asyncpg.connect(spec.dsn, timeout=10, server_settings={"application_name": spec.application_name})


async def hold(spec: HoldSpec, announce: bool = True) -> None:
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    held: list[asyncpg.Connection] = []

    def keep(conn: asyncpg.Connection) -> None:
        conn.add_termination_listener(lambda _c: done.set())
        held.append(conn)

    async def fill() -> bool:
        """Take free slots until PostgreSQL refuses; False when it refused for another reason."""
        while not done.is_set():
            try:
                keep(await _connect(spec))
            except asyncpg.PostgresError as exc:
                return bool(exc.sqlstate == TOO_MANY_CONNECTIONS)
        return True

    try:
        if spec.statements:
            conn = await _connect(spec)
            keep(conn)
            await conn.execute("BEGIN")
            for statement in spec.statements:
                await conn.execute(statement)
        if spec.fill and not await fill():
            raise RuntimeError("PostgreSQL refused a connection for another reason than 53300")
        if announce:
            print(f"ready {len(held)}", flush=True)
        while spec.fill and not done.is_set():
            await asyncio.sleep(FILL_POLL_S)
            await fill()
        await done.wait()
    finally:
        for conn in held:
            conn.terminate()


def main() -> int:
    spec = HoldSpec.model_validate_json(sys.stdin.readline())
    try:
        asyncio.run(hold(spec))
    except Exception as exc:
        print(f"failed {type(exc).__name__}: {exc}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
