"""A `FallbackClient` that lives in another process: any language, driven over JSON lines.

The wire format is in `fallback.adapters.protocol_messages`. What this adapter adds:

- A deadline on every call (`call_timeout_s`, default 30 s). A call that misses it returns
  kind `hung`: a load fails, a create or update is `indeterminate` (the client may have
  written). The process is then presumed stuck and killed; the next call starts a new one
  (start, `hello`, `configure`, each within `start_timeout_s`). Calls in flight when the
  process dies get kind `crashed`.
- Operations the client did not list in `hello` get kind `unsupported` without being sent.
- The client's stderr is its console: every line is kept with its time (`console_lines`) and
  re-emitted through `logging` as `fallback.client.<name>` (WARNING for lines starting with
  `⚠`, INFO otherwise: levels are not on the wire).
- `metrics()` is synchronous in the protocol, so it reports what the adapter counted from
  the results (the same `Metrics` the Python clients keep), plus restarts and the figures the
  client last reported (`await refresh_metrics()`; also done by `aclose()`).

Which sources a client reached when it hung is unknown: a hung load carries one `hung`
attempt per configured source, a hung create one on the first source, a hung update, delete
or call one on the row's own source (a call without `args["row"]`: the first source).
A client speaking another protocol version than `PROTOCOL_VERSION` is refused at `hello`
(`unavailable`, the message saying what changed), before `configure` sends it any key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fallback.adapters import protocol_messages as wire
from fallback.adapters.process import ClientProcess, ConsoleLine, ProcessGone
from fallback.client.config import SourceConfig
from fallback.client.errors import ConfigError, FailureKind
from fallback.client.keys import LoadQuery, TableKeys, key_for
from fallback.client.merge import SOURCE_TAG
from fallback.client.metrics import Metrics
from fallback.client.results import (
    Attempt,
    CallResult,
    DeleteResult,
    LoadResult,
    Op,
    Outcome,
    Resolution,
    Row,
    UpdateResult,
    WriteResult,
)

log = logging.getLogger("fallback.adapters")
DEFINITE: frozenset[FailureKind] = frozenset({"unsupported", "unavailable"})
"""Failure kinds after which nothing was sent to the client: a write definitely did not happen."""


class CallFailed(Exception):
    """A call got no usable reply; `kind` is `hung`, `crashed`, `unavailable`, `protocol_error`,
    `unsupported` or `client_error` (the client answered `ok: false`)."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class ClientRefused(CallFailed):
    """The client answered, and said it cannot serve this stack: an incompatible `hello` or a refused
    `configure` (e.g. the spec's JavaScript knows exactly three sources named PRIMARY, BOLT, OLD). Nothing
    a restart would change: the run that made the client is an `error`, once, with the client's words."""

    def __init__(self, message: str) -> None:
        super().__init__("unavailable", message)


class SubprocessClient:
    def __init__(
        self,
        command: str | Sequence[str],
        sources: Sequence[SourceConfig],
        *,
        name: str | None = None,
        call_timeout_s: float = 30.0,
        start_timeout_s: float = 15.0,
        console_max_lines: int = 10_000,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        tables: TableKeys | None = None,
    ) -> None:
        if not sources:
            raise ConfigError("a client needs at least one source")
        if call_timeout_s <= 0 or start_timeout_s <= 0:
            raise ConfigError("timeouts must be > 0")
        self.command = command
        self.sources = tuple(sources)
        self.tables: TableKeys = dict(tables or {})
        self.name = name or "subprocess"
        self.version = ""
        self.operations: frozenset[str] = frozenset()
        self.call_timeout_s = call_timeout_s
        self.start_timeout_s = start_timeout_s
        self.cwd = cwd
        self.env = env
        self.console: deque[ConsoleLine] = deque(maxlen=console_max_lines)
        self.restarts = 0
        self._starts = 0
        self._process: ClientProcess | None = None
        self._lock = asyncio.Lock()
        self._metrics = Metrics([s.name for s in self.sources])
        self._reported: dict[str, Any] = {}
        self._counts = {"hung": 0, "crashed": 0, "unavailable": 0}
        self._refused: ClientRefused | None = None

    # --- process life -----------------------------------------------------------------------

    def _on_line(self, line: ConsoleLine) -> None:
        self.console.append(line)
        level = logging.WARNING if line.text.lstrip().startswith("⚠") or line.stream == "stdout" else logging.INFO
        logging.getLogger(f"fallback.client.{self.name}").log(level, "%s", line.text, extra={"stream": line.stream})

    async def start(self) -> None:
        """Start the process now (otherwise the first call does); raises `CallFailed` if it cannot."""
        await self._ensure()

    async def _ensure(self) -> ClientProcess:
        async with self._lock:
            if self._process is not None and self._process.alive:
                return self._process
            if self._refused is not None:
                raise self._refused
            if self._process is not None:
                await self._process.kill("restarting")
            process = ClientProcess(self.command, self._on_line, cwd=self.cwd, env=self.env)
            self._process = process
            if self._starts:
                self.restarts += 1
                log.warning("restarting client %s: %s", self.name, self.command)
            self._starts += 1
            try:
                async with asyncio.timeout(self.start_timeout_s):
                    await process.start()
                    hello = self._check(await process.request("hello", protocol=wire.PROTOCOL_VERSION), "hello")
                    if not isinstance(hello.get("operations", []), list):
                        raise CallFailed("protocol_error", "hello: `operations` must be a list of names")
                    try:
                        wire.check_hello(hello)
                    except wire.ProtocolError as exc:
                        raise ClientRefused(f"client {self.command!r} speaks another protocol: {exc}") from exc
                    configure = wire.configure_params(self.sources, self.tables)
                    try:
                        self._check(await process.request("configure", **configure), "configure")
                    except CallFailed as exc:
                        raise ClientRefused(f"client {self.command!r} refused this stack: {exc.message}") from exc
            except ClientRefused as exc:
                await process.kill("refused the stack")
                self._refused = exc
                raise
            except (TimeoutError, ProcessGone, OSError, CallFailed) as exc:
                await process.kill("failed to start")
                self._counts["unavailable"] += 1
                why = f"no answer within {self.start_timeout_s:g} s" if isinstance(exc, TimeoutError) else str(exc)
                raise CallFailed("unavailable", f"client {self.command!r} could not be started: {why}") from exc
            self.name = str(hello.get("name") or self.name)
            self.version = str(hello.get("version") or "")
            self.operations = frozenset(str(op) for op in hello.get("operations") or ())
            return process

    @staticmethod
    def _check(reply: dict[str, Any], op: str) -> dict[str, Any]:
        if reply.get("ok") is not True:
            error: dict[str, Any] = reply["error"] if isinstance(reply.get("error"), dict) else {}
            said = str(error.get("kind") or "client_error")  # the wire's own kinds: unsupported, bad_request, ...
            kind: FailureKind = "unsupported" if said == "unsupported" else "client_error"
            prefix = "" if said in ("unsupported", "client_error") else f"{said}: "
            raise CallFailed(kind, f"{prefix}{op}: {error.get('message') or reply}")
        result = reply.get("result", {})
        if not isinstance(result, dict):
            raise CallFailed("protocol_error", f"{op}: `result` must be an object")
        return result

    async def _call(self, op: str, _timeout_s: float | None = None, **params: Any) -> dict[str, Any]:
        """One request under the deadline; raises `CallFailed`, never hangs."""
        process = await self._ensure()
        if op not in self.operations:
            raise CallFailed("unsupported", f"client {self.name} does not implement {op!r} (see its hello)")
        limit = _timeout_s or self.call_timeout_s
        try:
            async with asyncio.timeout(limit):
                reply = await process.request(op, **params)
        except TimeoutError as exc:
            self._counts["hung"] += 1
            log.warning(
                "client %s (pid %s): no answer to %s within %g s; killing it", self.name, process.pid, op, limit
            )
            await process.kill(f"killed: a {op} got no answer within {limit:g} s")
            raise CallFailed("hung", f"no answer to {op} within {limit:g} s; the client will be restarted") from exc
        except ProcessGone as exc:
            self._counts["crashed"] += 1
            log.warning("client %s (pid %s) gone during %s: %s", self.name, process.pid, op, exc)
            raise CallFailed("crashed", f"{op}: {exc}") from exc
        if isinstance(reply.get("console_lines"), int):
            await process.console_caught_up(reply["console_lines"])
        return self._check(reply, op)

    # --- FallbackClient ---------------------------------------------------------------------

    def _failed(self, source: str, op: Op, failure: CallFailed, since: float, row_id: str | None = None) -> Attempt:
        ambiguous = op != "select" and failure.kind not in DEFINITE
        return Attempt(source, op, failure.kind, _ms(since), row_id, ambiguous=ambiguous, message=failure.message)

    async def load(
        self, table: str, *, select: str | None = None, filters: Sequence[str] = (), order: str | None = None
    ) -> LoadResult:
        start = time.perf_counter()
        query = LoadQuery.of(select, filters, order)
        try:
            result = wire.load_result(table, await self._call("load", table=table, **query.wire()))
        except (CallFailed, wire.ProtocolError) as exc:
            failure = _as_failure(exc)
            attempts = tuple(self._failed(s.name, "select", failure, start) for s in self.sources)
            result = LoadResult(table, (), attempts, _ms(start), error=f"{failure.kind}: {failure.message}")
        self._metrics.record_load(result)
        return result

    async def create(self, table: str, row: Row) -> WriteResult:
        start = time.perf_counter()
        try:
            result = wire.write_result(table, row, await self._call("create", table=table, row=dict(row)))
        except (CallFailed, wire.ProtocolError) as exc:
            failure = _as_failure(exc)
            row_id = key_for(self.tables, table).text_of(row)
            attempt = self._failed(self.sources[0].name, "insert", failure, start, row_id)
            outcome: Literal["fail", "indeterminate"] = "indeterminate" if attempt.ambiguous else "fail"
            result = WriteResult(table, row_id, None, outcome, (attempt,), _ms(start))
        self._metrics.record_write(result)
        return result

    async def update(self, table: str, row: Row, changes: Mapping[str, Any]) -> UpdateResult:
        start = time.perf_counter()
        row_id, source = key_for(self.tables, table).text_of(row) or "?", str(row.get(SOURCE_TAG))
        try:
            reply = await self._call("update", table=table, row=dict(row), changes=dict(changes))
            result = wire.update_result(table, row_id, source, reply)
        except (CallFailed, wire.ProtocolError) as exc:
            attempt = self._failed(source, "update", _as_failure(exc), start, row_id)
            result = UpdateResult(table, row_id, source, _undecided(attempt), (attempt,), _ms(start))
        self._metrics.record_update(result)
        return result

    async def delete(self, table: str, row: Row) -> DeleteResult:
        start = time.perf_counter()
        row_id, source = key_for(self.tables, table).text_of(row) or "?", str(row.get(SOURCE_TAG))
        try:
            result = wire.delete_result(table, row_id, source, await self._call("delete", table=table, row=dict(row)))
        except (CallFailed, wire.ProtocolError) as exc:
            attempt = self._failed(source, "delete", _as_failure(exc), start, row_id)
            result = DeleteResult(table, row_id, source, _undecided(attempt), (attempt,), _ms(start))
        self._metrics.record_update(result)
        return result

    async def call(self, name: str, args: Mapping[str, Any]) -> CallResult:
        """A flow acting on `args["row"]` is blamed on that row's source when it gets no usable reply."""
        start = time.perf_counter()
        try:
            result = wire.call_result(name, await self._call("call", name=name, args=dict(args)))
        except (CallFailed, wire.ProtocolError) as exc:
            failure = _as_failure(exc)
            row = args.get("row")
            source = str(row.get(SOURCE_TAG)) if isinstance(row, Mapping) and row.get(SOURCE_TAG) else None
            attempt = self._failed(source or self.sources[0].name, "update", failure, start)
            unsupported = failure.kind == "unsupported"
            result = CallResult(
                name,
                _undecided(attempt),
                (attempt,),
                _ms(start),
                source,
                value=failure.message,
                unsupported=unsupported,
            )
        self._metrics.record_update(result)
        return result

    async def resolve_pending(self) -> tuple[Resolution, ...]:
        """`()` when the client has no such operation (as a client without pending writes)."""
        try:
            return wire.resolutions(await self._call("resolve_pending"))
        except (CallFailed, wire.ProtocolError):
            return ()

    async def refresh_metrics(self, timeout_s: float | None = None) -> dict[str, Any]:
        """Ask the client for its own figures (kept for `metrics()`)."""
        try:
            self._reported = await self._call("metrics", timeout_s)
        except CallFailed as exc:
            self._reported = {"unavailable": f"{exc.kind}: {exc.message}"}
        return self._reported

    def metrics(self) -> dict[str, Any]:
        data = self._metrics.snapshot()
        data["adapter"] = {"restarts": self.restarts, **self._counts, "client": self.name, "version": self.version}
        data["client_reported"] = self._reported
        return data

    def console_lines(self) -> tuple[ConsoleLine, ...]:
        return tuple(self.console)

    async def aclose(self) -> None:
        process = self._process
        if process is None or not process.alive:
            if process is not None:
                await process.kill("closed")
            return
        if "metrics" in self.operations:
            await self.refresh_metrics(min(self.call_timeout_s, 2.0))
        if "shutdown" in self.operations and process.alive:
            try:
                async with asyncio.timeout(2.0):
                    await process.request("shutdown")
            except (TimeoutError, ProcessGone):
                pass
        await process.stop()

    async def __aenter__(self) -> SubprocessClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def _undecided(attempt: Attempt) -> Outcome:
    """A write with no usable reply: `indeterminate` when the client may have sent it, else `fail`."""
    return "indeterminate" if attempt.ambiguous else "fail"


def _as_failure(exc: Exception) -> CallFailed:
    if isinstance(exc, CallFailed):
        return exc
    return CallFailed("protocol_error", str(exc))
