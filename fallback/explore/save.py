"""A counterexample as a scenario file that `fallback-harness run FILE` replays with the same verdict.

The file is the shrunk schedule in the format of `scenarios/`, whose `expect` states the broken
invariant (`no_duplicates: true`, ...), so `run` fails on exactly that check. A comment header
says where it came from: seed, invariant, confirmation, original and shrunk size.
"""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

from fallback.explore.invariants import INVARIANTS, Limits
from fallback.explore.outcomes import Found, size
from fallback.explore.strategies import scenario_client
from fallback.scenario import Scenario, dump_scenario, load_scenario, scenario_data


def _size_text(scenario: Scenario) -> str:
    faults, ops = size(scenario)
    return f"{faults} fault{'s' * (faults != 1)}, {ops} operation{'s' * (ops != 1)}"


def _slug(client: str) -> str:
    text = "".join(c if c.isalnum() else "-" for c in client.removeprefix("cmd:"))
    return "-".join(part for part in text.split("-") if part)[:24] or "client"


def counterexample(found: Found, client: str, limits: Limits, seed: int) -> Scenario:
    """The shrunk schedule, named after what it breaks, with the `expect` that replays the failure."""
    invariant = INVARIANTS[found.invariant]
    drop = ("name", "description", "expect", "spec_expect", "client")
    schedule = {key: value for key, value in scenario_data(found.best).items() if key not in drop}
    digest = hashlib.sha256(repr(sorted(schedule.items())).encode()).hexdigest()[:8]
    message = next((b.message for b in found.judged.broken if b.invariant == found.invariant), "")
    description = (
        f"Found by `fallback-harness explore --client {client} --seed {seed}`: breaks {invariant.name} "
        f'({invariant.description}); the spec\'s claim: "{invariant.claim}".\nObserved: {message}\n'
    )
    return Scenario.model_validate(
        {
            **schedule,
            "name": f"found-{found.invariant.replace('_', '-')}-{_slug(client)}-{digest}",
            "description": description,
            "client": scenario_client(client),
            "expect": invariant.expect(limits) or {},
        }
    )


def header(found: Found, client: str, seed: int, runs: int, path: Path) -> str:
    invariant = INVARIANTS[found.invariant]
    command = f"fallback-harness run {path}"
    if scenario_client(client) != client:
        command += (
            f" --client {shlex.quote(client)}"
            if not client.startswith("cmd:")
            else (f" --client-cmd {shlex.quote(client.removeprefix('cmd:'))}")
        )
    replay = (
        f"# Replay: {command}   (fails on `{found.invariant}`)"
        if invariant.expect(Limits(found.best.op_deadline)) is not None
        else f"# Replay: {command} runs the schedule; no `expect` key states {found.invariant}: "
        f"re-run `fallback-harness explore --client {client} --seed {seed}` to judge it"
    )
    return "\n".join(
        [
            f"# Found by: fallback-harness explore --client {client} --seed {seed}",
            f"# Invariant broken: {invariant.name}: {invariant.description}",
            f'# Spec claim: "{invariant.claim}"',
            f"# Confirmed: {runs} of {runs} runs broke it",
            f"# Size: original {_size_text(found.first)}; shrunk {_size_text(found.best)}",
            replay,
            "",
        ]
    )


def save(found: Found, client: str, limits: Limits, seed: int, runs: int, save_dir: Path) -> tuple[Path, Scenario]:
    """Write the counterexample into `save_dir`; returns its path and the scenario as loaded back."""
    scenario = counterexample(found, client, limits, seed)
    save_dir.mkdir(parents=True, exist_ok=True)
    path = save_dir / f"{scenario.name}.yaml"
    path.write_text(header(found, client, seed, runs, path) + dump_scenario(scenario), encoding="utf-8")
    return path, load_scenario(path)
