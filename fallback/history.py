"""The history of a run, Jepsen style: every operation is an `invoke` event followed by one
completion (`ok`, `fail` or `indeterminate`), and possibly by `resolve` events telling how an
indeterminate write was settled later.

    #12 t=1.203 p3 invoke create user_challenges marker=op-17@harness.test
    #15 t=1.260 p3 ok     create user_challenges -> PRIMARY row 8c1e...

Conventions the engine follows so the checker can map database rows back to operations:

* rows are named by their table's primary key, as text (`fallback.client.keys.RowKey.text`: the
  value, or a JSON array of the values for a composite key): `row_id` everywhere below;
* every create of a table with a free text column puts `op_marker(op_id)` (`op-<id>@harness.test`)
  in it (the spec's tables: `email`): a spec-faithful create gets its id from the database, and a
  failed-over write that committed twice shows up as two rows with the same marker;
* every update of a table with a free text column puts `op_token(op_id)` (`op-<id>`) in a changed
  text field, and a call's `{op}` arguments carry it (assign_mt5: the login), so its values can be
  recognised in any source.

A call (`op="call"`) records the flow's name in `call`; `Event.name` is the op as reports and
expectations name it (`assign_mt5` for that call, the op otherwise).

Times are monotonic seconds since the workload started. A call's `kind` is the client's
(`fallback.client.errors.CallKind`, with `status` and `code` for an HTTP error); an operation's
`error` is an `ErrorKind` (a call's failure kind, `all_failed`, `indeterminate`, ...: all in
`fallback.client.errors`). Reports show a kind with its status and code as one label,
`http_503:PGRST001` (`fallback.client.errors.label`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fallback.client.errors import CallKind, ErrorKind, label

EventType = Literal["invoke", "ok", "fail", "indeterminate", "resolve"]
HistoryOp = Literal["load", "create", "update", "delete", "call"]
Scalar = str | int | float | bool | None
COMPLETIONS = ("ok", "fail", "indeterminate")
_MARKER = re.compile(r"^op-(\d+)@harness\.test$")
TOKEN = re.compile(r"(?<![\w-])op-\d+(?![\w-])")
"""Any op token, as `carries_token` recognises one."""


def op_token(op_id: int) -> str:
    return f"op-{op_id}"


def carries_token(value: object, op_id: int) -> bool:
    """Whether `value` holds `op-<id>` as a whole token (`op-1` is not in `op-12`)."""
    return isinstance(value, str) and re.search(rf"(?<![\w-]){op_token(op_id)}(?![\w-])", value) is not None


def op_marker(op_id: int) -> str:
    """What the engine writes in a created row's marker column (the spec's tables: `email`)."""
    return f"{op_token(op_id)}@harness.test"


def marker_op_id(value: object) -> int | None:
    """The op id of a marker value, or None for a value no create of this run wrote (the seed)."""
    match = _MARKER.match(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceCall(_Record):
    """One call the client made to one source during an operation."""

    source: str
    kind: CallKind
    """`ok` or a failure kind."""
    status: int | None = None
    """The HTTP status of an `http` failure."""
    code: str | None = None
    """The PostgREST code of an `http` failure, when the source gave one."""
    latency_ms: float = 0.0
    ambiguous: bool = False
    """A write that may or may not have committed."""
    row_ids: tuple[str, ...] | None = None
    """Loads: the ids this source returned (None when not recorded)."""

    @property
    def label(self) -> str:
        """`ok`, `refused`, `http_503:PGRST001`."""
        return label(self.kind, self.status, self.code)


class Event(_Record):
    index: int = -1
    """Position in the history (set by `History.append`)."""
    type: EventType
    op_id: int
    process: int
    """The worker that ran the operation."""
    client: str
    op: HistoryOp
    call: str | None = None
    """Call events: the flow's name (`assign_mt5`)."""
    table: str
    time_s: float
    latency_ms: float | None = None
    """Completions: time since the invoke."""
    source: str | None = None
    """Create: where the row landed (ok) or may have landed (indeterminate). Update: where the
    client sent it. Resolve: where the row lives now."""
    row_id: str | None = None
    """Create: the row's key, when known. Update, delete, call: the row acted on (its key)."""
    row_source: str | None = None
    """Update, delete and call invokes: the row's own source (`_db_source`) as the client saw it."""
    marker: str | None = None
    """Create invoke: `op_marker(op_id)`, written in the table's marker column (None: it has none)."""
    changes: dict[str, Scalar] = Field(default_factory=dict)
    """Update invoke: the values set (by column). Call invoke: the arguments carrying the op token (by name)."""
    calls: tuple[SourceCall, ...] = ()
    rows_by_source: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Load completion: ids of the merged rows per `_db_source` tag."""
    degraded: bool | None = None
    stale: bool | None = None
    error: ErrorKind | None = None
    """Completions other than `ok`: why."""
    error_status: int | None = None
    """The HTTP status when `error` is `http`."""
    error_code: str | None = None
    """The PostgREST code when `error` is `http` and the source gave one."""
    message: str = ""
    """Completions: the client's own words about an error, when it gave some."""
    outcome: Literal["ok", "indeterminate"] | None = None
    """Resolve: `ok` when the row now lives in exactly one source."""
    found_in: tuple[str, ...] = ()
    deleted_from: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _assign_mt5_is_a_call(cls, data: Any) -> Any:
        """`op: assign_mt5` (histories written before calls existed) is `op: call, call: assign_mt5`."""
        if isinstance(data, dict) and data.get("op") == "assign_mt5":
            return {**data, "op": "call", "call": "assign_mt5"}
        return data

    @property
    def name(self) -> str:
        """The operation as reports and expectations name it: a call's flow (`assign_mt5`), else the op."""
        return self.call if self.op == "call" and self.call else self.op

    @property
    def error_label(self) -> str | None:
        """`error` as reports show it: `all_failed`, `hung`, `http_503:PGRST001`."""
        return None if self.error is None else label(self.error, self.error_status, self.error_code)

    def failed_sources(self) -> tuple[str, ...]:
        return tuple(call.source for call in self.calls if call.kind != "ok")

    def describe(self) -> str:
        """One line of a replayable failure: `#15 t=1.260s p3 ok create user_challenges -> PRIMARY ...`."""
        parts = [
            f"#{self.index}",
            f"t={self.time_s:.3f}s",
            f"p{self.process}",
            f"{self.type:<13}",
            self.name,
            self.table,
        ]
        parts.append(f"op={self.op_id}")
        if self.type == "invoke":
            if self.marker:
                parts.append(f"marker={self.marker}")
            if self.row_id:
                parts.append(f"row={self.row_id}@{self.row_source}")
            if self.changes:
                parts.append("set " + ", ".join(f"{k}={v!r}" for k, v in self.changes.items()))
        else:
            if self.source or self.row_id:
                parts.append(f"-> {self.source or '?'} row={self.row_id or '?'}")
            if self.rows_by_source:
                parts.append("rows " + " ".join(f"{s}:{len(ids)}" for s, ids in self.rows_by_source.items()))
            failed = self.failed_sources()
            if failed:
                parts.append("failed " + ",".join(failed))
            if self.error:
                parts.append(f"error={self.error_label}")
            if self.type == "resolve":
                parts.append(f"found_in={','.join(self.found_in) or '-'}")
        return " ".join(parts)


@dataclass(frozen=True)
class Operation:
    """An invoke with its completion (None while running) and later resolutions."""

    invoke: Event
    completion: Event | None
    resolutions: tuple[Event, ...] = ()

    @property
    def op_id(self) -> int:
        return self.invoke.op_id

    @property
    def op(self) -> str:
        """The operation as reports name it (`Event.name`): a call's flow (`assign_mt5`), else the op."""
        return self.invoke.name

    @property
    def kind(self) -> HistoryOp:
        """The generic operation: `load`, `create`, `update`, `delete` or `call`."""
        return self.invoke.op

    @property
    def outcome(self) -> str:
        """`ok`, `fail`, `indeterminate`, or `pending` (never completed: the run stopped first)."""
        return self.completion.type if self.completion else "pending"

    @property
    def events(self) -> tuple[Event, ...]:
        done = (self.completion,) if self.completion else ()
        return (self.invoke, *done, *self.resolutions)


class HistoryData(_Record):
    """The serialised form: `{"events": [...]}`."""

    events: tuple[Event, ...] = ()


class History:
    """An append-only list of events. `append` takes a lock: workers on threads or on one event
    loop may share a history."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._next_op = 1
        for event in events:
            self.append(event)

    def new_op_id(self) -> int:
        with self._lock:
            op_id = self._next_op
            self._next_op += 1
            return op_id

    def append(self, event: Event) -> Event:
        with self._lock:
            stored = event.model_copy(update={"index": len(self._events)})
            self._events.append(stored)
            self._next_op = max(self._next_op, event.op_id + 1)
            return stored

    def invoke(
        self,
        *,
        process: int,
        client: str,
        op: HistoryOp,
        table: str,
        time_s: float,
        op_id: int | None = None,
        **fields: Any,
    ) -> Event:
        """Record the start of an operation. Its id comes from `new_op_id()` unless given (take one
        first when the row needs it: `marker=op_marker(op_id)`, `mt5_login=op_token(op_id)`)."""
        op_id = self.new_op_id() if op_id is None else op_id
        event = Event(
            type="invoke", op_id=op_id, process=process, client=client, op=op, table=table, time_s=time_s, **fields
        )
        return self.append(event)

    def complete(self, invoke: Event, type: EventType, *, time_s: float, **fields: Any) -> Event:
        """Record the completion (or a later `resolve`) of the operation `invoke` started."""
        fields.setdefault("latency_ms", (time_s - invoke.time_s) * 1000 if type != "resolve" else None)
        same: dict[str, Any] = {"op_id": invoke.op_id, "process": invoke.process, "client": invoke.client}
        return self.append(
            Event(type=type, op=invoke.op, call=invoke.call, table=invoke.table, time_s=time_s, **same, **fields)
        )

    @property
    def events(self) -> tuple[Event, ...]:
        with self._lock:
            return tuple(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def to_data(self) -> HistoryData:
        return HistoryData(events=self.events)

    def to_json(self) -> str:
        return self.to_data().model_dump_json(indent=None)

    @classmethod
    def from_json(cls, text: str) -> History:
        return cls(HistoryData.model_validate_json(text).events)

    def operations(self, client: str | None = None) -> list[Operation]:
        """Operations in invoke order (optionally of one client)."""
        invokes: dict[int, Event] = {}
        completions: dict[int, Event] = {}
        resolutions: dict[int, list[Event]] = {}
        for event in self.events:
            if client is not None and event.client != client:
                continue
            if event.type == "invoke":
                invokes[event.op_id] = event
            elif event.type == "resolve":
                resolutions.setdefault(event.op_id, []).append(event)
            else:
                completions.setdefault(event.op_id, event)
        return [
            Operation(invoke, completions.get(op_id), tuple(resolutions.get(op_id, ())))
            for op_id, invoke in invokes.items()
        ]

    def operation(self, op_id: int) -> Operation:
        for operation in self.operations():
            if operation.op_id == op_id:
                return operation
        raise KeyError(f"no operation {op_id} in the history")

    def clients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(event.client for event in self.events))

    def completions(self, op: str | None = None, client: str | None = None) -> list[Event]:
        return [
            e
            for e in self.events
            if e.type in COMPLETIONS and (op is None or op in (e.op, e.name)) and (client is None or e.client == client)
        ]
