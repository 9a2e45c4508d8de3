"""`python -m fallback.gateway.kong --config PATH`: Supabase's API gateway in front of a real PostgREST.

Used when the stack runs a real PostgREST binary (`FALLBACK_GATEWAY=postgrest`): like Kong in
Supabase's self-hosted setup it checks the apikey, strips `/rest/v1` and forwards everything else
to PostgREST unchanged, so what the client sees (statuses, PGRST codes, headers) is PostgREST's own.
When PostgREST itself is unreachable it answers as Kong 2.8 does: 502 (connection failed) or 504
(no answer in time), with `{"message": ...}`.

    GET  /live, /ready       PostgREST's admin server, forwarded
    *    /rest/v1/{path}     apikey check, then PostgREST `/{path}`
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from pydantic import BaseModel, ConfigDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .app import error_response
from .auth import require_apikey
from .errors import GatewayError

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


class KongConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    host: str = "127.0.0.1"
    port: int
    api_keys: list[str]
    upstream_url: str
    """PostgREST's own address, e.g. `http://127.0.0.1:25404`."""
    admin_url: str
    """PostgREST's admin server (`/live`, `/ready`)."""
    upstream_timeout_s: float = 60.0
    """Kong's default upstream read timeout."""

    @classmethod
    def load(cls, path: str | Path) -> KongConfig:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


def _kong_error(status: int, message: str) -> Response:
    return JSONResponse({"message": message}, status_code=status)


def create_kong_app(config: KongConfig) -> Starlette:
    keys = frozenset(config.api_keys)
    client = httpx.AsyncClient(timeout=httpx.Timeout(config.upstream_timeout_s, connect=5.0))

    async def forward(request: Request, url: str) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            upstream = await client.request(
                request.method, url, params=request.query_params, headers=headers, content=await request.body()
            )
        except httpx.TimeoutException:
            return _kong_error(504, "The upstream server is timing out")
        except httpx.TransportError:
            return _kong_error(502, "An invalid response was received from the upstream server")
        out = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        return Response(upstream.content, upstream.status_code, out)

    async def rest(request: Request) -> Response:
        try:
            require_apikey(keys, request.headers, request.query_params.get("apikey"))
        except GatewayError as error:
            return error_response(error, head=request.method == "HEAD")
        return await forward(request, f"{config.upstream_url}/{request.path_params['path']}")

    async def admin(request: Request) -> Response:
        return await forward(request, f"{config.admin_url}{request.url.path}")

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.aclose()

    every = ["GET", "HEAD", "POST", "PATCH", "DELETE", "PUT", "OPTIONS"]
    routes = [
        Route("/live", admin, methods=["GET", "HEAD"]),
        Route("/ready", admin, methods=["GET", "HEAD"]),
        Route("/rest/v1/{path:path}", rest, methods=every),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fallback.gateway.kong", description=__doc__)
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    config = KongConfig.load(args.config)
    uvicorn.run(
        create_kong_app(config),
        host=config.host,
        port=config.port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
    )


if __name__ == "__main__":
    main()
