"""Building the client a scenario names: `reference`, `spec` (spec-faithful), or a user's own."""

from __future__ import annotations

from pathlib import Path

from fallback.client.protocol import FallbackClient
from fallback.client.reference import ReferenceClient
from fallback.client.spec_faithful import SpecFaithfulClient
from fallback.stack.state import StackState


def make_client(name: str, state: StackState, cache_dir: Path, op_deadline_s: float) -> FallbackClient:
    """A fresh client (fresh breakers, fresh cache) for one run of one scenario.

    A client in another process (`cmd:...`) gets a call deadline just inside the engine's own, so
    the adapter itself records `hung` and restarts the process, rather than being cancelled.
    """
    if name == "reference":
        return ReferenceClient.from_stack(state, cache_dir=cache_dir)
    if name == "spec":
        return SpecFaithfulClient.from_stack(state)
    from fallback.adapters.loader import load_client
    from fallback.client.config import sources_from_stack

    return load_client(name, sources_from_stack(state), call_timeout_s=max(0.5, op_deadline_s - 0.25))
