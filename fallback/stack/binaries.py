"""Where the stack's programs are, and how to install each one that is missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fallback.stack.errors import MissingBinary

TOXIPROXY_VERSION = "v2.12.0"
PG_MAJOR = "15"
REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"

INSTALL_TOXIPROXY = (
    f"install it with `GOBIN={TOOLS_BIN} go install "
    f"github.com/Shopify/toxiproxy/v2/cmd/server@{TOXIPROXY_VERSION}"
    f" && mv {TOOLS_BIN}/server {TOOLS_BIN}/toxiproxy-server` (or run `make setup`), "
    "or name the binary in TOXIPROXY_SERVER"
)
INSTALL_POSTGRES = (
    f"install it with `apt-get update && apt-get install -y postgresql-{PG_MAJOR}` (or run `make setup`), "
    "or name the directory holding initdb/postgres in PG_BINDIR"
)


def toxiproxy_server() -> Path:
    """The Toxiproxy server binary: $TOXIPROXY_SERVER, then .tools/bin, then PATH."""
    candidates = [os.environ.get("TOXIPROXY_SERVER", ""), str(TOOLS_BIN / "toxiproxy-server")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    found = shutil.which("toxiproxy-server")
    if found:
        return Path(found)
    raise MissingBinary(f"toxiproxy-server {TOXIPROXY_VERSION} not found: {INSTALL_TOXIPROXY}")


def postgres_bindir() -> Path:
    """Directory of PostgreSQL's server programs (initdb, postgres, pg_ctl)."""
    candidates = [os.environ.get("PG_BINDIR", ""), f"/usr/lib/postgresql/{PG_MAJOR}/bin"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file() and (Path(candidate) / "postgres").is_file():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise MissingBinary(f"PostgreSQL {PG_MAJOR} server programs (initdb, postgres) not found: {INSTALL_POSTGRES}")


def postgrest_binary() -> Path | None:
    """A real PostgREST binary, if the user has one ($POSTGREST_BIN or `postgrest` on PATH)."""
    named = os.environ.get("POSTGREST_BIN")
    if named:
        if not Path(named).is_file():
            raise MissingBinary(f"POSTGREST_BIN={named} does not exist")
        return Path(named)
    found = shutil.which("postgrest")
    return Path(found) if found else None
