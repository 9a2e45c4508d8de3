"""`slow_queries`: every API statement waits N ms inside PostgreSQL, so statement timeouts fire as they would.

PostgreSQL runs no code per statement for a role setting, and has no SELECT trigger, so the delay rides
on row-level security, which every API statement on an RLS table goes through:

- a RESTRICTIVE policy `USING ((SELECT fallback_faults.delay()))` on every RLS-enabled table of `public`
  (for every command). The sub-select makes it an InitPlan: the planner turns it into a one-time filter
  evaluated once when the statement starts, also when it finds no row. `delay()` sleeps only for the API
  roles, and once per client statement (`statement_timestamp()` kept in a transaction-local setting), so
  a query that reads the table twice (`count=exact`) still waits N ms, not 2N.
- `service_role` has BYPASSRLS (Supabase's default): for the window it gets NOBYPASSRLS plus a permissive
  `USING (true)` policy of its own, so it still sees and writes every row, and now waits too.

The sleep runs inside the statement, so the gateway's `statement_timeout` cancels it (57014) exactly as
it cancels a slow query. Limits: tables without RLS, functions called over RPC and the superuser are
not delayed; the gateway's per-request `set_config` statement is not delayed (it touches no table).
Clear: the policies and the function dropped, BYPASSRLS given back (CREATE/DROP POLICY invalidates
the gateway's cached plans, so no session needs terminating).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fallback.faults._database import DatabaseFamily, sql
from fallback.faults._registry import Controls

if TYPE_CHECKING:
    from fallback.faults._fault import Fault

SCHEMA = "fallback_faults"
POLICY = "fallback_faults_slow"
SERVICE_POLICY = "fallback_faults_slow_service_role"
_TABLES = (
    "SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}') FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
    "AND c.relrowsecurity"
)
_ON = f"SELECT count(*) FROM pg_policies WHERE policyname = '{POLICY}'"
_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.delay() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF current_user IN ('anon', 'authenticated', 'service_role', 'authenticator')
     AND current_setting('{schema}.delayed_at', true) IS DISTINCT FROM statement_timestamp()::text THEN
    PERFORM set_config('{schema}.delayed_at', statement_timestamp()::text, true);
    PERFORM pg_sleep({seconds});
  END IF;
  RETURN true;
END
$$"""


def _tables(dsn: str) -> list[str]:
    (tables,) = sql(dsn, _TABLES)
    return [str(t) for t in tables] if isinstance(tables, list) else []


class SlowQueries(DatabaseFamily):
    """Every API statement on an RLS table waits `delay` ms inside PostgreSQL (see the module docstring)."""

    def apply(self, fault: Fault, controls: Controls) -> None:
        dsn = controls.database(fault.target)
        seconds = float(fault.resolved_attributes["delay"]) / 1000
        remove_delay(dsn)  # one delay at a time: the new value replaces an older one
        statements = [
            f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
            f"GRANT USAGE ON SCHEMA {SCHEMA} TO anon, authenticated, service_role",
            _FUNCTION.format(schema=SCHEMA, seconds=seconds),
            f"GRANT EXECUTE ON FUNCTION {SCHEMA}.delay() TO anon, authenticated, service_role",
            "ALTER ROLE service_role NOBYPASSRLS",
        ]
        for table in _tables(dsn):
            statements += [
                f"CREATE POLICY {SERVICE_POLICY} ON public.{table} AS PERMISSIVE FOR ALL TO service_role "
                "USING (true) WITH CHECK (true)",
                f"CREATE POLICY {POLICY} ON public.{table} AS RESTRICTIVE FOR ALL TO PUBLIC "
                f"USING ((SELECT {SCHEMA}.delay())) WITH CHECK ((SELECT {SCHEMA}.delay()))",
            ]
        sql(dsn, "BEGIN", *statements, "COMMIT")

    def clear(self, fault: Fault, controls: Controls) -> None:
        remove_delay(controls.database(fault.target))


def remove_delay(dsn: str) -> None:
    """Undo `SlowQueries` when it is on (BYPASSRLS given back to service_role); nothing when it is not."""
    (on,) = sql(dsn, _ON)
    if not int(str(on)):
        return
    statements = ["ALTER ROLE service_role BYPASSRLS"]
    for table in _tables(dsn):
        statements += [
            f"DROP POLICY IF EXISTS {POLICY} ON public.{table}",
            f"DROP POLICY IF EXISTS {SERVICE_POLICY} ON public.{table}",
        ]
    sql(dsn, "BEGIN", *statements, f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE", "COMMIT")
