"""Driving `wrk` (a real HTTP load generator, C, keep-alive connections) and reading its figures.

One run = `wrk -t THREADS -c CONNECTIONS -d SECONDS` against one URL, with a Lua script that sets the
method, headers and body and, in wrk's `done` hook, prints one JSON line of what it measured (so nothing
is parsed out of wrk's human-readable table). Every response must be 2xx: a run with errors or other
statuses is reported as such, never as a throughput figure.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MARK = "FALLBACK-WRK "

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('%s{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %f, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    "MARK", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


class LoadError(RuntimeError):
    """wrk is missing, failed, or the target answered something other than 2xx."""


@dataclass(frozen=True)
class Request:
    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None


@dataclass(frozen=True)
class LoadRun:
    """What one wrk run measured."""

    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    errors: int
    """Socket errors, timeouts and non-2xx/3xx answers together."""
    server_cpu_us: float | None = None
    """The server process's own CPU time (user + system) per request: less sensitive to other load."""

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise LoadError("wrk is not installed: `make setup` installs it (apt-get install wrk)")
    return found


def _lua(request: Request) -> str:
    lines = [f"wrk.method = {json.dumps(request.method)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in request.headers]
    if request.body is not None:
        lines.append(f"wrk.body = {json.dumps(request.body)}")
    return "\n".join(lines) + _DONE.replace('"MARK"', json.dumps(MARK))


def parse(output: str) -> LoadRun:
    for line in output.splitlines():
        if line.startswith(MARK):
            data = json.loads(line.removeprefix(MARK))
            errors = sum(int(data[k]) for k in ("connect", "read", "write", "status", "timeout"))
            return LoadRun(
                requests=int(data["requests"]),
                duration_s=int(data["duration_us"]) / 1e6,
                p50_ms=int(data["p50_us"]) / 1000,
                p99_ms=int(data["p99_us"]) / 1000,
                mean_ms=float(data["mean_us"]) / 1000,
                errors=errors,
            )
    raise LoadError(f"wrk printed no figures: {output[-500:]!r}")


def run(request: Request, *, seconds: float, connections: int = 8, threads: int = 2) -> LoadRun:
    """One wrk run; raises LoadError when wrk fails or any answer was not 2xx/3xx."""
    with tempfile.TemporaryDirectory(prefix="fallback-wrk-") as tmp:
        script = Path(tmp) / "request.lua"
        script.write_text(_lua(request), encoding="utf-8")
        argv = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script), request.url]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=False)
    if done.returncode != 0:
        raise LoadError(f"wrk exited {done.returncode}: {done.stderr.strip() or done.stdout[-500:]}")
    result = parse(done.stdout)
    if result.errors or result.requests == 0:
        raise LoadError(f"{request.method} {request.url}: {result.errors} errors in {result.requests} requests")
    return result
