"""The schema a run works with: the project's tables, keys and columns, read from the stack itself.

In order: the schema the stack saved at `stack up` (`StackState.project_schema()`), else
`fallback.project.introspect` on the first source's database (the exposed schemas of the stack), else,
for an external project given without database access, the built-in app's (`fallback.engine.spec_schema`:
its history checks are meaningless there anyway, see the README).
"""

from __future__ import annotations

from fallback.engine.spec_schema import SPEC_SCHEMA
from fallback.project import ProjectSchema
from fallback.project.introspect import introspect
from fallback.stack.errors import StackNotRunning
from fallback.stack.state import StackState

__all__ = ["run_schema", "written_tables"]


async def run_schema(state: StackState) -> ProjectSchema:
    try:
        return state.project_schema()
    except StackNotRunning:  # compose and external stacks (and older state files) saved none
        pass
    first = state.sources[0] if state.sources else None
    if first is None or not first.db_dsn:
        return SPEC_SCHEMA
    return await introspect(first.db_dsn, state.schemas)


def written_tables(schema: ProjectSchema) -> ProjectSchema:
    """The tables a workload may write and the checker reads: those with a primary key."""
    return schema.model_copy(update={"tables": tuple(t for t in schema.tables if t.primary_key)})
