"""Which keys and tokens a scenario's `auth` gives the client (pure: a hand-built stack state)."""

from __future__ import annotations

import jwt
import pytest
from pydantic import ValidationError

from fallback.engine.clients import sources_for
from fallback.scenario import Scenario
from fallback.stack.seed import seed_user_id
from fallback.stack.state import SourceEndpoints, StackState


def _state() -> StackState:
    sources = tuple(
        SourceEndpoints(
            name=name,
            api_url=f"http://127.0.0.1:{port}",
            direct_api_url="http://x",
            db_dsn="postgresql://x",
            anon_key=f"anon-{name}",
            service_role_key=f"service-{name}",
            jwt_secret=f"secret-of-{name}-" * 3,
            api_proxy=f"{name}.api",
            db_proxy=f"{name}.db",
            pg_port=1,
            gateway_port=2,
            api_proxy_port=port,
            db_proxy_port=4,
        )
        for name, port in (("PRIMARY", 1002), ("BOLT", 1012), ("OLD", 1022))
    )
    return StackState(state_dir="/x", toxiproxy_url="http://127.0.0.1:1099", sources=sources)


def test_service_role_and_anon_keys() -> None:
    assert [s.key for s in sources_for(_state())] == ["service-PRIMARY", "service-BOLT", "service-OLD"]
    anon = sources_for(_state(), "anon")
    assert [s.key for s in anon] == ["anon-PRIMARY", "anon-BOLT", "anon-OLD"]
    assert all(s.access_token is None for s in anon)


def test_a_user_signed_in_on_one_source_carries_that_sources_token_everywhere() -> None:
    sources = sources_for(_state(), "user:BOLT:3")
    tokens = {s.access_token for s in sources}
    assert len(tokens) == 1
    [token] = tokens
    assert token is not None
    claims = jwt.decode(token, "secret-of-BOLT-" * 3, algorithms=["HS256"], options={"verify_aud": False})
    assert claims["sub"] == str(seed_user_id("BOLT", 3)) and claims["role"] == "authenticated"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "secret-of-PRIMARY-" * 3, algorithms=["HS256"], options={"verify_aud": False})
    assert "access_token" not in repr(sources[0]) and token not in repr(sources[0])


@pytest.mark.parametrize("auth", ["root", "user:NEW:0", "user:PRIMARY:x", "user:PRIMARY"])
def test_unknown_auth_is_rejected(auth: str) -> None:
    with pytest.raises(ValidationError, match="unknown auth"):
        Scenario.model_validate(
            {"name": "x", "description": "x", "auth": auth, "workload": {"steps": [{"op": "load", "count": 1}]}}
        )
