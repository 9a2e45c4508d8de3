"""Which invariants a client is held to, and its own load deadline.

Built-in clients are described here. A client loaded by import path (`package.module:factory`)
declares its own on the factory or class:

    class MyClient:
        declared_invariants = ("load_always_answers",)   # on top of the base invariants
        load_deadline_s = 3.0                            # its own bound on a load (default: none)

A `cmd:` client (another process) declares nothing: it is held to the base invariants, its
loads to the engine's bound.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass

from fallback.client.reference import DEFAULT_DEADLINE
from fallback.explore.invariants import BASE, INVARIANTS, ordered


class ProfileError(ValueError):
    """A client declares an invariant that does not exist, or cannot be imported."""


@dataclass(frozen=True)
class ClientProfile:
    client: str
    invariants: tuple[str, ...]
    """Base plus declared, in registry order."""
    load_deadline_s: float | None
    declared: tuple[str, ...] = ()


SPEC_PROMISES = ("load_always_answers",)
"""What the spec-faithful client declares beyond the base invariants, which already hold every
client to the spec's "Zero data loss" and "Prevents data duplication"."""


def _profile(client: str, declared: tuple[str, ...], load_deadline_s: float | None) -> ClientProfile:
    unknown = [name for name in declared if name not in INVARIANTS]
    if unknown:
        raise ProfileError(f"client {client!r} declares unknown invariants {unknown} (known: {', '.join(INVARIANTS)})")
    return ClientProfile(client, ordered((*BASE, *declared)), load_deadline_s, ordered(declared))


def profile_for(client: str) -> ClientProfile:
    if client == "reference":
        return _profile(client, (), DEFAULT_DEADLINE.total)  # its loads query the sources in parallel
    if client in ("spec", "spec_faithful", "spec-faithful"):
        return _profile(client, SPEC_PROMISES, None)  # supabase-py's defaults: no deadline of its own
    if client.startswith("cmd:") or ":" not in client:
        return _profile(client, (), None)
    module_name, _, attr_path = client.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    try:
        target: object = importlib.import_module(module_name)
        for part in attr_path.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ProfileError(f"client {client!r}: {exc}") from exc
    declared = tuple(getattr(target, "declared_invariants", ()))
    deadline = getattr(target, "load_deadline_s", None)
    return _profile(client, declared, float(deadline) if deadline is not None else None)
