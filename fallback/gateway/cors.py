"""OPTIONS and CORS on `/rest/v1/`, as a Supabase project behind Kong 2.8 (cors plugin, default config) serves them.

    preflight (OPTIONS with Origin and Access-Control-Request-Method)
        Kong answers it before the apikey check: 200, no body, `Access-Control-Allow-Origin: *`,
        `Access-Control-Allow-Methods` (Kong's default list), `Access-Control-Allow-Headers` echoing the request's
    every other response
        `Access-Control-Allow-Origin: *` (Kong's header filter); with an Origin also PostgREST's (wai-cors)
        `Access-Control-Expose-Headers`
    OPTIONS /rest/v1/{table} without a preflight
        PostgREST's answer: 200, `Allow` (PUT only with a primary key), no body

A plain ASGI wrapper rather than Starlette's CORSMiddleware: that one answers preflights with its own
header set and status rules, and this one must match Kong's byte for byte.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .db import Database
from .handlers import Call

__all__ = ["Cors", "options"]

KONG_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT"
EXPOSED = (
    "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, "
    "Range-Unit"
)
PREFIX = "/rest/v1/"


class Cors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = "origin" in headers
        if scope["method"] == "OPTIONS" and origin and "access-control-request-method" in headers:
            answer = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": KONG_METHODS}
            if "access-control-request-headers" in headers:
                answer["Access-Control-Allow-Headers"] = headers["access-control-request-headers"]
            await Response(b"", 200, answer)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Access-Control-Allow-Origin"] = "*"
                if origin:
                    out["Access-Control-Expose-Headers"] = EXPOSED
            await send(message)

        await self.app(scope, receive, send_with_cors)


async def options(db: Database, call: Call) -> Response:
    """PostgREST's `RelInfoPlan` answer for a table."""
    methods = ["OPTIONS", "GET", "HEAD", "POST"] + (["PUT"] if call.table.primary_key else []) + ["PATCH", "DELETE"]
    return Response(b"", 200, {"Allow": ",".join(methods), "Access-Control-Allow-Origin": "*"})
