"""The HTTP-edge kinds without servers: registry entries and input checks, the pages Kong and Cloudflare send,
which requests a rule picks, the control file, and the edge layer itself on an in-process app."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fallback.drill.timeline import parse_fail
from fallback.faults import Controls, Fault, FaultError, fault_kind, fits
from fallback.faults_cli import parse_fault
from fallback.gateway import edge_pages
from fallback.gateway.edge import Edge, picks
from fallback.gateway.edge_control import (
    EdgeControl,
    SlowFirstByteRule,
    StatusRule,
    TruncatedRule,
    process_started,
    rules_for,
    write_control,
)
from fallback.gateway.edge_pages import Asked, kong_mime, page
from fallback.toxics import Toxiproxy

EDGE_KINDS = ("edge_status", "edge_truncated", "edge_stalled", "edge_slow_first_byte")


def test_edge_kinds_act_on_the_api_link_only_and_take_no_envelope() -> None:
    for name in EDGE_KINDS:
        kind = fault_kind(name)
        assert kind.target_shapes == "`<SOURCE>.api`" and kind.exclusive and not kind.takes_envelope()
        attributes = {"status": 502} if name == "edge_status" else {"delay": 10} if "slow" in name else {}
        assert Fault("BOLT.api", name, attributes).target == "BOLT.api"
        for target in ("BOLT.db", "BOLT", "BOLT.gateway"):
            with pytest.raises(ValueError, match=rf"{name} acts on `<SOURCE>\.api`, not '{re.escape(target)}'"):
                Fault(target, name, attributes)
    assert fits("PRIMARY.api", "edge") and fits("PRIMARY.api", "link") and not fits("PRIMARY.db", "edge")


def test_edge_attributes_are_checked_where_they_are_written() -> None:
    with pytest.raises(ValueError, match="status must be one of 429, 500, 502, 503, 504, 520, 521, 522, 523, 524"):
        Fault("PRIMARY.api", "edge_status", {"status": 418})
    with pytest.raises(ValueError, match="edge_status needs status"):
        Fault("PRIMARY.api", "edge_status", {"share": 0.5})
    with pytest.raises(ValueError, match="share must be <= 1"):
        Fault("PRIMARY.api", "edge_status", {"status": 520, "share": 1.5})
    with pytest.raises(ValueError, match="unknown by 'akamai'"):
        Fault("PRIMARY.api", "edge_status", {"status": 520, "by": "akamai"})
    with pytest.raises(ValueError, match="keep must be <= 1"):
        Fault("PRIMARY.api", "edge_truncated", {"keep": 2})
    fault = parse_fault("PRIMARY.api", "edge_status", 520.0, settings=("share=0.3", "by=kong", "first=4"))
    assert fault.resolved_attributes == {
        "status": 520, "share": 0.3, "first": 4, "retry_after": 1, "by": "kong", "request": "auto"
    }  # fmt: skip
    with pytest.raises(ValueError, match="write NAME=VALUE"):
        parse_fault("PRIMARY.api", "edge_status", 520.0, settings=("share",))
    with pytest.raises(ValueError, match="--stream"):
        parse_fault("PRIMARY.api", "edge_stalled", 100.0, stream="upstream")
    assert parse_fail("BOLT.api:edge_status=429@1s-3s").attributes == {"status": 429}
    rule = fault_kind("edge_status").applier.rule(fault)  # type: ignore[attr-defined]
    assert isinstance(rule, StatusRule) and (rule.status, rule.share, rule.first, rule.by) == (520, 0.3, 4, "kong")


def test_a_share_is_spread_evenly_and_starts_with_a_hit() -> None:
    assert [n for n in range(10) if picks(0.3, n)] == [0, 3, 6]  # 3 of 10, the first among them
    assert sum(picks(0.3, n) for n in range(1000)) == 300
    assert all(picks(1.0, n) for n in range(50)) and not any(picks(0.0, n) for n in range(50))
    assert [picks(0.5, n) for n in range(4)] == [True, False, True, False]


def test_kong_negotiates_its_error_format_as_kong_2_8_1_does() -> None:
    # utils.get_mime_type: `*/*` and unknown types -> JSON, `text/*` -> plain text, no header -> the default
    assert kong_mime("*/*", "text/plain") == "application/json"
    assert kong_mime(None, "text/plain") == "text/plain"  # error_default_type
    assert kong_mime("text/*", "text/plain") == "text/plain"
    assert kong_mime("text/html; q=0.9", "text/plain") == "text/html"
    assert kong_mime("application/vnd.pgrst.object+json", "text/plain") == "application/json"
    assert kong_mime("application/json, text/plain, */*", "text/plain") == "application/json"
    bad_gateway = page(502, "auto", Asked(accept="*/*"), 1)
    assert bad_gateway.body == b'{\n  "message":"An invalid response was received from the upstream server"\n}'
    assert dict(bad_gateway.headers)["Content-Type"] == "application/json; charset=utf-8"
    assert dict(bad_gateway.headers)["Server"] == "kong/2.8.1" and "Retry-After" not in dict(bad_gateway.headers)
    plain = page(504, "auto", Asked(), 1)
    assert plain.body == b"The upstream server is timing out\n"
    assert dict(plain.headers)["Content-Type"] == "text/plain; charset=utf-8"
    by_type = page(503, "kong", Asked(content_type="application/json"), 7)
    assert by_type.body == b'{\n  "message":"The upstream server is currently unavailable"\n}'
    assert dict(by_type.headers)["Retry-After"] == "7"
    limited = dict(page(429, "auto", Asked(), 30).headers)  # the rate-limiting plugin: JSON by default
    assert limited["Retry-After"] == "30" and limited["RateLimit-Remaining"] == "0"
    assert limited["Content-Type"] == "application/json; charset=utf-8"
    assert (
        page(520, "kong", Asked(accept="*/*"), 1).body == b'{\n  "message":"The upstream server responded with 520"\n}'
    )


def test_cloudflare_answers_52x_with_its_html_page_and_ray_id() -> None:
    for status, title in ((520, "Web server is returning an unknown error"), (522, "Connection timed out")):
        answer = page(status, "auto", Asked(accept="application/json", host="db.example.co"), 1)
        headers = dict(answer.headers)
        assert headers["Server"] == "cloudflare" and headers["Content-Type"] == "text/html; charset=UTF-8"
        ray = re.fullmatch(r"([0-9a-f]{16})-[A-Z]{3}", headers["CF-RAY"])
        assert ray is not None and ray.group(1).encode() in answer.body
        assert f"db.example.co | {status}: {title}".encode() in answer.body
        assert f"Error code {status}".encode() in answer.body and "Retry-After" not in headers
    assert b"Error code 1015" in page(429, "cloudflare", Asked(), 5).body


def test_which_answers_come_after_the_gateway_ran_the_request() -> None:
    assert [s for s in edge_pages.STATUSES if edge_pages.forwarded(s, "auto")] == [502, 504, 520, 524]
    assert edge_pages.forwarded(429, "forwarded") and not edge_pages.forwarded(520, "dropped")


def test_the_control_file_counts_only_for_the_process_it_names(tmp_path: Path) -> None:
    path = tmp_path / "edge.json"
    me, started = os.getpid(), process_started(os.getpid())
    assert started is not None
    rule = StatusRule(status=520)
    write_control(path, EdgeControl(pid=me, started=started, rules={"edge_status": rule}))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert rules_for(path, me, started) == (rule,)
    assert rules_for(path, me, started + 1) == ()  # the same pid, another process: a restarted gateway
    assert rules_for(path, me + 1, started) == ()
    path.write_text("{not json")
    assert rules_for(path, me, started) == ()
    write_control(path, EdgeControl(pid=me, started=started))  # no rule left: no file
    assert not path.exists()


def _app() -> Starlette:
    seen: list[str] = []

    async def rows(request: Request) -> Response:
        seen.append(request.method)
        return JSONResponse([{"id": n, "name": "x" * 20} for n in range(4)])

    async def ready(request: Request) -> Response:
        return Response(b"", 200)

    app = Starlette(routes=[Route("/rest/v1/t", rows, methods=["GET", "POST"]), Route("/ready", ready)])
    app.state.seen = seen
    return app


async def test_the_edge_layer_plays_the_rules_on_api_paths_only(tmp_path: Path) -> None:
    control = tmp_path / "edge.json"
    app = _app()
    edge = Edge(app, control)
    me, started = os.getpid(), process_started(os.getpid()) or 0

    def switch(*rules: StatusRule | TruncatedRule | SlowFirstByteRule) -> None:
        write_control(control, EdgeControl(pid=me, started=started, rules={r.kind: r for r in rules}))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=edge), base_url="http://edge") as client:
        assert (await client.get("/rest/v1/t")).headers["server"] == "uvicorn"  # nothing on
        switch(StatusRule(status=520, share=0.5, first=2))
        statuses = [(await client.get("/rest/v1/t")).status_code for _ in range(6)]
        assert statuses == [520, 200, 520, 200, 200, 200]  # every other one, the first two hits only
        assert (await client.get("/ready")).status_code == 200  # the harness's health check is never hit
        app.state.seen.clear()
        switch(StatusRule(status=503, request="dropped"), SlowFirstByteRule(delay=0))
        answer = await client.post("/rest/v1/t", json={"a": 1})
        assert answer.status_code == 503 and answer.headers["retry-after"] == "1" and app.state.seen == []
        switch(StatusRule(status=504))  # forwarded: the gateway ran it, its answer replaced
        assert (await client.post("/rest/v1/t", json={"a": 1})).status_code == 504 and app.state.seen == ["POST"]
        switch(TruncatedRule(keep=0.5, framing="length"))
        cut = await client.get("/rest/v1/t")
        whole = len(JSONResponse([{"id": n, "name": "x" * 20} for n in range(4)]).body)
        assert cut.status_code == 200 and len(cut.content) == whole // 2
        assert cut.headers["content-length"] == str(whole // 2)
        with pytest.raises(ValueError):
            cut.json()
        write_control(control, None)
        assert (await client.get("/rest/v1/t")).json()[0]["id"] == 0


def test_a_real_postgrest_has_no_edge_layer_so_the_kinds_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FALLBACK_GATEWAY", "postgrest")
    with Toxiproxy("http://127.0.0.1:9") as toxiproxy:  # never called
        controls = Controls(toxiproxy)
        for fault in (Fault("PRIMARY.api", "edge_status", {"status": 502}), Fault("PRIMARY", "tokens_expire")):
            with pytest.raises(FaultError, match="with FALLBACK_GATEWAY=postgrest it is not"):
                fault.apply(controls)
