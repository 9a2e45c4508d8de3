"""`load_client`: built-in names, import paths (the example client), `cmd:` and clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from fallback.adapters import ClientSpecError, SubprocessClient, load_client
from fallback.adapters.example_client import SingleSourceClient
from fallback.client import FallbackClient, ReferenceClient, SourceConfig, SpecFaithfulClient
from fallback.client.keys import TableKey

SOURCES = (SourceConfig("PRIMARY", "http://127.0.0.1:9", "k1"), SourceConfig("BOLT", "http://127.0.0.1:9", "k2"))


@pytest.mark.parametrize(
    ("spec", "kind"),
    [("reference", ReferenceClient), ("spec", SpecFaithfulClient), ("spec_faithful", SpecFaithfulClient)],
)
async def test_builtin_names(spec: str, kind: type, tmp_path: object) -> None:
    client = load_client(spec, SOURCES)
    assert isinstance(client, kind) and isinstance(client, FallbackClient)
    await client.aclose()


async def test_the_example_client_loads_by_import_path_and_works() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["apikey"] == "k1"
        if request.method == "GET":
            return httpx.Response(200, json=[{"id": "a"}, {"id": "b"}])
        return httpx.Response(201, json=[{"id": "new", **({} if request.method == "POST" else {"status": "x"})}])

    client = load_client("fallback.adapters.example_client:make_client", SOURCES)
    assert isinstance(client, SingleSourceClient) and isinstance(client, FallbackClient)
    client.http._transport = httpx.MockTransport(answer)
    loaded = await client.load("user_challenges")
    assert loaded.counts() == {"PRIMARY": 2} and loaded.outcome == "ok"
    created = await client.create("user_challenges", {"email": "a@b.c", "_db_source": "X"})
    assert (created.outcome, created.source, created.row_id) == ("ok", "PRIMARY", "new")
    row = {"id": "new", "_db_source": "PRIMARY"}
    updated = await client.call("assign_mt5", {"row": row, "login": "1", "password": "p", "server": "s"})
    assert updated.outcome == "ok"
    await client.aclose()


async def test_a_factory_taking_tables_gets_the_keys_and_names_rows_by_them() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"tenant_id": "acme", "id": 7}])

    keys = {"orders": TableKey(("tenant_id", "id"), generated=False)}
    client = load_client("fallback.adapters.example_client:make_client", SOURCES, tables=keys)
    assert isinstance(client, SingleSourceClient) and client.tables == keys
    client.http._transport = httpx.MockTransport(answer)
    row = {"tenant_id": "acme", "id": 7, "_db_source": "PRIMARY"}
    removed = await client.delete("orders", row)
    assert removed.outcome == "ok" and removed.row_id == '["acme","7"]'
    assert seen[-1].method == "DELETE" and dict(seen[-1].url.params) == {"tenant_id": "eq.acme", "id": "eq.7"}
    loaded = await client.load("orders", select="id", filters=["status=eq.open"], order="id.desc")
    assert loaded.outcome == "ok"
    assert list(seen[-1].url.params.multi_items()) == [("select", "id"), ("status", "eq.open"), ("order", "id.desc")]
    unknown = await client.call("refund", {})
    assert unknown.outcome == "fail" and unknown.unsupported
    await client.aclose()


async def test_the_example_client_reports_a_refusal_without_raising() -> None:
    client = load_client("fallback.adapters.example_client:make_client", SOURCES)
    loaded = await client.load("user_challenges")  # port 9: nothing listens
    assert loaded.outcome == "fail" and loaded.attempts[0].kind == "refused"
    created = await client.create("user_challenges", {"email": "a@b.c"})
    assert created.outcome == "fail" and not created.attempts[0].ambiguous
    await client.aclose()


async def test_a_class_works_as_factory() -> None:
    client = load_client("fallback.adapters.example_client:SingleSourceClient", SOURCES)
    assert isinstance(client, SingleSourceClient)
    await client.aclose()


def test_a_module_in_the_working_directory_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_client_pkg_xyz.py").write_text(
        "from fallback.adapters.example_client import SingleSourceClient\n"
        "def build(sources):\n    return SingleSourceClient(sources)\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(tmp_path))])
    assert isinstance(load_client("my_client_pkg_xyz:build", SOURCES), SingleSourceClient)


def test_cmd_gives_a_subprocess_client() -> None:
    client = load_client("cmd: node clients/spec-js/adapter.mjs", SOURCES, call_timeout_s=7)
    assert isinstance(client, SubprocessClient) and isinstance(client, FallbackClient)
    assert client.command == "node clients/spec-js/adapter.mjs" and client.call_timeout_s == 7


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nonsense", "unknown client 'nonsense'"),
        ("cmd:", "needs a command"),
        ("no_such_module_xyz:make", "cannot import"),
        ("fallback.adapters.example_client:nope", "has no 'nope'"),
        ("fallback.adapters.example_client:__doc__", "not callable"),
        ("builtins:list", "returned list, which lacks name, load, create"),
    ],
)
def test_bad_specs_are_clear_errors(spec: str, message: str) -> None:
    with pytest.raises(ClientSpecError, match=message):
        load_client(spec, SOURCES)
