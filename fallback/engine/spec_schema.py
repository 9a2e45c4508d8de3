"""The spec's two tables as `fallback.project.introspect` reads them from the built-in example's
migration (`examples/triple-fallback/supabase/migrations/`): the schema a `WorkloadRunner` uses
when it is given none (in-memory tests and tools that drive the spec's app without a stack).

A run on a stack never uses this: the session introspects the first source. A test on the stack
(`tests/engine/test_rows_stack.py`) checks that this copy equals what introspection reads.
"""

from __future__ import annotations

from fallback.project import Column, ProjectSchema, TableSchema

__all__ = ["SPEC_SCHEMA"]


def _uuid(name: str, *, default: bool = False, unique: bool = False) -> Column:
    return Column(name=name, type="uuid", base_type="uuid", nullable=False, has_default=default, unique=unique)


def _text(name: str, *, nullable: bool = True, default: bool = False) -> Column:
    return Column(name=name, type="text", base_type="text", nullable=nullable, has_default=default)


def _stamp(name: str) -> Column:
    return Column(name=name, type="timestamp with time zone", base_type="timestamptz", nullable=False, has_default=True)


SPEC_SCHEMA = ProjectSchema(
    tables=(
        TableSchema(
            schema_name="public",
            name="profiles",
            columns=(
                _uuid("id", default=True, unique=True),
                _uuid("user_id"),
                _text("email", nullable=False),
                _text("full_name"),
                _text("role", nullable=False, default=True),
                _stamp("created_at"),
                _stamp("updated_at"),
            ),
            primary_key=("id",),
            rls=True,
            owner_column="user_id",
        ),
        TableSchema(
            schema_name="public",
            name="user_challenges",
            columns=(
                _uuid("id", default=True, unique=True),
                _uuid("user_id"),
                _text("email", nullable=False),
                Column(
                    name="account_size",
                    type="numeric(12,2)",
                    base_type="numeric",
                    nullable=False,
                    has_default=True,
                    numeric_precision=12,
                    numeric_scale=2,
                ),
                _text("challenge_type", nullable=False, default=True),
                _text("status", nullable=False, default=True),
                _text("mt5_login"),
                _text("mt5_password"),
                _text("mt5_server"),
                _stamp("created_at"),
                _stamp("updated_at"),
            ),
            primary_key=("id",),
            rls=True,
            owner_column="user_id",
        ),
    )
)
