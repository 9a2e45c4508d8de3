"""Pick the client under test by name, by import path, or as a command to run.

`load_client(spec, sources)` accepts:

    reference                    the reference client (`fallback.client.ReferenceClient`)
    spec                         the spec-faithful client (`spec_faithful`, `spec-faithful` too)
    package.module:factory       `factory(sources: list[SourceConfig]) -> FallbackClient`; a class
                                 works (`mypkg.clients:MyClient`), dotted attributes too (`mod:Cls.build`);
                                 modules are found on sys.path and in the working directory. A factory
                                 with a `tables` parameter also gets the tables' primary keys
                                 (`fallback.client.TableKeys`)
    cmd:<shell command>          a client in another process, any language, over JSON lines
                                 (`fallback.adapters.subprocess_client`), e.g.
                                 `cmd:node clients/spec-js/adapter.mjs`

The CLI maps `--client X` to `load_client(X, ...)` and `--client-cmd "C"` to `load_client("cmd:C", ...)`.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from fallback.adapters.subprocess_client import SubprocessClient
from fallback.client.config import SourceConfig
from fallback.client.errors import ConfigError
from fallback.client.keys import TableKeys
from fallback.client.protocol import FallbackClient
from fallback.client.reference import ReferenceClient
from fallback.client.spec_faithful import SpecFaithfulClient

BUILTIN: dict[str, Callable[..., FallbackClient]] = {
    "reference": ReferenceClient,
    "spec": SpecFaithfulClient,
    "spec_faithful": SpecFaithfulClient,
    "spec-faithful": SpecFaithfulClient,
}
PROTOCOL_MEMBERS = ("name", "load", "create", "update", "delete", "call", "resolve_pending", "metrics", "aclose")


class ClientSpecError(ConfigError):
    """`--client` names nothing usable: unknown name, import failure, a factory that returns no client."""


def load_client(
    spec: str,
    sources: Sequence[SourceConfig],
    *,
    call_timeout_s: float = 30.0,
    cwd: str | None = None,
    tables: TableKeys | None = None,
) -> FallbackClient:
    """Build the client `spec` names for `sources` (priority order).

    `call_timeout_s` and `cwd` apply to `cmd:` clients only: in-process clients are bounded by
    the engine's own deadline around each call. `tables` (each table's primary key) goes to every
    client that takes it: the bundled ones, `cmd:` clients (in `configure`), factories with a
    `tables` parameter.
    """
    spec = spec.strip()
    if spec.startswith("cmd:"):
        command = spec.removeprefix("cmd:").strip()
        if not command:
            raise ClientSpecError("`cmd:` needs a command, e.g. cmd:node clients/spec-js/adapter.mjs")
        return SubprocessClient(command, sources, call_timeout_s=call_timeout_s, cwd=cwd, tables=tables)
    if spec in BUILTIN:
        return BUILTIN[spec](sources, tables=tables)
    if ":" not in spec:
        known = ", ".join(sorted(BUILTIN))
        raise ClientSpecError(f"unknown client {spec!r}: use one of {known}, package.module:factory or cmd:<command>")
    factory = _factory(spec)
    if tables is not None and _takes_tables(factory):
        return _check(spec, factory(list(sources), tables=tables))
    return _check(spec, factory(list(sources)))


def _takes_tables(factory: Callable[..., Any]) -> bool:
    """Whether a user's factory has a `tables` parameter (older factories take the sources only)."""
    try:
        return "tables" in inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C callable without a signature
        return False


def factory_problem(spec: str) -> str | None:
    """Why `package.module:factory` cannot be used (module, attribute, callable), or None; no client is built."""
    try:
        _factory(spec)
    except ClientSpecError as exc:
        return str(exc)
    return None


def _factory(spec: str) -> Callable[..., Any]:
    module_name, _, attr_path = spec.partition(":")
    if os.getcwd() not in sys.path:  # the console script's sys.path lacks the user's directory
        sys.path.append(os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ClientSpecError(f"client {spec!r}: cannot import {module_name!r}: {exc}") from exc
    for part in attr_path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as exc:
            raise ClientSpecError(f"client {spec!r}: {module_name!r} has no {attr_path!r}") from exc
    if not callable(target):
        raise ClientSpecError(f"client {spec!r}: {attr_path!r} is not callable")
    factory: Callable[..., Any] = target
    return factory


def _check(spec: str, client: Any) -> FallbackClient:
    if not isinstance(client, FallbackClient):
        missing = [m for m in PROTOCOL_MEMBERS if not hasattr(client, m)]
        raise ClientSpecError(
            f"client {spec!r} returned {type(client).__name__}, which lacks {', '.join(missing)} "
            "(see fallback.client.protocol.FallbackClient)"
        )
    return client
