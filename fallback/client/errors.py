"""Client errors, and the one place where third-party failures become outcome kinds.

Exceptions raised by this package::

    ClientError
    ├── ConfigError            sources missing or malformed (env, stack state)
    ├── RoutingError           a row without a usable `_db_source` / `id`
    └── OperationFailed        raised by `Result.raise_for_outcome()`, carries `.result`
        ├── SourceUnavailable  the one source an update must go to did not take it
        ├── AllSourcesFailed   a create found no source to take the row
        └── WriteIndeterminate the row may or may not exist: see `pending`

Failures of httpx, postgrest-py and asyncio never leave a client as exceptions: `classify`
(the only place where third-party errors become kinds) turns them into a `Failure` whose `kind`
is a `FailureKind`:

    refused        the TCP connection was refused (nothing was sent)
    connect_error  the connection could not be made for another reason: DNS, no route, TLS
                   (nothing was sent)
    timeout        an httpx phase timeout (`connect` and `pool` ones mean nothing was sent)
    hung           our own total deadline (`asyncio.timeout`) expired first
    cut            a load stopped waiting for a source late for itself (`fallback.client.adaptive`);
                   its call ran on in the background
    reset          the connection broke after the request went out (RST, EOF, FIN)
    http           the source answered with an error status: `status` holds it (e.g. 503),
                   `code` the PostgREST code (e.g. `PGRST001`), when known
    breaker_open   the source's circuit breaker refused the call (nothing was sent)
    not_found      the source answered, but the row to update is not there
    error          anything else (a bug, a malformed answer)

and, for a client in another process (`fallback.adapters`):

    crashed         the client process died during the call
    unavailable     the client process could not be started (nothing was sent)
    unsupported     the client does not implement the operation (nothing was sent)
    protocol_error  the client broke the wire format
    client_error    the client answered the request with an error of its own

`ambiguous` marks failures after which a write may have committed or not.

An operation (a load, a create, an update) that did not end ok has an `ErrorKind`: the failure
kind of the call that decided it, or one of

    all_failed          no source took the create, or every source failed a load in different ways
    indeterminate       a create whose fate is unknown (until `resolve_pending`)
    source_unavailable  an update failed without any attempt to show for it
    no_row              an update found no row to update (nothing loaded yet)

(`hung` is also the harness's own: the client did not answer within the engine's deadline.)

Reports show a failure as one label, `label(kind, status, code)`: `refused`, `http_503`,
`http_503:PGRST001`. `parse_label` reads one back: the subprocess wire format and scenario
files (`error: {op: create, kind: http_503}`) spell kinds that way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast, get_args

import httpx
from postgrest.exceptions import APIError

if TYPE_CHECKING:
    from fallback.client.results import Result, RoutedResult


class ClientError(Exception):
    """Base of every error this package raises."""


class ConfigError(ClientError):
    """The sources are missing or malformed."""


class RoutingError(ClientError):
    """A row cannot be routed: no `id`, or a `_db_source` naming no configured source."""


class OperationFailed(ClientError):
    """An operation did not do what it was asked; `result` says what was tried."""

    def __init__(self, message: str, result: Result | RoutedResult) -> None:
        super().__init__(message)
        self.result = result


class SourceUnavailable(OperationFailed):
    """The row's own source could not take the update; nothing was written elsewhere."""


class AllSourcesFailed(OperationFailed):
    """Every source refused the new row, definitely: it exists nowhere."""


class WriteIndeterminate(OperationFailed):
    """A write may have landed on an unreachable source; it is kept pending for `resolve_pending()`."""


FailureKind = Literal[
    "refused",
    "connect_error",
    "timeout",
    "hung",
    "cut",
    "reset",
    "http",
    "breaker_open",
    "not_found",
    "error",
    "crashed",
    "unavailable",
    "unsupported",
    "protocol_error",
    "client_error",
]
"""How a call failed (see the module docstring)."""
CallKind = Literal["ok", FailureKind]
"""How a call ended: `ok` or a failure kind."""
ErrorKind = Literal[FailureKind, "all_failed", "indeterminate", "source_unavailable", "no_row"]
"""Why an operation did not end ok."""
FAILURE_KINDS: frozenset[FailureKind] = frozenset(get_args(FailureKind))
CALL_KINDS: frozenset[CallKind] = frozenset(("ok", *FAILURE_KINDS))
_LABEL = re.compile(r"^(?P<kind>[a-z_]+?)(?:_(?P<status>\d{3}))?(?::(?P<code>.+))?$")


def label(kind: str, status: int | None = None, code: str | None = None) -> str:
    """`http` + 503 + `PGRST001` -> `http_503:PGRST001`; `refused` -> `refused`. A code that only
    repeats the status is left out (postgrest-py gives `"404"` as the code of a bare 404)."""
    base = f"{kind}_{status}" if status is not None and kind == "http" else kind
    return f"{base}:{code}" if code and code != str(status) else base


def parse_label(text: str) -> tuple[str, int | None, str | None] | None:
    """`http_503:PGRST001` -> (`http`, 503, `PGRST001`); None when `text` is not `kind[_NNN][:code]`.

    The kind is returned as written: the caller checks it against the kinds it accepts."""
    match = _LABEL.match(text.strip())
    if match is None:
        return None
    status = match.group("status")
    return match.group("kind"), int(status) if status else None, match.group("code")


def call_kind(text: str) -> tuple[CallKind, int | None, str | None] | None:
    """A call's kind, status and code from its label, or None for a label that names no kind."""
    parsed = parse_label(text)
    if parsed is None or parsed[0] not in CALL_KINDS or (parsed[1] is not None and parsed[0] != "http"):
        return None
    kind, status, code = parsed
    return cast(CallKind, kind), status, code


def error_kind(text: str) -> tuple[ErrorKind, int | None, str | None] | None:
    """An operation's error kind, status and code from its label (`http_503:PGRST001`, `all_failed`)."""
    if text in get_args(ErrorKind) and text not in CALL_KINDS:
        return cast(ErrorKind, text), None, None
    known = call_kind(text)
    return None if known is None or known[0] == "ok" else (known[0], known[1], known[2])


@dataclass(frozen=True)
class Failure:
    """What went wrong with one call, in our terms (never the third-party exception itself)."""

    kind: FailureKind
    message: str
    status: int | None = None
    code: str | None = None
    ambiguous: bool = False
    """True when the request may have reached the source: a write may or may not have committed."""


AFTER_THE_ORIGIN = frozenset({502, 504, 520, 524})
"""Answers an edge in front of PostgREST makes after passing the request on (Kong: an invalid answer, none in
time; Cloudflare 520, 524): a write may have committed. PostgREST's own errors carry its code (504 PGRST003
ran nothing), so only an answer without one counts."""

_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove keys and tokens from a message (httpx errors can echo URLs; never let a key through)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _JWT.sub("***", text)


def _root_causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_refusal(exc: BaseException) -> bool:
    for cause in _root_causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return True
        if "refused" in str(cause).lower():
            return True
    return False


def classify(exc: BaseException, status: int | None = None, secrets: Iterable[str] = ()) -> Failure:
    """Convert a failure at the boundary (httpx, postgrest-py, asyncio) into a `Failure`.

    `status` is the HTTP status seen on the wire, when there was a response: postgrest-py's
    `APIError` keeps the PGRST code but drops the status.
    """
    secrets = tuple(secrets)
    message = redact(f"{type(exc).__name__}: {exc}", secrets)
    if isinstance(exc, APIError):
        code = exc.code
        status = status or (int(code) if code and code.isdigit() else None)
        text = redact(f"{code or ''} {exc.message or ''}".strip(), secrets)
        from_edge = status in AFTER_THE_ORIGIN and (code is None or code == str(status))  # no PostgREST code
        return Failure("http", text, status=status, code=code, ambiguous=from_edge)
    if isinstance(exc, TimeoutError):  # asyncio.timeout: our own total deadline
        return Failure("hung", "no answer within the deadline", ambiguous=True)
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return Failure("timeout", message, ambiguous=False)
    if isinstance(exc, httpx.TimeoutException):  # read / write timeout: the request went out
        return Failure("timeout", message, ambiguous=True)
    if isinstance(exc, httpx.ConnectError):
        return Failure("refused" if _is_refusal(exc) else "connect_error", message, ambiguous=False)
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError):
        return Failure("reset", message, ambiguous=True)
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return Failure("reset", message, ambiguous=True)
    return Failure("error", message, ambiguous=True)
