"""`tokens_expire` and `pool_exhausted` on the real test stack: played inside a source's gateway through the edge's
control file, seen by real HTTP through Toxiproxy and by the reference client, cleared, nothing left behind."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fallback.client.config import SourceConfig
from fallback.client.reference import ReferenceClient
from fallback.faults import Controls, Fault, FaultConflict
from fallback.faults._edge import control_path
from fallback.stack import keys
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

from .conftest import undone_after

pytestmark = pytest.mark.stack


@pytest.fixture
def controls(stack: StackState, toxics: Toxiproxy) -> Iterator[Controls]:
    yield from undone_after(
        stack, toxics, clean=lambda: not [s for s in stack.sources if control_path(stack, s.name).exists()]
    )


def read(stack: StackState, source: str, bearer: str, apikey: str | None = None) -> httpx.Response:
    endpoints = stack.source(source)
    headers = {"apikey": apikey or endpoints.anon_key, "Authorization": f"Bearer {bearer}"}
    return httpx.get(f"{endpoints.api_url}/rest/v1/user_challenges?select=id", headers=headers, timeout=20)


def test_tokens_expire_refuses_user_tokens_only(stack: StackState, controls: Controls) -> None:
    bolt = stack.source("BOLT")
    user = keys.user_token(bolt.jwt_secret, str(uuid.uuid4()))
    assert read(stack, "BOLT", user).status_code == 200
    fault = Fault("BOLT", "tokens_expire")
    fault.apply(controls)
    with pytest.raises(FaultConflict):
        fault.apply(controls)
    expired = read(stack, "BOLT", user)
    assert expired.status_code == 401 and expired.json()["code"] == "PGRST303"
    assert expired.json()["message"] == "JWT expired" and "JWT expired" in expired.headers["www-authenticate"]
    assert read(stack, "BOLT", bolt.anon_key).status_code == 200  # the keys are not user tokens
    assert read(stack, "BOLT", bolt.service_role_key, bolt.service_role_key).status_code == 200
    other = keys.user_token(bolt.jwt_secret + "x", str(uuid.uuid4()))  # not this project's: its usual answer
    assert read(stack, "BOLT", other).json()["code"] == "PGRST301"
    primary = stack.source("PRIMARY")
    assert read(stack, "PRIMARY", keys.user_token(primary.jwt_secret, str(uuid.uuid4()))).status_code == 200
    edge = Fault("BOLT.api", "edge_status", {"status": 503})  # another family in the same file
    edge.apply(controls)
    edge.clear(controls)
    assert read(stack, "BOLT", user).status_code == 401  # clearing the edge left tokens_expire on
    fault.clear(controls)
    assert read(stack, "BOLT", user).status_code == 200


async def test_the_reference_client_sees_its_user_token_expire(
    stack: StackState, controls: Controls, tmp_path: Path
) -> None:
    user_id = str(uuid.uuid4())
    sources = tuple(
        SourceConfig(s.name, s.api_url, s.anon_key, access_token=keys.user_token(s.jwt_secret, user_id))
        for s in stack.sources
    )
    client = ReferenceClient(sources, cache_dir=tmp_path / "cache")
    try:
        await asyncio.to_thread(Fault("OLD", "tokens_expire").apply, controls)
        seen = await client.load("user_challenges")
        assert [a.label for a in seen.attempts] == ["ok", "ok", "http_401:PGRST303"] and seen.degraded
    finally:
        await client.aclose()


def test_pool_exhausted_answers_504_pgrst003_after_the_pool_timeout(stack: StackState, controls: Controls) -> None:
    old = stack.source("OLD")
    fault = Fault("OLD", "pool_exhausted")
    fault.apply(controls)
    start = time.monotonic()
    answer = read(stack, "OLD", old.service_role_key, old.service_role_key)
    waited = time.monotonic() - start
    assert answer.status_code == 504 and answer.json()["code"] == "PGRST003" and 10.0 <= waited < 14.0, waited
    assert httpx.get(f"http://127.0.0.1:{old.gateway_port}/ready", timeout=5).status_code == 200
    assert read(stack, "BOLT", stack.source("BOLT").anon_key).status_code == 200
    fault.clear(controls)
    start = time.monotonic()
    assert read(stack, "OLD", old.service_role_key, old.service_role_key).status_code == 200
    assert time.monotonic() - start < 2.0
