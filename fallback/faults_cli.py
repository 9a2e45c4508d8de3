"""`fallback-harness fault TARGET KIND [VALUE]`: inject or clear a fault on the running stack by hand,
through the same `Fault` record scenario files use (so a fault typed live behaves like one in a file).

What KIND accepts comes from the fault registry (`fallback.faults`): a bare VALUE sets its main
attribute. `up` undoes `down`; `clear` undoes every fault on TARGET (`all clear`: on every target).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from fallback.cli_common import StateDir, console
from fallback.faults import (
    FAULT_KINDS,
    KINDS,
    Controls,
    Fault,
    FaultConflict,
    FaultError,
    Value,
    appliers,
    fault_kind,
    reset_all,
)
from fallback.names import unknown
from fallback.scenario.limits import MAX_ATTRIBUTE
from fallback.stack.stack import DEFAULT_STATE_DIR
from fallback.stack.state import StackState, load_state
from fallback.toxics import Stream, Toxiproxy, ToxiproxyError

VERBS = ("up", "clear")
_VALUES = ", ".join(f"{k.name} {k.main} ({a.unit})" for k in KINDS.values() if (a := k.main_attribute) is not None)


def fault(
    target: Annotated[
        str,
        typer.Argument(
            help="A link (PRIMARY.api, BOLT.db), a process (PRIMARY.postgres), a source (PRIMARY, database kinds); "
            "`all` with `clear`."
        ),
    ],
    kind: Annotated[str, typer.Argument(help=f"{' | '.join(FAULT_KINDS)} | {' | '.join(VERBS)}")],
    value: Annotated[float | None, typer.Argument(help=f"The kind's main attribute: {_VALUES}.")] = None,
    stream: Annotated[str, typer.Option(help="upstream or downstream")] = "downstream",
    toxicity: Annotated[float, typer.Option(help="probability per connection, 0..1")] = 1.0,
    jitter: Annotated[int, typer.Option(help="latency jitter in ms")] = 0,
    attribute: Annotated[
        list[str] | None,
        typer.Option("--set", help="another attribute of the kind, NAME=VALUE (repeatable), e.g. --set share=0.3"),
    ] = None,
    state_dir: StateDir = DEFAULT_STATE_DIR,
) -> None:
    """Inject or clear a fault on the running stack, e.g. `fault PRIMARY.api down`, `fault BOLT.api latency 300`."""
    state = _require_stack(state_dir)
    again = "" if state_dir == DEFAULT_STATE_DIR else f" --state-dir {state_dir}"
    with Toxiproxy(state.toxiproxy_url) as toxiproxy:
        controls = Controls.of_stack(toxiproxy, state)
        try:
            console.print(escape(play(controls, target, kind, value, stream, toxicity, jitter, tuple(attribute or ()))))
            _restarts_done(controls, target)
        except FaultConflict as exc:
            hint = escape(f"clear it first with `fallback-harness fault {target} clear{again}`")
            console.print(f"[red]{escape(str(exc))}[/red]: {hint}")
            raise typer.Exit(2) from exc
        except (ValueError, FaultError) as exc:
            console.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(2) from exc
        except ToxiproxyError as exc:
            console.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(1) from exc


def play(
    controls: Controls,
    target: str,
    kind: str,
    value: float | None = None,
    stream: str = "downstream",
    toxicity: float = 1.0,
    jitter: int = 0,
    settings: tuple[str, ...] = (),
) -> str:
    """Do what `fault TARGET KIND [VALUE]` says; returns the line to print. Bad input: ValueError, in our words."""
    known = tuple(t for applier in appliers() for t in applier.known_targets(controls))
    if kind == "clear" and target == "all":
        reset_all(controls)
        return "cleared all"
    if target not in known:
        problem = unknown("target", target, known)
        raise ValueError(f"{problem}; `all` goes with `clear` only" if target == "all" else problem)
    if kind == "clear":
        for applier in appliers():
            if target in applier.known_targets(controls):  # a link is Toxiproxy's, a process the process faults'
                applier.clear_target(target, controls)
        return f"cleared {target}"
    if kind == "up":
        Fault(target, "down").clear(controls)
        return f"{target} up"
    chosen = parse_fault(target, kind, value, stream, toxicity, jitter, settings)
    chosen.apply(controls)
    return f"{target}: {kind} {chosen.resolved_attributes or ''}".rstrip()


def parse_fault(
    target: str,
    kind: str,
    value: float | None,
    stream: str = "downstream",
    toxicity: float = 1.0,
    jitter: int = 0,
    settings: tuple[str, ...] = (),
) -> Fault:
    """The `Fault` the command line describes; a ValueError says what is wrong or missing."""
    if kind not in FAULT_KINDS:
        raise ValueError(unknown("fault", kind, (*FAULT_KINDS, *VERBS)))
    spec = fault_kind(kind)
    main = spec.main_attribute
    attributes: dict[str, Value] = dict(_setting(text) for text in settings)
    if value is not None:
        if main is None:
            raise ValueError(f"`{kind}` takes no value")
        if value > MAX_ATTRIBUTE:  # as in a scenario file; Toxiproxy would answer a raw 400
            raise ValueError(f"{main.name} is at most {MAX_ATTRIBUTE} {main.unit}, got {value:g}")
        attributes[main.name] = value
    elif main is not None and main.required:
        raise ValueError(
            f"{kind} needs a value: its {main.name} in {main.unit}, e.g. `fallback-harness fault {target} {kind} 300`"
        )
    if jitter:
        if "jitter" not in spec.attribute_names:
            raise ValueError(f"--jitter applies to latency, not to {kind}")
        attributes["jitter"] = jitter
    if stream not in ("upstream", "downstream"):
        raise ValueError(f"--stream is upstream or downstream, got {stream!r}")
    for option, given in (("stream", stream != "downstream"), ("toxicity", toxicity != 1.0)):
        problem = spec.applier.envelope_error(kind, option)
        if given and problem is not None:
            raise ValueError(problem.replace(f"`{option}`", f"--{option}"))
    chosen_stream: Stream = "upstream" if stream == "upstream" else "downstream"
    return Fault(target, kind, attributes, chosen_stream, toxicity)


def _setting(text: str) -> tuple[str, Value]:
    """`share=0.3` -> ("share", 0.3); a text value (`by=cloudflare`) stays text. The kind checks both."""
    name, equals, raw = text.partition("=")
    if not equals or not name:
        raise ValueError(f"--set {text!r}: write NAME=VALUE, e.g. --set share=0.3")
    try:
        number = float(raw)
    except ValueError:
        return name, raw
    if number > MAX_ATTRIBUTE:
        raise ValueError(f"--set {text!r}: {name} is at most {MAX_ATTRIBUTE}")
    return name, int(number) if number.is_integer() and "." not in raw else number


def _restarts_done(controls: Controls, target: str) -> None:
    """A `kill` restarts its process after `restart_after` s: wait for it here (a Ctrl-C restarts it at once)."""
    if not controls.outages.pending():
        return
    console.print(f"waiting for {escape(target)} to be restarted (Ctrl-C: restart it now)")
    try:
        controls.outages.wait()
    except KeyboardInterrupt:
        for applier in appliers():
            if target in applier.known_targets(controls):
                applier.clear_target(target, controls)
        raise typer.Exit(130) from None
    console.print(f"{escape(target)} restarted")


def _require_stack(state_dir: Path) -> StackState:
    """The stack's state; a fault may well have made it unhealthy, so health is not required."""
    state = load_state(state_dir.resolve())
    if state is None:
        console.print(f"[red]no stack in {state_dir}[/red]: start one with `fallback-harness stack up`")
        raise typer.Exit(1)
    return state
