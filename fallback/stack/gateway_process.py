"""Launching one source's PostgREST-dialect gateway (`python -m fallback.gateway`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from fallback.stack import process, wait
from fallback.stack.ports import HOST
from fallback.stack.state import ProcessRecord


def start(
    state_dir: Path,
    name: str,
    port: int,
    db_dsn: str,
    jwt_secret: str,
    api_keys: list[str],
) -> ProcessRecord:
    config_path = state_dir / name / "gateway.json"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "name": name,
        "host": HOST,
        "port": port,
        "db_dsn": db_dsn,
        "jwt_secret": jwt_secret,
        "api_keys": api_keys,
    }
    fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(config, handle, indent=2)
    log = state_dir / name / "gateway.log"
    return process.spawn(
        f"gateway:{name}",
        [sys.executable, "-m", "fallback.gateway", "--config", str(config_path)],
        log,
        cmdline_hint=str(config_path),
    )


def wait_ready(record: ProcessRecord, state_dir: Path, name: str, port: int, timeout_s: float = 30) -> None:
    log = state_dir / name / "gateway.log"
    wait.until(wait.http_ok(f"http://{HOST}:{port}/ready"), f"gateway of {name}", record, log, timeout_s)
