"""A throwaway PostgreSQL cluster and gateway subprocess for the gateway's integration tests.

PostgreSQL refuses to run as root, so initdb and postgres run as the `postgres` OS user.
Every process is started here with Popen and stopped by its own pid.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TypeVar

import asyncpg
import httpx
import jwt

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SQL_DIR = Path(__file__).resolve().parents[2] / "fallback" / "stack" / "sql"
REPO = Path(__file__).resolve().parents[2]
SPEC_MIGRATIONS = REPO / "examples" / "triple-fallback" / "supabase" / "migrations"
"""The spec's tables (the built-in project's migrations), loaded after the harness's own SQL."""
T = TypeVar("T")
SUPERUSER_PASSWORD = "postgres-test-pw"
AUTHENTICATOR_PASSWORD = "authenticator-test-pw"


def free_port(low: int, high: int) -> int:
    """A free port in low-high, or in `FALLBACK_GATEWAY_TEST_PORTS=low-high` when set (parallel runs)."""
    override = os.environ.get("FALLBACK_GATEWAY_TEST_PORTS")
    if override:
        low_text, dash, high_text = override.partition("-")
        if not (dash and low_text.isdigit() and high_text.isdigit()):
            raise RuntimeError(f"FALLBACK_GATEWAY_TEST_PORTS={override!r}: expected a range low-high, e.g. 26100-26399")
        low, high = int(low_text), int(high_text)
    for port in range(low, high + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


def run_sync(make: Callable[[], Coroutine[object, object, T]]) -> T:
    """asyncio.run in a helper thread, so that it also works inside an async test."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _as_postgres(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, user="postgres", check=True, capture_output=True, **kwargs)  # type: ignore[call-overload,no-any-return]


def make_template() -> Path:
    """initdb once; clusters are copies of this directory."""
    root = Path(tempfile.mkdtemp(prefix="gw-test-pg-template-"))
    shutil.chown(root, "postgres", "postgres")
    pwfile = root / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD)
    shutil.chown(pwfile, "postgres", "postgres")
    _as_postgres(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(root / "data"),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
        ]
    )
    return root


class PgCluster:
    def __init__(self, template: Path, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="gw-test-pg-"))
        shutil.copytree(template / "data", self.root / "data", symlinks=True)
        subprocess.run(["chown", "-R", "postgres:postgres", str(self.root)], check=True)
        os.chmod(self.root / "data", 0o700)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def superuser_dsn(self) -> str:
        return f"postgresql://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{self.port}/postgres"

    @property
    def authenticator_dsn(self) -> str:
        return f"postgresql://authenticator:{AUTHENTICATOR_PASSWORD}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        log = open(self.root / "postgres.log", "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(self.root / "data"),
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=100",
            ],
            user="postgres",
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {(self.root / 'postgres.log').read_text()[-2000:]}")
            ready = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not become ready")

    def stop(self, mode: str = "immediate") -> None:
        """immediate = SIGQUIT, fast = SIGINT, smart = SIGTERM (pg_ctl's modes)."""
        if self.proc is None:
            return
        sig = {"immediate": signal.SIGQUIT, "fast": signal.SIGINT, "smart": signal.SIGTERM}[mode]
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def apply_schema(self) -> None:
        async def apply() -> None:
            conn = await asyncpg.connect(self.superuser_dsn)
            try:
                for path in [*sorted(SQL_DIR.glob("*.sql")), *sorted(SPEC_MIGRATIONS.glob("*.sql"))]:
                    await conn.execute(path.read_text())
                await conn.execute(f"ALTER ROLE authenticator PASSWORD '{AUTHENTICATOR_PASSWORD}'")
            finally:
                await conn.close()

        run_sync(apply)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def mint(secret: str, role: str, sub: str | None = None, exp_in: float = 3600, **claims: object) -> str:
    payload: dict[str, object] = {"role": role, "iat": int(time.time()), "exp": int(time.time() + exp_in), **claims}
    if sub is not None:
        payload["sub"] = sub
    return jwt.encode(payload, secret, algorithm="HS256")


class GatewayProcess:
    def __init__(self, root: Path, port: int, config: dict[str, object], cwd: Path = REPO) -> None:
        self.port = port
        self.cwd = cwd
        """The directory whose `fallback` package runs (`python -m` puts the working directory first)."""
        self.url = f"http://127.0.0.1:{port}"
        self.config_path = root / f"gateway-{port}.json"
        self.config_path.write_text(json.dumps({**config, "port": port}))
        self.log_path = root / f"gateway-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fallback.gateway", "--config", str(self.config_path)],
            cwd=self.cwd,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/live", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("gateway did not start")

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gateway not ready: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class FaultyProxy:
    """A tiny TCP proxy with Toxiproxy-like faults, for tests that must not need Toxiproxy.

    mode `forward`: bytes pass; `blackhole`: bytes are dropped, connections stay open
    (Toxiproxy's `timeout` toxic with timeout 0); `close`: new connections are accepted
    and closed at once (Toxiproxy with its upstream down).
    """

    def __init__(self, listen_port: int, upstream_port: int) -> None:
        self.port = listen_port
        self.upstream_port = upstream_port
        self.mode = "forward"
        self._server = socket.create_server(("127.0.0.1", listen_port))
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self.mode == "close":
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if self.mode == "forward":
                    dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Close every open connection (what a disabled Toxiproxy proxy does)."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._closed = True
        self._server.close()
        self.cut()
