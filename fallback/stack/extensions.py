"""Extensions a migration asks for that this machine cannot provide: which one, and what to install.

PostgreSQL 15 from Debian ships the contrib extensions (pgcrypto, uuid-ossp, citext, pg_trgm, hstore,
ltree, ...) in `postgresql-15` itself; others come as `postgresql-15-*` packages (PostGIS is
`postgresql-15-postgis-3`, which `make setup` installs). Several that Supabase offers are built by
Supabase only and have no Debian package for PostgreSQL 15: for those the message says so.
"""

from __future__ import annotations

import re

__all__ = ["install_hint", "missing_extension"]

PG_MAJOR = "15"

DEBIAN_PACKAGES: dict[str, str] = {
    **dict.fromkeys(
        (
            "postgis",
            "postgis_raster",
            "postgis_topology",
            "postgis_sfcgal",
            "postgis_tiger_geocoder",
            "address_standardizer",
            "address_standardizer_data_us",
        ),
        f"postgresql-{PG_MAJOR}-postgis-3",
    ),
    "pgrouting": f"postgresql-{PG_MAJOR}-pgrouting",
    "pg_cron": f"postgresql-{PG_MAJOR}-cron",
    "pg_partman": f"postgresql-{PG_MAJOR}-partman",
    "hypopg": f"postgresql-{PG_MAJOR}-hypopg",
    "plpgsql_check": f"postgresql-{PG_MAJOR}-plpgsql-check",
    "pgtap": f"postgresql-{PG_MAJOR}-pgtap",
    "pgaudit": f"postgresql-{PG_MAJOR}-pgaudit",
    "pg_repack": f"postgresql-{PG_MAJOR}-repack",
    "rum": f"postgresql-{PG_MAJOR}-rum",
    "orafce": f"postgresql-{PG_MAJOR}-orafce",
    "ip4r": f"postgresql-{PG_MAJOR}-ip4r",
    "semver": f"postgresql-{PG_MAJOR}-semver",
    "hll": f"postgresql-{PG_MAJOR}-hll",
    "tdigest": f"postgresql-{PG_MAJOR}-tdigest",
    "periods": f"postgresql-{PG_MAJOR}-periods",
    "pg_stat_kcache": f"postgresql-{PG_MAJOR}-pg-stat-kcache",
    "pg_qualstats": f"postgresql-{PG_MAJOR}-pg-qualstats",
    "pg_wait_sampling": f"postgresql-{PG_MAJOR}-pg-wait-sampling",
}
"""Extension name -> the Debian 12 (bookworm) package that provides it for PostgreSQL 15."""

SUPABASE_ONLY = frozenset(
    {
        "vector",
        "pg_graphql",
        "pg_net",
        "pgsodium",
        "supabase_vault",
        "pgjwt",
        "pg_jsonschema",
        "pg_hashids",
        "wrappers",
        "index_advisor",
        "pg_stat_monitor",
        "plv8",
        "http",
        "timescaledb",
        "pgroonga",
        "pgmq",
        "pg_tle",
    }
)
"""Extensions a Supabase project may enable that Debian 12 does not package for PostgreSQL 15."""

_CONTROL_FILE = re.compile(r'extension control file "[^"]*/([^/"]+)\.control"')
_NOT_AVAILABLE = re.compile(r'extension "([^"]+)" is not available')


def missing_extension(sqlstate: str | None, message: str) -> str | None:
    """The extension PostgreSQL's error says is not installed here (None for any other error).

    PostgreSQL 15 says `could not open extension control file ".../name.control"` (58P01); 16 and
    later say `extension "name" is not available` (0A000)."""
    if sqlstate not in ("58P01", "0A000"):
        return None
    match = _CONTROL_FILE.search(message) or _NOT_AVAILABLE.search(message)
    return match.group(1) if match else None


def install_hint(name: str) -> str:
    """What to do about an extension this machine lacks."""
    package = DEBIAN_PACKAGES.get(name)
    if package is not None:
        return (
            f"extension {name!r} comes with Debian's {package}: install it with "
            f"`apt-get install -y {package}`, then run `stack up` again"
        )
    if name in SUPABASE_ONLY:
        return (
            f"extension {name!r} is built by Supabase and has no Debian package for PostgreSQL {PG_MAJOR}: "
            f"build it from source into this machine's PostgreSQL {PG_MAJOR} (`pg_config --sharedir`/extension), "
            "or leave it out of the migrations the harness loads"
        )
    return (
        f"extension {name!r} is not installed for PostgreSQL {PG_MAJOR} here: look for its package with "
        f"`apt-cache search postgresql-{PG_MAJOR}` (Debian names them postgresql-{PG_MAJOR}-<name>)"
    )
