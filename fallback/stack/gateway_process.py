"""Launching one source's API: our PostgREST-dialect gateway (`python -m fallback.gateway`), or, with
`FALLBACK_GATEWAY=postgrest`, a real PostgREST binary behind our Kong-like apikey proxy
(`python -m fallback.gateway.kong`), so that clients see PostgREST's own answers.

Either way the API listens on the layout's gateway port and answers `/ready`; the real PostgREST
uses the two spare ports of the source's block (+4 for its API, +5 for its admin server).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from fallback.stack import process, wait
from fallback.stack.binaries import postgrest_binary
from fallback.stack.errors import MissingBinary
from fallback.stack.ports import HOST
from fallback.stack.state import ProcessKind, ProcessRecord

GATEWAY_ENV = "FALLBACK_GATEWAY"


def _write_private_json(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)


def require_postgrest() -> Path:
    binary = postgrest_binary()
    if binary is None:
        raise MissingBinary(
            f"{GATEWAY_ENV}=postgrest, but no PostgREST binary: put `postgrest` on PATH or set POSTGREST_BIN"
        )
    return binary


def check_programs() -> None:
    """Fail before anything starts when the chosen API program is missing."""
    if use_real_postgrest():
        require_postgrest()


def use_real_postgrest() -> bool:
    choice = os.environ.get(GATEWAY_ENV, "ours")
    if choice not in ("ours", "postgrest"):
        raise MissingBinary(f"{GATEWAY_ENV}={choice!r}: choose `ours` (default) or `postgrest`")
    return choice == "postgrest"


def start(
    state_dir: Path,
    name: str,
    port: int,
    db_dsn: str,
    jwt_secret: str,
    api_keys: list[str],
    schemas: tuple[str, ...] = ("public",),
) -> list[ProcessRecord]:
    """Start the source's API exposing `schemas` (db-schemas); returns every process started (the API last)."""
    if use_real_postgrest():
        return _start_postgrest(state_dir, name, port, db_dsn, jwt_secret, api_keys, schemas)
    config_path = state_dir / name / "gateway.json"
    config = {
        "name": name,
        "host": HOST,
        "port": port,
        "db_dsn": db_dsn,
        "jwt_secret": jwt_secret,
        "api_keys": api_keys,
        "schemas": list(schemas),
    }
    _write_private_json(config_path, config)
    log = state_dir / name / "gateway.log"
    return [
        process.spawn(
            ProcessKind.gateway,
            name,
            [sys.executable, "-m", "fallback.gateway", "--config", str(config_path)],
            log,
            cmdline_hint=str(config_path),
        )
    ]


def _start_postgrest(
    state_dir: Path,
    name: str,
    port: int,
    db_dsn: str,
    jwt_secret: str,
    api_keys: list[str],
    schemas: tuple[str, ...] = ("public",),
) -> list[ProcessRecord]:
    binary = require_postgrest()
    api_port, admin_port = port + 3, port + 4  # the block's +4 and +5 (the gateway port is +1)
    env = {
        **os.environ,
        "PGRST_DB_URI": db_dsn,
        "PGRST_DB_SCHEMAS": ",".join(schemas),
        "PGRST_DB_ANON_ROLE": "anon",
        "PGRST_JWT_SECRET": jwt_secret,
        "PGRST_SERVER_HOST": HOST,
        "PGRST_SERVER_PORT": str(api_port),
        "PGRST_ADMIN_SERVER_PORT": str(admin_port),
        "PGRST_DB_POOL": "10",
        "PGRST_DB_AGGREGATES_ENABLED": "true",  # as Supabase serves it (PostgREST's default is off)
    }
    postgrest = process.spawn(
        ProcessKind.postgrest,
        name,
        [str(binary)],
        state_dir / name / "postgrest.log",
        cmdline_hint=str(binary),
        env=env,
    )
    config_path = state_dir / name / "kong.json"
    _write_private_json(
        config_path,
        {
            "name": name,
            "host": HOST,
            "port": port,
            "api_keys": api_keys,
            "upstream_url": f"http://{HOST}:{api_port}",
            "admin_url": f"http://{HOST}:{admin_port}",
        },
    )
    return [postgrest, start_kong(state_dir, name)]


def start_kong(state_dir: Path, name: str) -> ProcessRecord:
    """The Kong-like apikey proxy in front of PostgREST, from the config `_start_postgrest` wrote."""
    config_path = state_dir / name / "kong.json"
    return process.spawn(
        ProcessKind.gateway,
        name,
        [sys.executable, "-m", "fallback.gateway.kong", "--config", str(config_path)],
        state_dir / name / "gateway.log",
        cmdline_hint=str(config_path),
    )


def wait_ready(record: ProcessRecord, state_dir: Path, name: str, port: int, timeout_s: float = 30) -> None:
    log = state_dir / name / "gateway.log"
    wait.until(wait.http_ok(f"http://{HOST}:{port}/ready"), f"API of {name}", record, log, timeout_s)
