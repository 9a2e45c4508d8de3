"""The wire format between the harness and a fallback client in another process (protocol 2).

JSON lines over the client's stdin and stdout, UTF-8, one JSON object per line, no other output
on stdout (anything else printed there is kept as a console line, never parsed). The client's
stderr is its console: free text, captured line by line.

Requests (harness -> client), each with an integer `id` unique within the process's life::

    {"id": 1, "op": "hello", "protocol": 2}
    {"id": 2, "op": "configure", "sources": [{"name": "PRIMARY", "url": "http://...", "key": "..."}, ...],
              "tables": {"user_challenges": {"primary_key": ["id"], "generated": true}, ...}}
        (a source may also carry "access_token": a signed-in user's token, to send as
         `Authorization: Bearer` instead of the key, as a signed-in supabase client does;
         `tables` gives each table's primary key, and whether the database fills it when a create
         leaves it out; a table not listed is keyed by `id`)
    {"id": 3, "op": "load", "table": "user_challenges"}
    {"id": 3, "op": "load", "table": "orders", "select": "*,customer:customers(name)",
              "filters": ["status=eq.open", "amount=gte.10"], "order": "created_at.desc"}
        (PostgREST's syntax, to pass through as query parameters; each key only when given)
    {"id": 4, "op": "create", "table": "user_challenges", "row": {...}}
    {"id": 5, "op": "update", "table": "user_challenges", "row": {..., "_db_source": "BOLT"}, "changes": {...}}
    {"id": 6, "op": "delete", "table": "user_challenges", "row": {..., "_db_source": "BOLT"}}
    {"id": 7, "op": "call", "name": "assign_mt5",
              "args": {"row": {...}, "login": "...", "password": "...", "server": "..."}}
    {"id": 8, "op": "resolve_pending"}
    {"id": 9, "op": "metrics"}
    {"id": 10, "op": "shutdown"}

`sources` are in priority order (1 to 8 of them, any names). A row is named by its table's
primary key and routed by its `_db_source`. Replies (client -> harness), one per request, in any
order (a client may run requests concurrently; `id` pairs them)::

    {"id": 3, "ok": true, "result": {...}, "console_lines": 12}
    {"id": 3, "ok": false, "error": {"kind": "unsupported" | "bad_request" | "client_error", "message": "..."}}

`console_lines` (optional) is how many lines the client has written to stderr so far: the harness
waits (up to 1 s) until it has read that many before returning the result, so the console lines
an operation printed are captured by the time the operation returns (stdout and stderr are two
pipes, and a reply can overtake the lines printed before it).

`hello` comes first and its result names the client and the protocol it speaks, which must be 2
(a client that says 1, or nothing, is refused before anything else is sent, with `CHANGES_FROM_1`)::

    {"name": "spec-js", "version": "0.1.0 (...)", "operations": ["load", "create", ...], "protocol": 2}

`operations` lists what the client implements among `load`, `create`, `update`, `delete`, `call`,
`resolve_pending`, `metrics`, `shutdown` (`hello` and `configure` are always required). An
operation not listed is never sent: the harness answers it itself with the failure kind
`unsupported`. A `call` of a flow the client does not know is answered `ok: false` with kind
`unsupported`. `configure` replies `{}`; after it the client must be ready.

Results (fields marked ? may be omitted; defaults in brackets)::

    load:       {"rows": [row, ...], "attempts": [attempt, ...], "latency_ms": n,
                 "error"?: str [null], "stale"?: bool [false], "stale_age_s"?: n [null],
                 "duplicates"?: [{"key": str, "kept": str, "dropped": [str]}] [[]]}
    create:     {"row_id": str|null, "source": str|null, "outcome": "ok"|"fail"|"indeterminate",
                 "attempts": [...], "latency_ms": n, "row"?: {...}|null, "pending_source"?: str|null}
    update, delete:
                {"row_id": str, "source": str, "outcome": ..., "attempts": [...], "latency_ms": n, "row"?: ...}
    call:       {"outcome": ..., "attempts": [...], "latency_ms": n, "source"?: str|null, "table"?: str|null,
                 "row_id"?: str|null, "row"?: {...}|null, "value"?: any}
    resolve_pending:
                {"resolutions": [{"table", "row_id", "pending_source", "outcome", "source"?,
                                  "found_in"?: [str], "deleted_from"?: [str], "attempts"?: [...]}]}
    metrics:    any JSON object
    shutdown:   {} (then exit; the harness kills the process if it has not exited within 2 s)
    attempt:    {"source": str, "op": "select"|"insert"|"upsert"|"probe"|"update"|"delete"|"snapshot",
                 "kind": "ok" | failure kind, "latency_ms": n, "row_id"?: str|null, "count"?: int|null,
                 "ambiguous"?: bool [false], "status"?: int|null, "code"?: str|null, "message"?: str [""]}

`row_id` is the row's key as text: the value for a one-column key, a JSON array of the values as
strings for a composite one (`["acme","42"]`). Rows in `rows`, `row` carry `_db_source`. An
attempt's `kind` is `ok` or a failure kind of `fallback.client.errors` (`refused`,
`connect_error`, `timeout`, `hung`, `reset`, `not_found`, `error`, ...); an error status is
`http` with `status`, or written `http_<NNN>` (`status` then defaults to NNN; `http_503:PGRST001`
also sets `code`). A kind the harness does not know is recorded as `error`, the client's word
kept at the head of `message`. Keys sent in `configure` are secrets: a client must not print them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, cast, get_args

from fallback.client.config import SourceConfig
from fallback.client.errors import CallKind, ClientError, call_kind
from fallback.client.keys import TableKeys
from fallback.client.results import (
    Attempt,
    CallResult,
    DeleteResult,
    Duplicate,
    LoadResult,
    Op,
    Outcome,
    PendingWrite,
    Resolution,
    UpdateResult,
    WriteResult,
)

PROTOCOL_VERSION = 2
OPERATIONS: tuple[str, ...] = (
    "load",
    "create",
    "update",
    "delete",
    "call",
    "resolve_pending",
    "metrics",
    "shutdown",
)
CHANGES_FROM_1 = (
    "protocol 2 changed: `configure` carries `tables` (each table's primary key: name rows by it, not by "
    "`id` alone); `load` may carry `select`, `filters` and `order` (PostgREST's syntax); `update` names its "
    "`table` first as before; new `delete` {table, row}; `assign_mt5` {row, login, password, server} is now "
    "`call` {name: 'assign_mt5', args: {row, login, password, server}}; `hello` must answer `protocol: 2`. "
    "The format is in fallback/adapters/protocol_messages.py"
)
_OPS: frozenset[str] = frozenset(get_args(Op))
_OUTCOMES: frozenset[str] = frozenset(get_args(Outcome))


class ProtocolError(ClientError):
    """The client broke the wire format: a malformed line, a missing field, a wrong type."""


def encode(request_id: int, op: str, **params: Any) -> bytes:
    """One request line. `default=str` lets rows hold dates, uuids and decimals."""
    return (json.dumps({"id": request_id, "op": op, **params}, default=str) + "\n").encode()


def configure_params(sources: Sequence[SourceConfig], tables: TableKeys | None = None) -> dict[str, Any]:
    return {
        "sources": [
            {"name": s.name, "url": s.url, "key": s.key, **({"access_token": s.access_token} if s.access_token else {})}
            for s in sources
        ],
        "tables": {
            name: {"primary_key": list(key.columns), "generated": key.generated} for name, key in (tables or {}).items()
        },
    }


def check_hello(hello: Mapping[str, Any]) -> None:
    """Refuse a client that speaks another protocol, saying what changed since the one it speaks."""
    said = hello.get("protocol")
    if said == PROTOCOL_VERSION:
        return
    if said in (None, 1):
        speaks = "protocol 1" if said == 1 else "no protocol version (protocol 1 clients said none or 1)"
        raise ProtocolError(
            f"the client speaks {speaks}; the harness speaks protocol {PROTOCOL_VERSION}. {CHANGES_FROM_1}"
        )
    raise ProtocolError(f"the client speaks protocol {said!r}; the harness speaks protocol {PROTOCOL_VERSION}")


def decode_reply(line: bytes) -> dict[str, Any] | None:
    """A reply object, or None for a line that is not one (kept as console output instead)."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    if not isinstance(message, dict) or "id" not in message or "ok" not in message:
        return None
    return message


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if key not in data or data[key] is None:
        if default is ...:
            raise ProtocolError(f"reply field {key!r} is missing")
        return default
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float, (int, float))):
        raise ProtocolError(f"reply field {key!r} has the wrong type: {type(value).__name__}")
    return value


def _outcome(data: Mapping[str, Any]) -> Outcome:
    value = _get(data, "outcome", str)
    if value not in _OUTCOMES:
        raise ProtocolError(f"unknown outcome {value!r} (known: {', '.join(sorted(_OUTCOMES))})")
    return cast(Outcome, value)


def attempt(data: Any) -> Attempt:
    if not isinstance(data, dict):
        raise ProtocolError("an attempt must be an object")
    op = _get(data, "op", str)
    if op not in _OPS:
        raise ProtocolError(f"unknown attempt op {op!r} (known: {', '.join(sorted(_OPS))})")
    row_id = data.get("row_id")
    said: str = _get(data, "kind", str)
    message: str = _get(data, "message", str, "")
    status: int | None = _get(data, "status", int, None)
    code: str | None = _get(data, "code", str, None)
    known = call_kind(said)
    kind: CallKind = "error"
    if known is None:
        message = f"{said}: {message}" if message else said
    else:
        kind, status, code = known[0], status if status is not None else known[1], code or known[2]
    return Attempt(
        source=_get(data, "source", str),
        op=cast(Op, op),
        kind=kind,
        latency_ms=float(_get(data, "latency_ms", (int, float))),
        row_id=None if row_id is None else str(row_id),
        count=_get(data, "count", int, None),
        ambiguous=_get(data, "ambiguous", bool, False),
        status=status,
        code=code,
        message=message,
    )


def _attempts(data: Mapping[str, Any]) -> tuple[Attempt, ...]:
    return tuple(attempt(a) for a in _get(data, "attempts", list, []))


def _row(data: Mapping[str, Any], key: str = "row") -> dict[str, Any] | None:
    row: dict[str, Any] | None = _get(data, key, dict, None)
    return row


def load_result(table: str, data: Mapping[str, Any]) -> LoadResult:
    rows = _get(data, "rows", list)
    if not all(isinstance(r, dict) for r in rows):
        raise ProtocolError("every row must be an object")
    duplicates = tuple(
        Duplicate(_get(d, "key", str), _get(d, "kept", str), tuple(_get(d, "dropped", list, [])))
        for d in _get(data, "duplicates", list, [])
    )
    stale_age = _get(data, "stale_age_s", (int, float), None)
    return LoadResult(
        table,
        tuple(rows),
        _attempts(data),
        float(_get(data, "latency_ms", (int, float))),
        duplicates,
        stale=_get(data, "stale", bool, False),
        stale_age_s=None if stale_age is None else float(stale_age),
        error=_get(data, "error", str, None),
    )


def write_result(table: str, row: Mapping[str, Any], data: Mapping[str, Any]) -> WriteResult:
    outcome = _outcome(data)
    row_id = data.get("row_id")
    row_id = None if row_id is None else str(row_id)
    pending_source = _get(data, "pending_source", str, None)
    pending = None
    if outcome == "indeterminate" and row_id is not None and pending_source is not None:
        pending = PendingWrite(table, row_id, pending_source, dict(row), time.time())
    return WriteResult(
        table,
        row_id,
        _get(data, "source", str, None),
        outcome,
        _attempts(data),
        float(_get(data, "latency_ms", (int, float))),
        _row(data),
        pending,
    )


def update_result(table: str, row_id: str, source: str, data: Mapping[str, Any]) -> UpdateResult:
    return UpdateResult(
        table,
        str(data.get("row_id") or row_id),
        _get(data, "source", str, source),
        _outcome(data),
        _attempts(data),
        float(_get(data, "latency_ms", (int, float))),
        _row(data),
    )


def delete_result(table: str, row_id: str, source: str, data: Mapping[str, Any]) -> DeleteResult:
    done = update_result(table, row_id, source, data)
    return DeleteResult(done.table, done.row_id, done.source, done.outcome, done.attempts, done.latency_ms, done.row)


def call_result(name: str, data: Mapping[str, Any]) -> CallResult:
    row_id = data.get("row_id")
    return CallResult(
        name,
        _outcome(data),
        _attempts(data),
        float(_get(data, "latency_ms", (int, float))),
        source=_get(data, "source", str, None),
        table=_get(data, "table", str, None),
        row_id=None if row_id is None else str(row_id),
        row=_row(data),
        value=data.get("value"),
    )


def resolutions(data: Mapping[str, Any]) -> tuple[Resolution, ...]:
    found: list[Resolution] = []
    for item in _get(data, "resolutions", list):
        if not isinstance(item, dict):
            raise ProtocolError("a resolution must be an object")
        table = _get(item, "table", str)
        row_id, owner = _get(item, "row_id", str), _get(item, "pending_source", str)
        pending = PendingWrite(table, row_id, owner, {}, time.time())
        found.append(
            Resolution(
                pending,
                _outcome(item),
                _get(item, "source", str, None),
                tuple(_get(item, "found_in", list, [])),
                tuple(_get(item, "deleted_from", list, [])),
                _attempts(item),
            )
        )
    return tuple(found)
