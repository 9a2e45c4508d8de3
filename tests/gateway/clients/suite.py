"""postgrest-js's own integration suite, run against the gateway: where its files come from, how it runs.

The suite (jest tests with inline snapshots of a real PostgREST 12.2's answers, and the SQL fixture it ran
on) is read at run time from a checkout of github.com/supabase/postgrest-js; nothing of it is kept in this
repository. The client itself is the npm registry's `@supabase/postgrest-js` (pinned in
postgrest_js/package.json, the release whose sources match the checkout). The suite was written for two
PostgRESTs (12.2 on :3000, 13 on :3001) whose anonymous role is the superuser `postgres`; here both
addresses become the gateway's `/rest/v1`, and every request carries the service_role key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = HERE / "postgrest_js"
DEFAULT_CHECKOUT = TOOLS / "upstream"
"""The suite's files vendored at a pinned commit (see its SOURCE.md), so CI runs it; `POSTGREST_JS_REPO` names
another copy: a git directory (bare or not: its HEAD is read) or a plain folder."""
JEST_TIMEOUT_S = 300


@dataclass(frozen=True)
class Outcome:
    """One jest test: `file` (test/basic.test.ts), its full name, passed or not, and why not."""

    file: str
    name: str
    passed: bool
    message: str


def checkout() -> Path | None:
    path = Path(os.environ.get("POSTGREST_JS_REPO", DEFAULT_CHECKOUT))
    return path if path.exists() else None


def _is_git(repo: Path) -> bool:
    return (repo / "HEAD").exists() or (repo / ".git").exists()


def _git_show(repo: Path, path: str) -> str:
    if not _is_git(repo):
        return (repo / path).read_text(encoding="utf-8")
    done = subprocess.run(
        ["git", "--git-dir" if (repo / "HEAD").exists() else "-C", str(repo), "show", f"HEAD:{path}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _git_files(repo: Path, under: str) -> list[str]:
    if not _is_git(repo):
        return sorted(str(p.relative_to(repo)) for p in (repo / under).rglob("*") if p.is_file())
    flag = "--git-dir" if (repo / "HEAD").exists() else "-C"
    done = subprocess.run(
        ["git", flag, str(repo), "ls-tree", "-r", "--name-only", "HEAD", under],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.split()


def fixture_sql(repo: Path, has_postgis: bool) -> str:
    """test/db/*.sql as PostgREST ran them, adapted to this cluster: the `extensions` schema exists already
    (the stack's own schema makes it), and without PostGIS its table (`shops`) is left out."""
    text = "\n".join(_git_show(repo, path) for path in _git_files(repo, "test/db") if path.endswith(".sql"))
    text, made = re.subn(r"(?im)^create schema extensions;", "CREATE SCHEMA IF NOT EXISTS extensions;", text)
    if made != 1:
        raise RuntimeError("postgrest-js's fixture no longer creates schema `extensions` as expected")
    if not has_postgis:
        pattern = r"(?is)create extension postgis[^;]*;|create table public\.shops \(.*?\n\);|insert into shops[^;]*;"
        text, dropped = re.subn(pattern, "", text)
        if dropped != 3:
            raise RuntimeError("postgrest-js's fixture no longer declares PostGIS and `shops` as expected")
    grants = "\n".join(
        f"GRANT USAGE ON SCHEMA {schema} TO anon, authenticated, service_role;"
        f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO anon, authenticated, service_role;"
        f"GRANT ALL ON ALL SEQUENCES IN SCHEMA {schema} TO anon, authenticated, service_role;"
        for schema in ("public", "personal")
    )
    # Supabase's image lets the API roles use `extensions` (PostGIS's functions are there)
    grants += "GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;"
    return f"{text}\n{grants}\n"


def prepare(repo: Path, work: Path, rest_url: str) -> None:
    """The suite's jest tests and their helpers in `work`/test, its addresses pointed at `rest_url`,
    `work`/src a copy of the registry client's sources (the tests import `../src/index`)."""
    (work / "test").mkdir(parents=True)
    for path in _git_files(repo, "test"):
        name = Path(path).name
        if Path(path).parent.name != "test" or not name.endswith(".ts") or name.endswith(".test-d.ts"):
            continue
        text = re.sub(r"http://localhost:300[01]", rest_url, _git_show(repo, path))
        (work / "test" / name).write_text(text, encoding="utf-8")
    shutil.copytree(TOOLS / "node_modules" / "@supabase" / "postgrest-js" / "src", work / "src")


def ensure_node_modules() -> str | None:
    """Install the pinned tools once (`npm ci`); the reason they cannot be had, or None."""
    if (TOOLS / "node_modules" / ".package-lock.json").exists():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed"
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TOOLS, capture_output=True, text=True
    )
    return None if done.returncode == 0 else f"npm ci failed: {done.stderr[-500:]}"


def run_jest(work: Path, api_key: str) -> list[Outcome]:
    report = work / "jest.json"
    env = {**os.environ, "SUITE_DIR": str(work), "GATEWAY_API_KEY": api_key}
    subprocess.run(
        ["node", str(TOOLS / "node_modules" / ".bin" / "jest"), "-c", str(TOOLS / "jest.config.js"), "--ci",
         "--json", f"--outputFile={report}"],
        cwd=TOOLS, env=env, capture_output=True, text=True, timeout=JEST_TIMEOUT_S,
    )  # fmt: skip
    if not report.exists():
        raise RuntimeError("jest wrote no report")
    results = json.loads(report.read_text(encoding="utf-8"))
    outcomes: list[Outcome] = []
    seen: dict[tuple[str, str], int] = {}
    for suite in results["testResults"]:
        file = "test/" + Path(suite["name"]).name
        if not suite["assertionResults"]:
            outcomes.append(Outcome(file, "(the file did not load)", False, suite.get("message", "")[:2000]))
        for test in suite["assertionResults"]:
            message = "\n".join(test.get("failureMessages") or [])
            # two tests of one file may share a name (transforms.test.ts has two `maybeSingle`): number them
            seen[file, test["fullName"]] = count = seen.get((file, test["fullName"]), 0) + 1
            name = test["fullName"] if count == 1 else f"{test['fullName']} [{count}]"
            outcomes.append(Outcome(file, name, test["status"] == "passed", message[:4000]))
    return outcomes
