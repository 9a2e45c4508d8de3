"""The HTTP edge: Kong or Cloudflare in front of the gateway misbehaving, as the `edge_*` fault kinds ask.

    uvicorn.run(Edge(create_app(config), control=Path(config_path).with_name(CONTROL_FILE)), ...)

An ASGI layer outside everything else in the gateway process (`__main__.py`). With no rule on (the usual
case) it costs one `stat` of the control file per API request and passes everything through. What the
fault applier (`fallback.faults._edge`) switched on in the control file (`edge_control.py`, which says why a
file) is played on the API paths (`/rest/...`) only: `/live` and `/ready` are the harness's health checks,
not the client's traffic. Each rule picks its requests (`share`, `first`), then, in this order:

- `edge_slow_first_byte`: the request waits `delay` ms at the edge before the gateway gets it;
- `edge_status`: the edge answers `status` with Kong's or Cloudflare's page (`edge_pages.py`), after the
  gateway ran the request (`forwarded`: its answer is thrown away) or without it (`dropped`);
- `edge_stalled`: the gateway's status and headers go out at once, its body after `stall` ms (0: when the
  rule is switched off);
- `edge_truncated`: the gateway's body cut after `keep` of its bytes: the connection closed there (`close`),
  or a message whose Content-Length says the cut length (`length`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import os
from fractions import Fraction
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import edge_pages
from .edge_control import (
    CONTROL_FILE,
    EdgeRule,
    StalledRule,
    StatusRule,
    TruncatedRule,
    process_started,
    rules_for,
)
from .edge_inside import PoolHold, answer_expired, gateway_of, holds_user_token

__all__ = ["CONTROL_FILE", "Edge", "Switch"]

API_PREFIX = "/rest/"
POLL_S = 0.05
"""How often a stall without an end looks whether its rule is still on."""
_CUT = contextvars.ContextVar("edge_cut", default=False)
_UNFINISHED = "ASGI callable returned without completing response."


class _QuietCut(logging.Filter):
    """uvicorn logs an error for a response left unfinished, which is how `edge_truncated` closes the
    connection mid-body (uvicorn then closes the transport); that one is the fault working, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_CUT.get() and record.getMessage() == _UNFINISHED)


class Switch:
    """The rules on for this process, re-read only when the control file changed."""

    def __init__(self, path: Path, pid: int | None = None) -> None:
        self.path = path
        self.pid = os.getpid() if pid is None else pid
        self.started = process_started(self.pid)
        self._signature: tuple[int, int, int] | None = None
        self._rules: tuple[EdgeRule, ...] = ()

    def rules(self) -> tuple[EdgeRule, ...]:
        try:
            stat = os.stat(self.path)
        except OSError:
            self._signature, self._rules = None, ()
            return ()
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if signature != self._signature:
            self._signature, self._rules = signature, rules_for(self.path, self.pid, self.started)
        return self._rules

    def on(self, rule_id: str) -> bool:
        return any(rule.id == rule_id for rule in self.rules())

    def rule(self, kind: str) -> EdgeRule | None:
        return next((rule for rule in self.rules() if rule.kind == kind), None)


def picks(share: float, n: int) -> bool:
    """Whether the `n`-th request (from 0) is among a `share` of them spread evenly: the first one always (share
    > 0), then as soon as the count hit so far falls behind `share` of the requests seen."""
    exact = Fraction(share).limit_denominator(10_000)
    return math.ceil((n + 1) * exact) > math.ceil(n * exact)


class Edge:
    """The edge layer: wraps the gateway's whole ASGI app."""

    def __init__(self, app: ASGIApp, control: Path) -> None:
        self.app = app
        self.switch = Switch(control)
        self.seen: dict[str, int] = {}
        """Per rule id: the API requests it has judged, and (below) how many it hit."""
        self.hits: dict[str, int] = {}
        self.gateway = gateway_of(app)
        """Our gateway's app, for the rules played inside it (`edge_inside.py`); None in front of another app."""
        self.pool = PoolHold(self.gateway) if self.gateway is not None else None
        logging.getLogger("uvicorn.error").addFilter(_QuietCut())

    def chosen(self) -> dict[str, EdgeRule]:
        """The rules that hit this request, by kind (each rule counts the request)."""
        rules = self.switch.rules()
        live = {rule.id for rule in rules}
        for gone in [i for i in self.seen if i not in live]:  # a rule switched off: its counts go too
            self.seen.pop(gone, None)
            self.hits.pop(gone, None)
        hit: dict[str, EdgeRule] = {}
        for rule in rules:
            n = self.seen.get(rule.id, 0)
            self.seen[rule.id] = n + 1
            if picks(rule.share, n) and (not rule.first or self.hits.get(rule.id, 0) < rule.first):
                self.hits[rule.id] = self.hits.get(rule.id, 0) + 1
                hit[rule.kind] = rule
        return hit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _served_by(send)
        rules = self.chosen() if str(scope["path"]).startswith(API_PREFIX) else {}
        if not rules:
            await self.app(scope, receive, send)
            return
        if any(kind.startswith("edge_") for kind in rules):
            await self._edge(rules, scope, receive, send)
        else:
            await self._inside(rules, scope, receive, send)

    async def _inside(self, rules: dict[str, EdgeRule], scope: Scope, receive: Receive, send: Send) -> None:
        """The gateway, with the rules played inside it: user tokens expired, the pool held busy."""
        if self.gateway is not None and "tokens_expire" in rules and holds_user_token(self.gateway, scope):
            await answer_expired(scope, receive, send)
            return
        pool = self.switch.rule("pool_exhausted")
        if self.pool is not None and pool is not None:
            await self.pool.ensure(lambda: self.switch.on(pool.id))
        await self.app(scope, receive, send)

    async def _edge(self, rules: dict[str, EdgeRule], scope: Scope, receive: Receive, send: Send) -> None:
        slow = rules.get("edge_slow_first_byte")
        if slow is not None:
            await asyncio.sleep(getattr(slow, "delay", 0) / 1000)
        status = rules.get("edge_status")
        if isinstance(status, StatusRule):
            await self._answer(status, rules, scope, receive, send)
            return
        truncated, stalled = rules.get("edge_truncated"), rules.get("edge_stalled")
        shaped = _Shaped(
            send,
            truncated if isinstance(truncated, TruncatedRule) else None,
            stalled if isinstance(stalled, StalledRule) else None,
            self.switch,
        )
        await self._inside(rules, scope, receive, shaped.send)
        if await shaped.finish():
            _CUT.set(True)

    async def _answer(
        self, rule: StatusRule, rules: dict[str, EdgeRule], scope: Scope, receive: Receive, send: Send
    ) -> None:
        if edge_pages.forwarded(rule.status, rule.request):
            await self._inside(rules, scope, receive, _discard)
        else:
            await _drain(receive)
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        asked = edge_pages.Asked(headers.get("accept"), headers.get("content-type"), headers.get("host", "api"))
        page = edge_pages.page(rule.status, rule.by, asked, rule.retry_after)
        raw = [(k.lower().encode(), v.encode("latin-1")) for k, v in page.headers]
        raw.append((b"content-length", str(len(page.body)).encode()))
        await send({"type": "http.response.start", "status": page.status, "headers": raw})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else page.body})


def _served_by(send: Send) -> Send:
    """`Server: uvicorn` on the gateway's own answers, as before; an edge page names its own server. (uvicorn's
    header is switched off in `__main__.py`: it would add a second `Server` to Kong's and Cloudflare's pages.)"""

    async def served(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(key.lower() == b"server" for key, _ in headers):
                message = {**message, "headers": [(b"server", b"uvicorn"), *headers]}
        await send(message)

    return served


async def _discard(message: Message) -> None:
    """The gateway's answer, replaced by the edge's."""


async def _drain(receive: Receive) -> None:
    """Read the request's body (an edge answering at once has read it too; the connection stays usable)."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


class _Shaped:
    """The gateway's answer on its way out, stalled and/or truncated."""

    def __init__(self, send: Send, truncated: TruncatedRule | None, stalled: StalledRule | None, switch: Switch):
        self._send, self.truncated, self.stalled, self.switch = send, truncated, stalled, switch
        self.start: Message | None = None
        self.body: list[bytes] = []
        self.stall_done = stalled is None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if self.truncated is None:
                await self._send(message)  # the headers go out at once; the body may stall
            else:
                self.start = message
            return
        if message["type"] != "http.response.body":
            await self._send(message)
            return
        if self.truncated is not None:
            self.body.append(bytes(message.get("body", b"")))
            return
        await self._stall()
        await self._send(message)

    async def _stall(self) -> None:
        if self.stall_done or self.stalled is None:
            return
        self.stall_done = True
        if self.stalled.stall:
            await asyncio.sleep(self.stalled.stall / 1000)
            return
        while self.switch.on(self.stalled.id):
            await asyncio.sleep(POLL_S)

    async def finish(self) -> bool:
        """Send what was held back; True when the connection must close mid-body (uvicorn closes it)."""
        if self.truncated is None or self.start is None:
            return False
        body = b"".join(self.body)
        kept = body[: int(len(body) * self.truncated.keep)]
        start = dict(self.start)
        if self.truncated.framing == "length":
            headers = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
            start["headers"] = [*headers, (b"content-length", str(len(kept)).encode())]
        await self._send(start)
        await self._stall()
        cut = self.truncated.framing == "close" and len(kept) < len(body)
        await self._send({"type": "http.response.body", "body": kept, "more_body": cut})
        return cut
