"""External projects follow the project's sources: each read from its own environment variables by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from fallback.project import Project, SourceSpec
from fallback.stack.external import ExternalConfig, ExternalConfigError, external_state

FIVE = ("PRIMARY", "REPLICA_EU", "REPLICA_US", "ARCHIVE", "LEGACY")


def _project(tmp_path: Path, names: tuple[str, ...]) -> Project:
    return Project(root=tmp_path, name="five", sources=tuple(SourceSpec(name=n) for n in names), migrations=())


def _env(names: tuple[str, ...]) -> dict[str, str]:
    env = {f"{n}_URL": f"https://{n.lower()}.example.supabase.co/" for n in names}
    env |= {f"{n}_ANON_KEY": f"anon-{n}" for n in names}
    env["LEGACY_SERVICE_ROLE_KEY"] = "svc-legacy"
    env["LEGACY_DB_URL"] = "postgresql://legacy/db"
    return env


def test_without_sources_every_project_source_is_read_from_its_own_variables(tmp_path: Path) -> None:
    state = external_state(ExternalConfig(), tmp_path / "state", env=_env(FIVE), project=_project(tmp_path, FIVE))
    assert [s.name for s in state.sources] == list(FIVE)
    eu = state.source("REPLICA_EU")
    assert (eu.api_url, eu.anon_key, eu.service_role_key, eu.db_dsn) == (
        "https://replica_eu.example.supabase.co",
        "anon-REPLICA_EU",
        "anon-REPLICA_EU",  # no service key set: the anon key, as before
        "",
    )
    legacy = state.source("LEGACY")
    assert (legacy.service_role_key, legacy.db_dsn) == ("svc-legacy", "postgresql://legacy/db")
    assert (state.project_name, state.project_root) == ("five", str(tmp_path))


def test_a_missing_variable_is_named_with_the_source(tmp_path: Path) -> None:
    env = _env(FIVE)
    del env["REPLICA_US_ANON_KEY"]
    with pytest.raises(ExternalConfigError, match=r"source REPLICA_US: no anon_key: .* or set REPLICA_US_ANON_KEY"):
        external_state(ExternalConfig(), tmp_path / "state", env=env, project=_project(tmp_path, FIVE))


def test_listed_sources_must_be_the_projects_in_order(tmp_path: Path) -> None:
    config = ExternalConfig.model_validate({"sources": [{"name": "PRIMARY"}, {"name": "LEGACY"}]})
    with pytest.raises(ExternalConfigError, match="the config's sources are PRIMARY, LEGACY; project five's are"):
        external_state(config, tmp_path / "state", env=_env(FIVE), project=_project(tmp_path, FIVE))
    two = _project(tmp_path, ("PRIMARY", "LEGACY"))
    state = external_state(config, tmp_path / "state", env=_env(FIVE), project=two)
    assert [s.api_url for s in state.sources] == [
        "https://primary.example.supabase.co",
        "https://legacy.example.supabase.co",
    ]
