"""`fallback-harness fault TARGET KIND [VALUE]`: inject or clear a fault on the running stack by hand,
through the same `Fault` record scenario files use (so a fault typed live behaves like one in a file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fallback.cli_common import StateDir, console
from fallback.stack.stack import DEFAULT_STATE_DIR
from fallback.stack.state import StackState, load_state
from fallback.toxics import FAULT_KINDS, MAIN_ATTRIBUTE, Fault, Toxiproxy, ToxiproxyError


def fault(
    target: Annotated[str, typer.Argument(help="A link such as PRIMARY.api or BOLT.db; `all` with `clear`.")],
    kind: Annotated[str, typer.Argument(help=f"{' | '.join(FAULT_KINDS)} | up | clear")],
    value: Annotated[float | None, typer.Argument(help="The toxic's main attribute (ms, KB/s, bytes).")] = None,
    stream: Annotated[str, typer.Option(help="upstream or downstream")] = "downstream",
    toxicity: Annotated[float, typer.Option(help="probability per connection, 0..1")] = 1.0,
    jitter: Annotated[int, typer.Option(help="latency jitter in ms")] = 0,
    state_dir: StateDir = DEFAULT_STATE_DIR,
) -> None:
    """Inject or clear a fault on the running stack, e.g. `fault PRIMARY.api down`, `fault BOLT.api latency 300`."""
    state = _require_stack(state_dir)
    with Toxiproxy(state.toxiproxy_url) as toxiproxy:
        proxies = toxiproxy.proxies()
        if target != "all" and target not in proxies:
            console.print(f"[red]unknown link {target!r}[/red] (known: {', '.join(sorted(proxies))})")
            raise typer.Exit(2)
        if kind == "clear":
            for name in proxies if target == "all" else [target]:
                toxiproxy.up(name)
                for toxic in toxiproxy.toxics(name):
                    toxiproxy.remove(name, str(toxic["name"]))
            console.print(f"cleared {target}")
            return
        if kind == "up":
            toxiproxy.up(target)
            console.print(f"{target} up")
            return
        attributes: dict[str, int | float] = {}
        if value is not None and kind in MAIN_ATTRIBUTE:
            attributes[MAIN_ATTRIBUTE[kind]] = int(value)
        if kind == "latency":
            attributes["jitter"] = jitter
        try:
            chosen = Fault(target, kind, attributes, "upstream" if stream == "upstream" else "downstream", toxicity)
            chosen.apply(toxiproxy)
        except (ValueError, ToxiproxyError) as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        console.print(f"{target}: {kind} {dict(chosen.toxic().attributes) if kind != 'down' else ''}".rstrip())


def _require_stack(state_dir: Path) -> StackState:
    """The stack's state; a fault may well have made it unhealthy, so health is not required."""
    state = load_state(state_dir.resolve())
    if state is None:
        console.print(f"[red]no stack in {state_dir}[/red]: start one with `fallback-harness stack up`")
        raise typer.Exit(1)
    return state
