"""One PostgreSQL 15 cluster per source, prepared like a Supabase database.

The data directory lives in the state dir and is kept between runs (a warm `stack up`
only starts the server and re-applies the idempotent SQL); `stack down --purge` removes
it. A fresh cluster is copied from a template made by `initdb` once, which is faster than
running `initdb` three times on two cores. PostgreSQL refuses to run as root, so when we
are root the server runs as the `postgres` user, which owns the data directory.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fallback.stack import process
from fallback.stack.binaries import postgres_bindir
from fallback.stack.errors import StackError, StartFailed
from fallback.stack.ports import HOST
from fallback.stack.state import ProcessRecord

SQL_DIR = Path(__file__).with_name("sql")
SERVER_SETTINGS = {
    "listen_addresses": HOST,
    "unix_socket_directories": "",
    "max_connections": "60",
    "shared_buffers": "32MB",
    "work_mem": "4MB",
    "maintenance_work_mem": "16MB",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "log_min_messages": "warning",
    "log_connections": "off",
}


def run_as_user() -> str | None:
    """The OS user that runs PostgreSQL: `postgres` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise StackError(
            "running as root, and PostgreSQL refuses to run as root, but there is no `postgres` user: "
            "install Debian's postgresql-15 package (it creates the user) or run as a normal user"
        ) from exc
    return "postgres"


def check_reachable(state_dir: Path, user: str | None) -> None:
    """PostgreSQL, running as `user`, must be able to enter every directory above its data."""
    if user is None:
        return
    for ancestor in [state_dir, *state_dir.parents]:
        if ancestor.exists() and not ancestor.stat().st_mode & 0o001:
            raise StackError(
                f"PostgreSQL runs as the `{user}` user (PostgreSQL refuses root) and cannot enter "
                f"{ancestor} (mode {ancestor.stat().st_mode & 0o777:o}): choose a --state-dir it can reach, "
                f"e.g. inside the repository, or `chmod o+x {ancestor}`"
            )


def _chown_to(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
    os.chown(path, entry.pw_uid, entry.pw_gid)


@dataclass(frozen=True)
class ClusterPaths:
    data: Path
    superuser_password_file: Path
    log: Path


def cluster_paths(state_dir: Path, name: str) -> ClusterPaths:
    base = state_dir / name
    return ClusterPaths(base / "pgdata", state_dir / "superuser.password", base / "postgres.log")


def _superuser_password(state_dir: Path) -> str:
    path = state_dir / "superuser.password"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def _make_template(state_dir: Path, user: str | None) -> Path:
    template = state_dir / "template-pgdata"
    if (template / "PG_VERSION").exists():
        return template
    shutil.rmtree(template, ignore_errors=True)
    template.mkdir(parents=True)
    pwfile = state_dir / "initdb.pw"
    pwfile.write_text(_superuser_password(state_dir) + "\n")
    _chown_to(template, user)
    _chown_to(pwfile, user)
    argv = [
        str(postgres_bindir() / "initdb"),
        "-D", str(template),
        "-U", "postgres",
        "--pwfile", str(pwfile),
        "--auth", "scram-sha-256",
        "--encoding", "UTF8",
        "--locale", "C.UTF-8",
        "--no-sync",
    ]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, user=user)
    pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        shutil.rmtree(template, ignore_errors=True)
        raise StartFailed(f"initdb failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    with open(template / "pg_hba.conf", "w") as hba:
        hba.write("# written by fallback-harness: password logins over loopback TCP only\n")
        hba.write("host all all 127.0.0.1/32 scram-sha-256\n")
    return template


def ensure_cluster(state_dir: Path, name: str) -> ClusterPaths:
    """Create the source's data directory from the template unless it already exists."""
    user = run_as_user()
    check_reachable(state_dir, user)
    paths = cluster_paths(state_dir, name)
    if not (paths.data / "PG_VERSION").exists():
        template = _make_template(state_dir, user)
        shutil.rmtree(paths.data, ignore_errors=True)
        shutil.copytree(template, paths.data, symlinks=True)
        paths.data.chmod(0o700)
        _chown_to(paths.data.parent, user)
    return paths


def start(state_dir: Path, name: str, port: int) -> ProcessRecord:
    paths = ensure_cluster(state_dir, name)
    (paths.data / "postmaster.pid").unlink(missing_ok=True)  # a crashed run's leftover
    argv = [str(postgres_bindir() / "postgres"), "-D", str(paths.data), "-p", str(port)]
    for key, value in SERVER_SETTINGS.items():
        argv += ["-c", f"{key}={value}"]
    return process.spawn(
        f"postgres:{name}", argv, paths.log, cmdline_hint=str(paths.data), user=run_as_user()
    )


def stop(record: ProcessRecord) -> None:
    # SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, exit cleanly.
    process.stop(record, signal.SIGINT, grace_s=15.0)


def superuser_dsn(state_dir: Path, port: int, database: str = "postgres") -> str:
    password = _superuser_password(state_dir)
    return f"postgresql://postgres:{password}@{HOST}:{port}/{database}"


def schema_files() -> list[Path]:
    return sorted(SQL_DIR.glob("*.sql"))
