"""One front for the three kinds of stack: start, wait until healthy, make fresh, stop.

Each kind is one object with the same `start()` / `ready(state)` / `stop(state, purge)`:
`EmbeddedStack` (servers started here), `ComposeStack` (Docker Compose) and `ExternalStack`
(hosted projects). The state file says which kind runs in a state dir, so `stack_for(state)`
finds the object that can check or stop it; the functions below work for every kind.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar, Protocol

from fallback.stack import process, wait
from fallback.stack.compose import ComposeOptions, ComposeStack
from fallback.stack.embedded import EmbeddedStack, StackOptions
from fallback.stack.errors import StackNotRunning, StateDirInUse
from fallback.stack.external import ExternalStack
from fallback.stack.load import plans_digest
from fallback.stack.migrate import plan_for
from fallback.stack.seed import Seed, reseed
from fallback.stack.state import DEFAULT_STATE_DIR, ProcessRecord, StackKind, StackState, load_state, state_path
from fallback.toxics import Toxiproxy

__all__ = [
    "DEFAULT_STATE_DIR",
    "RECOVERY_TIMEOUT_S",
    "Seed",
    "Stack",
    "StackOptions",
    "down",
    "is_healthy",
    "require_state",
    "reseed",
    "running_stack",
    "stack_for",
    "start",
    "up",
    "wait_until_healthy",
]

RECOVERY_TIMEOUT_S = 70.0
"""Long enough for a gateway's reconnect backoff (1 s doubling, capped at 32 s) to come round."""


class Stack(Protocol):
    """What every kind of stack offers."""

    kind: ClassVar[StackKind]
    state_dir: Path

    def start(self) -> StackState: ...

    def ready(self, state: StackState) -> bool: ...

    def stop(self, state: StackState, purge: bool = False) -> list[ProcessRecord]: ...


def stack_for(state: StackState) -> Stack:
    """The object that can check and stop the stack a state file describes."""
    state_dir = Path(state.state_dir)
    if state.kind is StackKind.compose:
        return ComposeStack(ComposeOptions(state_dir=state_dir))
    if state.kind is StackKind.external:
        return ExternalStack(state_dir)
    return EmbeddedStack(StackOptions(state_dir=state_dir))


def is_healthy(state: StackState) -> bool:
    """Embedded: every process alive and every gateway ready; compose: gateways ready; external: reachable."""
    return stack_for(state).ready(state)


def wait_until_healthy(state: StackState, timeout_s: float = RECOVERY_TIMEOUT_S) -> None:
    """Block until the stack is healthy again (after a fault on a `.db` link a gateway reconnects with backoff).

    Raises StackNotRunning after `timeout_s`, or at once when one of the stack's processes has died.
    """
    state = state.latest()
    kind = stack_for(state)
    wait.until(
        lambda: kind.ready(state),
        f"the {state.kind} stack in {state.state_dir}",
        state.processes,
        timeout_s=timeout_s,
        interval_s=0.1,
        error=StackNotRunning,
    )


def _what_runs(state: StackState) -> str | None:
    """What of the stack still runs, in words; None when nothing does (external projects are never ours)."""
    if state.kind is StackKind.embedded:
        alive = [p for p in state.processes if process.is_alive(p)]
        return f"{len(alive)} processes: " + ", ".join(f"{p.role} pid {p.pid}" for p in alive) if alive else None
    if state.kind is StackKind.compose and is_healthy(state):
        return "its containers answer"
    return None


def _refuse_another_running(state_dir: Path, kind: StackKind) -> None:
    """Never overwrite the state of a running stack of another kind: its processes would be orphaned."""
    existing = load_state(state_dir)
    running = _what_runs(existing) if existing is not None and existing.kind is not kind else None
    if existing is not None and running is not None:
        raise StateDirInUse(
            f"{state_dir} holds a running {existing.kind} stack ({running}): stop it first with "
            f"`fallback-harness stack down --state-dir {state_dir}`, or choose another --state-dir"
        )


def start(stack: Stack) -> StackState:
    """Start (or describe) a stack of any kind, refusing a state dir where another kind still runs."""
    _refuse_another_running(stack.state_dir, stack.kind)
    return stack.start()


def up(options: StackOptions) -> tuple[StackState, bool]:
    """An embedded stack, unless a healthy stack (of any kind) runs in the state dir; (state, started_here)."""
    state_dir = options.state_dir.resolve()
    options.layout()  # a bad base port fails before anything is looked at
    existing = load_state(state_dir)
    if existing is not None:
        if is_healthy(existing):
            if existing.kind is StackKind.embedded:
                _refuse_another_build(existing, options)
            if options.seed and existing.kind is not StackKind.external:
                reseed(existing, options.seed)
            return existing, False
        if existing.kind is StackKind.embedded:
            stack_for(existing).stop(existing)  # a crashed or half-stopped run: reap what is left of it
        state_path(state_dir).unlink(missing_ok=True)
    return start(EmbeddedStack(options)), True


def _refuse_another_build(existing: StackState, options: StackOptions) -> None:
    """A running embedded stack is reused only as asked: same schemas, same project, same SQL files."""
    stop = f"stop it first with `fallback-harness stack down --state-dir {existing.state_dir}`"
    asked = options.schemas
    if asked is not None and existing.schemas != asked:
        raise StateDirInUse(
            f"{existing.state_dir} holds a running stack exposing {', '.join(existing.schemas)}, not "
            f"{', '.join(asked)}: {stop}"
        )
    project = options.the_project
    running = tuple(s.name for s in existing.sources)
    if running != project.source_names or existing.project_root not in ("", str(project.root)):
        raise StateDirInUse(
            f"{existing.state_dir} holds a running stack of project {existing.project_name or '?'} "
            f"({existing.project_root or 'before projects'}; sources {', '.join(running)}), not of "
            f"{project.name} ({project.root}; sources {', '.join(project.source_names)}): {stop}"
        )
    plans = {name: plan_for(project, name) for name in project.source_names}
    if existing.migrations_digest and existing.migrations_digest != plans_digest(plans):
        raise StateDirInUse(
            f"{existing.state_dir} holds a running stack of {project.name} built from other migrations or seeds "
            f"than the project's files now: {stop}, then start it again"
        )


def down(state_dir: Path, purge: bool = False) -> list[ProcessRecord]:
    """Stop the stack in `state_dir` (any kind); returns the processes that were still running."""
    state_dir = state_dir.resolve()
    state = load_state(state_dir)
    if state is not None:
        if state.toxiproxy_url:  # faults are undone first: nothing left read-only, locked, held or paused
            # Imported here: `fallback.faults` sits above the stack (its process faults restart the stack's
            # servers), so the stack must not import it while it is itself being imported.
            from fallback.faults import Controls, reset_all

            with contextlib.suppress(Exception), Toxiproxy(state.toxiproxy_url) as toxiproxy:
                reset_all(Controls.of_stack(toxiproxy, state))
        return stack_for(state).stop(state, purge)
    if purge:
        shutil.rmtree(state_dir, ignore_errors=True)
    return []


def require_state(state_dir: Path) -> StackState:
    state = load_state(state_dir.resolve())
    if state is None or not is_healthy(state):
        raise StackNotRunning(f"no healthy stack in {state_dir}: start one with `fallback-harness stack up`")
    return state


@contextmanager
def running_stack(options: StackOptions) -> Iterator[StackState]:
    """A running stack for the duration of the block; stopped at the end only if started here."""
    state, started_here = up(options)
    try:
        yield state
    finally:
        if started_here:
            with _interrupts_held(options.state_dir):
                down(options.state_dir)


@contextmanager
def _interrupts_held(state_dir: Path) -> Iterator[None]:
    """Stop the stack whole: a Ctrl-C meanwhile (often the second of two) is held back, then raised.

    Python's default handler would raise KeyboardInterrupt between two processes' stops and leave the
    rest running with no word. Signal handlers can only be set in the main thread; elsewhere, unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, _frame: object) -> None:
        held.append(signum)
        print(
            f"still stopping the stack; if you stop this process now, run: "
            f"fallback-harness stack down --state-dir {state_dir}",
            file=sys.stderr,
        )

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt
