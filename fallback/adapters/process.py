"""One running client process: JSON lines in and out, its console read line by line, killable.

The process runs in its own session (process group), so `kill()` also ends whatever it started
(`sh -c` wrappers, a Node that re-executes itself). Nothing here waits without a bound except
`request()`, which the caller always wraps in its own deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fallback.adapters.protocol_messages import decode_reply, encode

LINE_LIMIT = 64 * 1024 * 1024
"""Longest reply line accepted (a load of a big table is one line)."""


@dataclass(frozen=True)
class ConsoleLine:
    """One line the client printed: on stderr (its console) or, against the protocol, on stdout."""

    at: float
    """Wall-clock time (`time.time()`) the line was read."""
    text: str
    stream: Literal["stderr", "stdout"] = "stderr"


class ProcessGone(Exception):
    """The process exited, was killed or closed its stdout while a request waited."""


class ClientProcess:
    def __init__(
        self,
        command: str | Sequence[str],
        on_line: Callable[[ConsoleLine], None],
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.command = command
        self.on_line = on_line
        self.cwd = cwd
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self._proc: asyncio.subprocess.Process | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._readers: list[asyncio.Task[None]] = []
        self._gone: str | None = None
        self.stderr_lines = 0
        self._line_read = asyncio.Event()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None and self._gone is None

    async def start(self) -> None:
        pipes: dict[str, Any] = {
            "stdin": asyncio.subprocess.PIPE,
            "stdout": asyncio.subprocess.PIPE,
            "stderr": asyncio.subprocess.PIPE,
            "cwd": self.cwd,
            "env": self.env,
            "start_new_session": True,
            "limit": LINE_LIMIT,
        }
        if isinstance(self.command, str):
            self._proc = await asyncio.create_subprocess_shell(self.command, **pipes)
        else:
            self._proc = await asyncio.create_subprocess_exec(*self.command, **pipes)
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._readers = [
            asyncio.create_task(self._read_replies(self._proc.stdout)),
            asyncio.create_task(self._read_console(self._proc.stderr)),
        ]

    async def request(self, op: str, **params: Any) -> dict[str, Any]:
        """Send one request and wait for its reply (no deadline here: the caller sets one)."""
        if not self.alive or self._proc is None or self._proc.stdin is None:
            raise ProcessGone(self._gone or "the client process is not running")
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            self._proc.stdin.write(encode(request_id, op, **params))
            await self._proc.stdin.drain()
            return await future
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise ProcessGone(f"the client closed its stdin: {exc}") from exc
        finally:
            self._pending.pop(request_id, None)

    async def _read_replies(self, stdout: asyncio.StreamReader) -> None:
        why = "the client closed its stdout"
        try:
            while line := await stdout.readline():
                reply = decode_reply(line)
                if reply is None:
                    self._console(line, "stdout")
                    continue
                future = self._pending.get(reply["id"]) if isinstance(reply["id"], int) else None
                if future is not None and not future.done():
                    future.set_result(reply)
        except (ValueError, asyncio.LimitOverrunError) as exc:
            why = f"a reply line longer than {LINE_LIMIT} bytes ({exc})"
        if self._proc is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._proc.wait(), 0.5)
            if self._proc.returncode is not None:
                why = f"the client process exited with code {self._proc.returncode}"
        self._fail_pending(why)

    async def _read_console(self, stderr: asyncio.StreamReader) -> None:
        with contextlib.suppress(ValueError, asyncio.LimitOverrunError):
            while line := await stderr.readline():
                self._console(line, "stderr")

    def _console(self, line: bytes, stream: Literal["stderr", "stdout"]) -> None:
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        self.on_line(ConsoleLine(time.time(), text, stream))
        if stream == "stderr":
            self.stderr_lines += 1
            self._line_read.set()

    async def console_caught_up(self, lines: int, timeout_s: float = 1.0) -> bool:
        """Wait until `lines` stderr lines have been read: a reply overtakes the console lines
        printed before it (two pipes), and a caller checking the console must see them."""
        deadline = time.monotonic() + timeout_s
        while self.stderr_lines < lines:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.alive:
                return False
            self._line_read.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._line_read.wait(), remaining)
        return True

    def _fail_pending(self, why: str) -> None:
        self._gone = self._gone or why
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ProcessGone(self._gone))

    async def kill(self, why: str = "killed by the harness") -> None:
        """SIGKILL the whole process group; every waiting request fails with `ProcessGone(why)`."""
        self._fail_pending(why)
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 5.0)
        # The readers end at EOF once the group is gone; a grandchild holding the pipes open
        # (outside the group) must not keep us waiting.
        _, waiting = await asyncio.wait(self._readers, timeout=1.0) if self._readers else (set(), set())
        for task in waiting:
            task.cancel()
        if proc.stdin is not None:
            proc.stdin.close()

    async def stop(self, grace_s: float = 2.0) -> None:
        """Wait up to `grace_s` for a clean exit (after `shutdown` or closing stdin), then kill."""
        proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), grace_s)
        await self.kill("stopped by the harness")
