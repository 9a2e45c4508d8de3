"""The gateway's HTTP surface: every route in one table, thin handlers.

    GET  /live              200 always (the process serves HTTP)
    GET  /ready             200 when the schema cache is loaded, else 503
    *    /rest/v1/{table}   PostgREST's table API behind Supabase's apikey check
    *    /rest/v1/rpc/{fn}  PostgREST's RPC: call a function of the exposed schema (rpc.py)
    GET  /rest/v1/          a minimal OpenAPI-like description of the exposed tables

Before any route: 431 when the request line and headers pass 50 KiB (`HeaderLimit`, limits.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import cors, errors, handlers, put, rpc, writes
from .auth import Authenticator
from .config import GatewayConfig
from .db import Database
from .errors import JSON_UTF8, GatewayError
from .limits import MAX_HEADER_BYTES, header_bytes

log = logging.getLogger("fallback.gateway")
Handler = Callable[[Database, handlers.Call], Awaitable[Response]]
TABLE_METHODS: dict[str, Handler] = {
    "GET": handlers.read,
    "HEAD": handlers.read,
    "POST": writes.insert,
    "PATCH": writes.update,
    "DELETE": writes.delete,
    "PUT": put.upsert,
    "OPTIONS": cors.options,
}


def error_response(error: GatewayError, head: bool = False) -> Response:
    headers = error.response_headers()
    headers["Content-Type"] = JSON_UTF8
    return Response(b"" if head else error.body(), error.status, headers)


class HeaderLimit:
    """431 for a request whose line and headers pass `MAX_HEADER_BYTES`, however it arrived.

    The server's own limit (h11, see protocol.py) only applies while it waits for more of the head;
    a head that arrives in one read is whole before h11 measures it. This check makes the limit exact."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            target = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
            size = header_bytes(target, scope["headers"])
            if size > MAX_HEADER_BYTES:
                error = errors.header_fields_too_large(MAX_HEADER_BYTES, size)
                await error_response(error, head=scope["method"] == "HEAD")(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Gateway:
    def __init__(self, config: GatewayConfig, db: Database | None = None) -> None:
        self.config = config
        self.db = db or Database(config)
        self.auth = Authenticator(config.api_keys, config.jwt_secret, config.anon_role)

    async def live(self, request: Request) -> Response:
        return Response(b"", 200)

    async def ready(self, request: Request) -> Response:
        return Response(b"", 200 if self.db.ready else 503)

    async def table(self, request: Request) -> Response:
        try:
            handler = TABLE_METHODS.get(request.method)
            if handler is None:
                raise errors.unsupported_method(request.method)
            principal = self.auth.authenticate(request.headers, request.query_params.get("apikey"))
            schema = handlers.schema_for(request, self.config.schemas)
            cache = self.db.schema
            if cache is None:
                raise errors.schema_cache_missing()
            table = cache.table(schema, request.path_params["table"])
            call = handlers.build_call(
                request,
                principal,
                table,
                cache,
                tx_end=self.config.db_tx_end,
                aggregates=self.config.db_aggregates_enabled,
                plan=self.config.db_plan_enabled,
            )
            response = await handler(self.db, call)
            return handlers.with_profile(response, request, schema, self.config.schemas)
        except GatewayError as error:
            return error_response(error, head=request.method == "HEAD")

    async def root(self, request: Request) -> Response:
        """PostgREST answers `/` with its OpenAPI document; this is the small part clients look at."""
        if request.method == "OPTIONS":
            return Response(b"", 200, {"Allow": "OPTIONS,GET,HEAD", "Access-Control-Allow-Origin": "*"})
        try:
            self.auth.authenticate(request.headers, request.query_params.get("apikey"))
            schema = handlers.schema_for(request, self.config.schemas)
            cache = self.db.schema
            if cache is None:
                raise errors.schema_cache_missing()
            paths: dict[str, dict[str, object]] = {f"/{n}": {} for (s, n) in sorted(cache.tables) if s == schema}
            doc = {"swagger": "2.0", "info": {"title": f"fallback gateway {self.config.name}"}, "paths": paths}
            body = b"" if request.method == "HEAD" else json.dumps(doc, separators=(",", ":")).encode()
            response = Response(body, 200, {"Content-Type": "application/openapi+json; charset=utf-8"})
            return handlers.with_profile(response, request, schema, self.config.schemas)
        except GatewayError as error:
            return error_response(error, head=request.method == "HEAD")

    async def rpc(self, request: Request) -> Response:
        try:
            principal = self.auth.authenticate(request.headers, request.query_params.get("apikey"))
            schema = handlers.schema_for(request, self.config.schemas)
            cache = self.db.schema
            if cache is None:
                raise errors.schema_cache_missing()
            aggregates = self.config.db_aggregates_enabled
            response = await rpc.handle(self.db, request, principal, cache, schema, aggregates=aggregates)
            return handlers.with_profile(response, request, schema, self.config.schemas)
        except GatewayError as error:
            return error_response(error, head=request.method == "HEAD")

    def routes(self) -> list[Route]:
        every = ["GET", "HEAD", "POST", "PATCH", "DELETE", "PUT", "OPTIONS", "TRACE"]
        return [
            Route("/live", self.live, methods=["GET", "HEAD"]),
            Route("/ready", self.ready, methods=["GET", "HEAD"]),
            Route("/rest/v1/", self.root, methods=["GET", "HEAD", "OPTIONS"]),
            Route("/rest/v1/rpc/{function}", self.rpc, methods=every),
            Route("/rest/v1/{table}", self.table, methods=every),
        ]


def create_app(config: GatewayConfig, db: Database | None = None) -> Starlette:
    gateway = Gateway(config, db)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        gateway.db.start()
        try:
            yield
        finally:
            await gateway.db.close()

    app = Starlette(
        routes=gateway.routes(), lifespan=lifespan, middleware=[Middleware(HeaderLimit), Middleware(cors.Cors)]
    )
    app.state.gateway = gateway
    return app
