"""One PostgreSQL 15 cluster per source, prepared like a Supabase database.

The data directory lives in the state dir and is kept between runs (a warm `stack up`
only starts the server and re-applies the idempotent SQL); `stack down --purge` removes
it. A fresh cluster is copied from a template made by `initdb` once, which is faster than
running `initdb` three times on two cores. Each cluster then gets its own superuser
password (PostgreSQL's single-user mode, before the server ever starts), as separate
projects have. PostgreSQL refuses to run as root, so when we are root the server runs as
the `postgres` user, with its own group and no supplementary groups, and owns the data.

Template and clusters appear atomically: each is built beside its final place (`*.tmp`),
owned by the server's user, and only then renamed into place; an interrupted start leaves
no half-made cluster behind, and one left by an older version (owned by root) is rebuilt.
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

from fallback.stack import process, wait
from fallback.stack.binaries import postgres_bindir
from fallback.stack.errors import StackError, StartFailed
from fallback.stack.ports import HOST
from fallback.stack.process import RunAs
from fallback.stack.state import ProcessKind, ProcessRecord

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


def server_user() -> RunAs | None:
    """Who runs PostgreSQL: the `postgres` user when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return RunAs.named("postgres")
    except KeyError as exc:
        raise StackError(
            "running as root, and PostgreSQL refuses to run as root, but there is no `postgres` user: "
            "install Debian's postgresql-15 package (it creates the user) or run as a normal user"
        ) from exc


def _may_enter(stat: os.stat_result, run_as: RunAs) -> bool:
    """The kernel's rule: the owner's bits if it owns it, else the group's if in its group, else the others'."""
    if stat.st_uid == run_as.user:
        return bool(stat.st_mode & 0o100)
    if stat.st_gid in (run_as.group, *run_as.extra_groups):
        return bool(stat.st_mode & 0o010)
    return bool(stat.st_mode & 0o001)


def check_reachable(state_dir: Path, run_as: RunAs | None) -> None:
    """PostgreSQL, running as `run_as`, must be able to enter every directory above its data."""
    if run_as is None:
        return
    for ancestor in [state_dir, *state_dir.parents]:
        if ancestor.exists() and not _may_enter(ancestor.stat(), run_as):
            name = pwd.getpwuid(run_as.user).pw_name
            raise StackError(
                f"PostgreSQL runs as the `{name}` user (PostgreSQL refuses root) and cannot enter "
                f"{ancestor} (mode {ancestor.stat().st_mode & 0o777:o}): choose a --state-dir it can reach, "
                f"e.g. inside the repository, or `chmod o+x {ancestor}`"
            )


def _chown_to(path: Path, run_as: RunAs | None) -> None:
    if run_as is None:
        return
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), run_as.user, run_as.group)
    os.chown(path, run_as.user, run_as.group)


def _owned_by(path: Path, run_as: RunAs | None) -> bool:
    return run_as is None or path.stat().st_uid == run_as.user


@dataclass(frozen=True)
class ClusterPaths:
    data: Path
    superuser_password_file: Path
    log: Path


def cluster_paths(state_dir: Path, name: str) -> ClusterPaths:
    base = state_dir / name
    return ClusterPaths(base / "pgdata", base / "superuser.password", base / "postgres.log")


def _write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    tmp.replace(path)


def _check_url_safe(password: str) -> str:
    # token_urlsafe gives only [A-Za-z0-9_-]: nothing to quote in `PASSWORD '...'` (which takes no parameters).
    if not password.replace("-", "").replace("_", "").isalnum():
        raise ValueError("generated passwords must be URL-safe")
    return password


def _make_template(state_dir: Path, run_as: RunAs | None) -> Path:
    template = state_dir / "template-pgdata"
    if (template / "PG_VERSION").exists() and _owned_by(template, run_as):
        return template
    building = state_dir / "template-pgdata.tmp"
    for leftover in (template, building):
        shutil.rmtree(leftover, ignore_errors=True)
    building.mkdir(parents=True)
    pwfile = state_dir / "initdb.pw"  # throwaway: each cluster gets its own password once copied
    _write_secret(pwfile, secrets.token_urlsafe(24) + "\n")
    _chown_to(building, run_as)
    _chown_to(pwfile, run_as)
    argv = [
        str(postgres_bindir() / "initdb"),
        "-D",
        str(building),
        "-U",
        "postgres",
        "--pwfile",
        str(pwfile),
        "--auth",
        "scram-sha-256",
        "--encoding",
        "UTF8",
        "--locale",
        "C.UTF-8",
        "--no-sync",
    ]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **process.credentials(run_as))
    pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        raise StartFailed(f"initdb failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    with open(building / "pg_hba.conf", "w") as hba:
        hba.write("# written by fallback-harness: password logins over loopback TCP only\n")
        hba.write("host all all 127.0.0.1/32 scram-sha-256\n")
    _chown_to(building / "pg_hba.conf", run_as)
    building.rename(template)
    return template


def _set_superuser_password(data: Path, run_as: RunAs | None, password: str) -> None:
    """Set the cluster's own superuser password in single-user mode (the server is not running)."""
    argv = [str(postgres_bindir() / "postgres"), "--single", "-D", str(data), "-c", "fsync=off", "postgres"]
    statement = f"ALTER ROLE postgres WITH PASSWORD '{_check_url_safe(password)}'\n"
    who = process.credentials(run_as)
    result = subprocess.run(argv, input=statement, capture_output=True, text=True, check=False, **who)
    if result.returncode != 0 or "ERROR" in result.stdout + result.stderr:
        raise StartFailed(f"setting the superuser password of {data} failed: {result.stderr.strip()[-2000:]}")


def ensure_cluster(state_dir: Path, name: str) -> ClusterPaths:
    """The source's data directory, made from the template unless a complete one exists, with its own password."""
    run_as = server_user()
    check_reachable(state_dir, run_as)
    paths = cluster_paths(state_dir, name)
    (paths.data / "postmaster.pid").unlink(missing_ok=True)  # a crashed run's leftover
    if not (paths.data / "PG_VERSION").exists() or not _owned_by(paths.data, run_as):
        # Missing, or copied by a version that copied in place and was interrupted before chown: rebuild.
        template = _make_template(state_dir, run_as)
        building = paths.data.with_name(paths.data.name + ".tmp")
        for leftover in (paths.data, building):
            shutil.rmtree(leftover, ignore_errors=True)
        shutil.copytree(template, building, symlinks=True)
        building.chmod(0o700)
        _chown_to(building, run_as)
        paths.superuser_password_file.unlink(missing_ok=True)  # a new cluster: the old password is not in it
        building.rename(paths.data)
    if not paths.superuser_password_file.exists():
        password = secrets.token_urlsafe(24)
        _set_superuser_password(paths.data, run_as, password)
        _write_secret(paths.superuser_password_file, password)
    return paths


def discard_cluster(state_dir: Path, name: str) -> None:
    """Remove the source's data directory (its server stopped): the next `ensure_cluster` makes a fresh one."""
    paths = cluster_paths(state_dir, name)
    shutil.rmtree(paths.data, ignore_errors=True)
    paths.superuser_password_file.unlink(missing_ok=True)


def start(state_dir: Path, name: str, port: int) -> ProcessRecord:
    paths = ensure_cluster(state_dir, name)
    argv = [str(postgres_bindir() / "postgres"), "-D", str(paths.data), "-p", str(port)]
    for key, value in SERVER_SETTINGS.items():
        argv += ["-c", f"{key}={value}"]
    return process.spawn(
        ProcessKind.postgres, name, argv, paths.log, cmdline_hint=str(paths.data), run_as=server_user()
    )


def wait_accepting(record: ProcessRecord, state_dir: Path, name: str, port: int, timeout_s: float = 60.0) -> None:
    """Block until the cluster accepts connections (`pg_isready`); StartFailed with its log's tail if it died."""
    pg_isready = str(postgres_bindir() / "pg_isready")

    def accepting() -> bool:
        argv = [pg_isready, "-q", "-h", HOST, "-p", str(port)]
        return subprocess.run(argv, check=False).returncode == 0

    log = cluster_paths(state_dir, name).log
    try:
        wait.until(accepting, f"PostgreSQL of {name}", record, log, timeout_s=timeout_s)
    except StartFailed as exc:
        if "Permission denied" not in str(exc):
            raise
        purge = f"fallback-harness stack down --purge --state-dir {state_dir}"
        raise StartFailed(f"{exc}\nthe server's user cannot read its data: rebuild it with `{purge}`") from exc


def stop(record: ProcessRecord) -> None:
    # SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, exit cleanly.
    process.stop(record, signal.SIGINT, grace_s=15.0)


def superuser_dsn(state_dir: Path, name: str, port: int, database: str = "postgres") -> str:
    password = cluster_paths(state_dir, name).superuser_password_file.read_text().strip()
    return f"postgresql://postgres:{password}@{HOST}:{port}/{database}"


def schema_files() -> list[Path]:
    return sorted(SQL_DIR.glob("*.sql"))
