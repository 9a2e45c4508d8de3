"""How long `stack up` takes for a project, cold (no clusters yet) and warm (clusters kept, migrations recorded).

    .venv/bin/python scripts/time_stack_up.py [--tries 3] [--base-port 28600]

A measurement, not a test. Projects: the built-in example (3 sources, one migration), examples/saas-billing
(4 sources, two shared migrations and LEGACY's own) and the same with a fifth source (ARCHIVE). Per try: `stack up`
(library call, the same as the command) timed by the wall clock until every gateway answers `/ready`, then
`stack down`. Cold: the state dir purged first (initdb of the template, a copy per source, every migration);
warm: the clusters of the previous try kept (the server starts, the harness's SQL runs again, no migration
does). Printed: median, min and max per project and kind, and the machine's load average meanwhile.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

from fallback.project import Project, SourceSpec
from fallback.project.builtin import builtin_project
from fallback.stack import stack as stack_lib

REPO = Path(__file__).resolve().parents[1]
STATE_DIR = REPO / ".stack-time-stack-up"


def saas_billing(extra: tuple[str, ...] = ()) -> Project:
    """examples/saas-billing's sources and migrations as its fallback.toml gives them, with `extra` sources added
    before LEGACY (built here: `load_project` refuses the example while its scenarios folder is missing)."""
    root = REPO / "examples" / "saas-billing"
    names = ("PRIMARY", "REPLICA_EU", "REPLICA_US", *extra)
    legacy = SourceSpec("LEGACY", migrations=(root / "legacy" / "migrations",))
    return Project(
        root=root,
        name="saas-billing" + (f"+{len(extra)}" if extra else ""),
        sources=(*(SourceSpec(name=n) for n in names), legacy),
        migrations=tuple(sorted((root / "supabase" / "migrations").glob("*.sql"))),
    )


def once(project: Project, base_port: int, cold: bool) -> float:
    if cold:
        stack_lib.down(STATE_DIR, purge=True)
        shutil.rmtree(STATE_DIR, ignore_errors=True)
    started = time.monotonic()
    try:
        stack_lib.up(stack_lib.StackOptions(state_dir=STATE_DIR, base_port=base_port, project=project))
        return time.monotonic() - started
    finally:
        stack_lib.down(STATE_DIR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--base-port", type=int, default=28600)
    args = parser.parse_args()
    projects = [builtin_project(), saas_billing(), saas_billing(("ARCHIVE",))]
    try:
        for project in projects:
            for cold in (True, False):
                if not cold:
                    once(project, args.base_port, cold=True)  # the clusters the warm tries start from
                load_before = os.getloadavg()[0]
                times = [once(project, args.base_port, cold) for _ in range(args.tries)]
                print(
                    f"{project.name:<16} {len(project.sources)} sources {'cold' if cold else 'warm'}: "
                    f"median {statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f}; "
                    f"{args.tries} tries; load average {load_before:.1f} -> {os.getloadavg()[0]:.1f})"
                )
    finally:
        stack_lib.down(STATE_DIR, purge=True)


if __name__ == "__main__":
    main()
