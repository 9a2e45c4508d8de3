"""`create_app` in process, with no database at all: HTTP is served, data requests are 503 PGRST002."""

from __future__ import annotations

import httpx

from fallback.gateway import GatewayConfig, create_app

from ._cluster import mint

SECRET = "in-process-secret-0123456789abcdef0123"
KEY = mint(SECRET, "anon")
CONFIG = GatewayConfig(
    name="INPROC",
    port=1,
    db_dsn="postgresql://authenticator:x@127.0.0.1:1/postgres",
    jwt_secret=SECRET,
    api_keys=[KEY],
)


async def test_without_database() -> None:
    transport = httpx.ASGITransport(app=create_app(CONFIG))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        assert (await http.get("/live")).status_code == 200
        assert (await http.get("/ready")).status_code == 503
        r = await http.get("/rest/v1/profiles", headers={"apikey": KEY})
        assert (r.status_code, r.json()["code"], r.headers["retry-after"]) == (503, "PGRST002", "0")
        r = await http.get("/rest/v1/profiles", headers={"apikey": KEY, "Authorization": "Bearer a.b.c"})
        assert (r.status_code, r.json()["code"]) == (401, "PGRST301"), "JWT errors come before the schema cache"
        r = await http.request("TRACE", "/rest/v1/profiles", headers={"apikey": KEY})
        assert (r.status_code, r.json()["code"]) == (405, "PGRST117"), "PUT is served now: TRACE stays unsupported"


async def test_long_heads_are_431_whatever_the_server() -> None:
    """The app's own check makes the 50 KiB limit exact (h11's applies only to a head arriving in pieces)."""
    transport = httpx.ASGITransport(app=create_app(CONFIG))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        r = await http.get("/rest/v1/profiles", headers={"apikey": KEY, "Authorization": "Bearer " + "a" * 60_000})
        assert (r.status_code, r.json()["message"]) == (431, "Request header fields too large")
        assert r.json()["details"].startswith("The request line and headers take 60")
        r = await http.get("/live", params={"q": "x" * 60_000})
        assert r.status_code == 431
        assert (await http.get("/live", params={"q": "x" * 40_000})).status_code == 200


def test_config_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "gw.json"
    path.write_text(CONFIG.model_dump_json())
    loaded = GatewayConfig.load(path)
    assert loaded == CONFIG
    assert (loaded.host, loaded.schemas, loaded.pool_size, loaded.reconnect_backoff_max_s) == (
        "127.0.0.1",
        ["public"],
        10,
        32.0,
    )
