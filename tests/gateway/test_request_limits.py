"""Bounds on a request (defect 9 and the 431 rough edge): deep nesting and long heads get clear 4xx answers.

Unit tests of the pure checks, then real HTTP requests to the gateway subprocess over a real PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import socket

import httpx
import pytest

from fallback.gateway import errors, sql
from fallback.gateway.auth import Authenticator
from fallback.gateway.limits import MAX_HEADER_BYTES, MAX_JSON_DEPTH, MAX_LOGIC_DEPTH, header_bytes, json_deeper_than
from fallback.gateway.query import parse_query
from fallback.gateway.schema_cache import Column, Table

from .conftest import Source


def nested_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# --- pure checks -----------------------------------------------------------------------------------
def test_json_depth_is_counted_outside_strings_without_recursion() -> None:
    assert not json_deeper_than(nested_json(MAX_JSON_DEPTH))
    assert json_deeper_than(nested_json(MAX_JSON_DEPTH + 1))
    assert json_deeper_than(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)
    many_flat = json.dumps([{"a": [1, {"b": "[[[[{{{{"}]} for _ in range(2000)]).encode()
    assert not json_deeper_than(many_flat, 4) and json_deeper_than(many_flat, 3)  # [ { [ { ] } ] }
    assert not json_deeper_than(b'["\\\\", "\\"[[[[", [[1]]]', 3)


DEEP = 100_000


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("select", "(" * DEEP + "id" + ")" * DEEP),
        ("select", "data->" * DEEP + "x"),
        ("order", "(" * DEEP + ")" * DEEP),
        ("id", "in." + "(" * DEEP + ")" * DEEP),
        ("data->" * 10_000 + "x", "eq.1"),
        ("columns", "(" * DEEP),
        ("not.and", "(" + "not.or(" * DEEP + "id.eq.1" + ")" * (DEEP + 1)),
    ],
)
def test_other_parse_paths_answer_4xx_at_any_depth(key: str, value: str) -> None:
    """select= nesting, JSON paths, order, in-lists: parsed without recursion, refused with a 4xx if at all."""
    table = Table("public", "t", {"id": Column("id", "uuid")}, ("id",))
    try:
        q = parse_query([(key, value)])
        sql.read(table, q.select, q.where, q.order, limit=None, offset=None, count=False)
    except errors.GatewayError as error:
        assert 400 <= error.status < 500


def test_header_bytes_counts_target_and_fields() -> None:
    assert header_bytes(b"/a?b", [(b"host", b"x"), (b"apikey", b"123")]) == 4 + (4 + 1 + 4) + (6 + 3 + 4)


def test_a_jwt_header_nested_too_deep_is_401_not_a_crash() -> None:
    """Another recursive parse on client input: PyJWT reads the header's JSON before the signature.
    PyJWT (2.15) turns the RecursionError into a DecodeError itself; this keeps it that way."""
    auth = Authenticator(["key"], "secret-0123456789abcdef0123456789abcdef", "anon")
    header = base64.urlsafe_b64encode(b'{"alg":' + nested_json(5000) + b"}").rstrip(b"=").decode()
    with pytest.raises(errors.GatewayError) as caught:
        auth.authenticate({"apikey": "key", "authorization": f"Bearer {header}.e30.c2ln"}, None)
    assert (caught.value.status, caught.value.code) == (401, "PGRST301")


# --- real HTTP -------------------------------------------------------------------------------------
def api(source: Source) -> httpx.Client:
    return httpx.Client(base_url=source.rest_url, headers={"apikey": source.service_key}, timeout=30)


def no_tracebacks(source: Source) -> None:
    log = source.gateway.log_path.read_text()
    assert "Traceback" not in log and "RecursionError" not in log, log[-3000:]


def test_logic_tree_nested_500_deep_is_400(clean: Source) -> None:
    """Defect 9: `or=` nested 500 deep answered 500 (RecursionError)."""
    with api(clean) as c:
        deep = "(" + "or(" * 499 + "email.eq.x" + ")" * 500
        r = c.get("/profiles", params={"or": deep})
        assert (r.status_code, r.json()["code"]) == (400, "PGRST100"), r.text
        assert r.json()["details"] == (
            f"the tree nests more than {MAX_LOGIC_DEPTH} levels deep, the most this gateway accepts"
        )
        ok = "(" + "or(" * (MAX_LOGIC_DEPTH - 1) + "email.eq.x" + ")" * MAX_LOGIC_DEPTH
        assert c.get("/profiles", params={"or": ok}).status_code == 200
    no_tracebacks(clean)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_json_body_nested_100k_deep_is_400(clean: Source, method: str) -> None:
    """Defect 9: a JSON body nested 100k deep answered 500 (RecursionError)."""
    with api(clean) as c:
        for body in (nested_json(100_000), b'{"email":' * 100_000 + b'"x"' + b"}" * 100_000):
            r = c.request(
                method,
                "/profiles?id=eq.00000000-0000-0000-0000-000000000000",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            assert (r.status_code, r.json()["code"], r.json()["message"]) == (
                400,
                "PGRST102",
                "JSON body nested too deeply",
            ), r.text
    no_tracebacks(clean)


def test_casts_reach_sql_only_as_type_names(clean: Source) -> None:
    with api(clean) as c:
        r = c.get("/profiles", params={"select": "id::text,at:created_at::timestamp with time zone"})
        assert r.status_code == 200, r.text
        for cast in ("text or 1", "int[]", "text $$"):
            r = c.get("/profiles", params={"select": f"id::{cast}"})
            assert (r.status_code, r.json()["code"]) == (400, "PGRST100"), (cast, r.text)


@pytest.mark.parametrize("size", [MAX_HEADER_BYTES + 1000, 1_000_000])
def test_long_bearer_token_is_431_not_a_reset(clean: Source, size: int) -> None:
    """A 1 MB bearer token reset the connection (uvicorn closed it mid-request); now 431 with a JSON body."""
    with api(clean) as c:
        r = c.get("/profiles", headers={"Authorization": "Bearer " + "a" * size})
        assert r.status_code == 431
        assert r.headers["content-type"] == "application/json; charset=utf-8"
        body = r.json()
        assert body["message"] == "Request header fields too large"
        assert f"at most {MAX_HEADER_BYTES}" in body["details"]
        assert c.get("/profiles").status_code == 200, "the gateway keeps serving"


def test_incomplete_long_head_is_answered_431_then_drained(clean: Source) -> None:
    """h11's own limit: the answer comes while the head is still incomplete (so not from the app's check),
    and the rest of the request is read and thrown away instead of being met with a reset."""
    with socket.create_connection(("127.0.0.1", clean.gateway.port), timeout=10) as sock:
        sock.sendall(b"GET /rest/v1/profiles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
        sock.sendall(b"a" * (MAX_HEADER_BYTES + 10_000))
        answer = b""
        while chunk := sock.recv(65536):  # the gateway answers, then shuts its side (EOF)
            answer += chunk
        sock.sendall(b"a" * 500_000 + b"\r\n\r\n")  # still read (and thrown away): no reset
        sock.shutdown(socket.SHUT_WR)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), answer[:300]
    assert b"connection: close" in head.lower()
    assert json.loads(body)["message"] == "Request header fields too large"
