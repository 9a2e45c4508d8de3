"""Building the client a scenario names: `reference`, `spec` (spec-faithful), or a user's own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fallback.client.config import SourceConfig, sources_from_stack
from fallback.client.keys import TableKeys
from fallback.client.protocol import FallbackClient
from fallback.client.reference import ReferenceClient
from fallback.client.spec_faithful import SpecFaithfulClient
from fallback.stack.keys import user_token
from fallback.stack.seed import seed_user_id
from fallback.stack.state import StackState


def sources_for(state: StackState, auth: str = "service_role") -> tuple[SourceConfig, ...]:
    """The stack's sources as a client sees them under the scenario's `auth`.

    `user:PRIMARY:0` signs seeded user 0 in on PRIMARY: the token is minted with PRIMARY's secret and
    sent to every source, as a browser app holding one session would; the other projects reject it.
    """
    if auth == "service_role":
        return sources_from_stack(state, "service_role")
    sources = sources_from_stack(state, "anon")
    if auth == "anon":
        return sources
    _, home, index = auth.split(":")
    token = user_token(state.source(home).jwt_secret, seed_user_id(home, int(index)))
    return tuple(replace(source, access_token=token) for source in sources)


def signed_in_user(auth: str) -> str | None:
    """The user `auth: user:PRIMARY:0` signs in (the owner of the rows a run creates), None for keys."""
    if not auth.startswith("user:"):
        return None
    _, home, index = auth.split(":")
    return str(seed_user_id(home, int(index)))


def make_client(
    name: str,
    state: StackState,
    cache_dir: Path,
    op_deadline_s: float,
    auth: str = "service_role",
    *,
    tables: TableKeys | None = None,
) -> FallbackClient:
    """A fresh client (fresh breakers, fresh cache) for one run of one scenario; `tables`: the
    primary key of every table of the project (rows are named by it).

    A client in another process (`cmd:...`) gets a call deadline just inside the engine's own, so
    the adapter itself records `hung` and restarts the process, rather than being cancelled.
    """
    sources = sources_for(state, auth)
    if name == "reference":
        return ReferenceClient(sources, cache_dir=cache_dir, tables=tables)
    if name == "spec":
        return SpecFaithfulClient(sources, tables=tables)
    from fallback.adapters.loader import load_client

    return load_client(name, sources, call_timeout_s=max(0.5, op_deadline_s - 0.25), tables=tables)
