"""The request/response settings (gucs.py) and the plan media type (media.py), without servers."""

from __future__ import annotations

import pytest
from starlette.responses import Response

from fallback.gateway import errors, gucs, media


def test_cookies_are_read_as_web_cookie_does() -> None:
    assert gucs.parse_cookies("a=1; b=two;c=3") == {"a": "1", "b": "two", "c": "3"}
    assert gucs.parse_cookies("") == {}
    assert gucs.parse_cookies("a=1; a=2") == {"a": "1"}


def test_response_headers_replace_the_gateways_and_may_repeat() -> None:
    response = Response(b"{}", 200, {"Content-Type": "application/json", "X-Keep": "1"})
    guc = '[{"Set-Cookie": "a=1"}, {"Set-Cookie": "b=2"}, {"Content-Type": "application/custom+json"}]'
    gucs.apply(response, guc, None)
    assert response.headers.getlist("set-cookie") == ["a=1", "b=2"]
    assert response.headers["content-type"] == "application/custom+json"
    assert response.headers["x-keep"] == "1"


def test_response_status_replaces_the_gateways() -> None:
    assert gucs.apply(Response(b"", 200), None, "403").status_code == 403


@pytest.mark.parametrize(
    "headers", ['{"X-Test": "x"}', '["a", "b"]', '[{"a": "1", "b": "2"}]', '[{"a": 1}]', "not json"]
)
def test_malformed_response_headers_are_pgrst111(headers: str) -> None:
    with pytest.raises(errors.GatewayError) as caught:
        gucs.apply(Response(b""), headers, None)
    assert (caught.value.status, caught.value.code) == (500, "PGRST111")


@pytest.mark.parametrize("status", ["bad", "", "42"])
def test_a_bad_response_status_is_pgrst112(status: str) -> None:
    with pytest.raises(errors.GatewayError) as caught:
        gucs.apply(Response(b""), None, status)
    assert (caught.value.status, caught.value.code) == (500, "PGRST112")


def test_the_plan_media_type_only_when_enabled() -> None:
    accept = 'application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object"; options=wal|analyze'
    with pytest.raises(errors.GatewayError):
        media.negotiate(accept)
    found = media.negotiate(accept, plan_enabled=True)
    assert found.plan == media.Plan("json", ("analyze", "wal"))
    assert found.plan.explain == "EXPLAIN (FORMAT JSON, ANALYZE, WAL)"
    assert not found.singular  # a plan is not checked for one row
    assert found.content_type == (
        'application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object+json"; options=analyze|wal; charset=utf-8'
    )
    text = media.negotiate("application/vnd.pgrst.plan", plan_enabled=True)
    assert text.content_type == 'application/vnd.pgrst.plan+text; for="application/json"; charset=utf-8'


def test_a_functions_media_type_domain_is_served_raw_by_name_only() -> None:
    assert media.negotiate("image/png, */*", raw="image/png") == media.Media("raw", raw="image/png")
    assert media.negotiate("image/png", raw="image/png").content_type == "image/png"
    assert media.negotiate("text/plain", raw="text/plain").content_type == "text/plain; charset=utf-8"
    assert media.negotiate("*/*", raw="text/plain").kind == "json"
    with pytest.raises(errors.GatewayError):
        media.negotiate("text/xml", raw="text/plain")
