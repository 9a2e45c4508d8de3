"""uvicorn's h11 protocol, made to answer an over-long request head 431 instead of resetting the connection.

h11 gives up on a request whose line and headers grow beyond its limit while it waits for the rest
(`RemoteProtocolError`, status hint 431); uvicorn then answers a plain-text 400 and closes the socket at
once. The client is usually still sending (a 1 MB bearer token), so the close, with unread bytes in the
kernel's buffer, becomes a TCP reset, and the client sees "connection reset" and never the answer.

Here the answer is 431 with the gateway's JSON error body, then a lingering close as web servers do it:
our side of the connection is shut (FIN), the rest of the request is read and thrown away, and the socket
closes when the client closes it, after `DRAIN_SECONDS`, or after `DRAIN_BYTES`, whichever comes first.
Subclassing keeps everything else uvicorn's own (there is no hook for this in uvicorn's configuration).
"""

from __future__ import annotations

from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from . import errors
from .limits import MAX_HEADER_BYTES

DRAIN_SECONDS = 5.0
DRAIN_BYTES = 16 * 1024 * 1024

_Next = h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]


class _Connection(h11.Connection):
    """An h11 connection that remembers the status h11 suggested for the request it refused."""

    refused_status: int | None = None

    def next_event(self) -> _Next:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refused_status = exc.error_status_hint
            raise


class GatewayH11Protocol(H11Protocol):
    """Give to `uvicorn.run(http=...)` together with `h11_max_incomplete_event_size=MAX_HEADER_BYTES`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = self.config.h11_max_incomplete_event_size
        self.conn = _Connection(h11.SERVER, limit if limit is not None else MAX_HEADER_BYTES)
        self._drained: int | None = None
        """Bytes thrown away since the 431 answer; None while the connection serves requests."""

    def data_received(self, data: bytes) -> None:
        if self._drained is None:
            super().data_received(data)
            return
        self._drained += len(data)
        if self._drained > DRAIN_BYTES:
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn calls this for every request h11 refuses; only the over-long head is answered differently."""
        if not isinstance(self.conn, _Connection) or self.conn.refused_status != 431:
            super().send_400_response(msg)
            return
        self.logger.warning("Request line and headers longer than %d bytes: answered 431.", MAX_HEADER_BYTES)
        error = errors.header_fields_too_large(MAX_HEADER_BYTES)
        body = error.body()
        headers = [
            (b"content-type", errors.JSON_UTF8.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        response = h11.Response(status_code=error.status, headers=headers, reason=b"Request Header Fields Too Large")
        for event in (response, h11.Data(data=body), h11.EndOfMessage()):
            output = self.conn.send(event)
            if output:
                self.transport.write(output)
        self._drained = 0
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(DRAIN_SECONDS, self.transport.close)
