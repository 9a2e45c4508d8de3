"""The stack: one local Supabase-like project per source of the active project (1 to 8, in its priority
order; the built-in example's are PRIMARY, BOLT and OLD), each a PostgreSQL database loaded with the
project's migrations behind a PostgREST-style gateway, every link through Toxiproxy; started here, by
Docker Compose, or hosted elsewhere.

    from fallback import stack

    with stack.running_stack(stack.StackOptions(state_dir=Path(".stack"), base_port=25400)) as state:
        state.source("PRIMARY").api_url          # what a client connects to (through `PRIMARY.api`)
        state.project_schema()                   # the tables the migrations built (read after `stack up`)
        stack.reseed(state, stack.SPEC_SEED)     # truncate and seed every source by SQL
        stack.wait_until_healthy(state)          # after a fault: every gateway ready again

    async with stack.scratch_postgres() as dsn:  # a throwaway cluster, no stack (e.g. to build a schema)
        ...

Kinds, each with `start()` / `ready(state)` / `stop(state, purge)`: `EmbeddedStack` (servers started here,
see `embedded`), `ComposeStack` (`docker-compose.yml`, its own port block) and `ExternalStack` (hosted
projects, never seeded, written only when their config allows). `stack_for(state)` gives the kind that
a state file describes. Modules: `state` (the state file), `ports` (the layout), `postgres`,
`gateway_process`, `toxiproxy_server`, `process` and `wait` (children and readiness), `migrate` (a project's
migrations and seeds into a source, `locate`/`sqltext`/`extensions` for its errors), `load` (every source at
once, the schema files), `scratch` (a throwaway cluster), `seed`, `keys`, `compose_file` (the generated
compose files), `errors` (the error tree), `cli` (`fallback-harness stack up|status|down`).
"""

from fallback.stack.compose import ComposeOptions, ComposeStack
from fallback.stack.embedded import EmbeddedStack, StackOptions
from fallback.stack.errors import (
    ExtensionUnavailable,
    MigrationFailed,
    MissingBinary,
    PortInUse,
    StackError,
    StackNotRunning,
    StartFailed,
    StateDirInUse,
)
from fallback.stack.external import (
    ExternalConfig,
    ExternalConfigError,
    ExternalStack,
    WritesNotAllowed,
    ensure_writes_allowed,
    load_external_config,
    writes_allowed,
)
from fallback.stack.ports import PortLayout, check_base_port
from fallback.stack.scratch import scratch_postgres, scratch_postgres_sync
from fallback.stack.seed import SPEC_SEED, Seed, reseed
from fallback.stack.stack import (
    Stack,
    down,
    is_healthy,
    require_state,
    running_stack,
    stack_for,
    start,
    up,
    wait_until_healthy,
)
from fallback.stack.state import (
    DEFAULT_STATE_DIR,
    ProcessKind,
    ProcessRecord,
    SourceEndpoints,
    StackKind,
    StackState,
    load_state,
)
from fallback.stack.toxiproxy_server import ActiveFault, active_faults

__all__ = [
    "DEFAULT_STATE_DIR",
    "SPEC_SEED",
    "ActiveFault",
    "ComposeOptions",
    "ComposeStack",
    "EmbeddedStack",
    "ExtensionUnavailable",
    "ExternalConfig",
    "ExternalConfigError",
    "ExternalStack",
    "MigrationFailed",
    "MissingBinary",
    "PortInUse",
    "PortLayout",
    "ProcessKind",
    "ProcessRecord",
    "Seed",
    "SourceEndpoints",
    "Stack",
    "StackError",
    "StackKind",
    "StackNotRunning",
    "StackOptions",
    "StackState",
    "StartFailed",
    "StateDirInUse",
    "WritesNotAllowed",
    "active_faults",
    "check_base_port",
    "down",
    "ensure_writes_allowed",
    "is_healthy",
    "load_external_config",
    "load_state",
    "require_state",
    "reseed",
    "running_stack",
    "scratch_postgres",
    "scratch_postgres_sync",
    "stack_for",
    "start",
    "up",
    "wait_until_healthy",
    "writes_allowed",
]
