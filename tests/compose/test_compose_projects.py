"""Compose files generated for a project's sources (1 and 5 here): services, ports, proxies, mounts, env, state.

No Docker engine runs here: the generated files are read back and checked, and `ComposeStack.start` is run
with `run_docker=False` against nothing (it must write the files and the env, then report nothing answers).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from fallback.project import Project, SourceSpec, activate
from fallback.stack import compose, compose_file
from fallback.stack.errors import StackNotRunning
from fallback.stack.ports import COMPOSE_BASE_PORT, PortLayout, port_is_free

FIVE = ("PRIMARY", "REPLICA_EU", "REPLICA_US", "ARCHIVE", "LEGACY")


def _project(root: Path, names: tuple[str, ...]) -> Project:
    migrations = root / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    for name in ("20240101000000_a.sql", "20240102000000_b.sql"):
        (migrations / name).write_text("select 1;\n")
    (root / "supabase" / "seed.sql").write_text("select 2;\n")
    (root / "legacy").mkdir()
    (root / "legacy" / "20230101000000_old.sql").write_text("select 3;\n")
    sources = [SourceSpec(name=n) for n in names[:-1]]
    sources.append(
        SourceSpec(name=names[-1], migrations=(root / "legacy",)) if len(names) > 1 else SourceSpec(names[-1])
    )
    return Project(
        root=root,
        name=root.name,
        sources=tuple(sources),
        migrations=tuple(sorted(migrations.glob("*.sql"))),
        seed=root / "supabase" / "seed.sql",
        schemas=("public", "app"),
    )


def _generated(project: Project, directory: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    compose_path, toxiproxy_path = compose_file.write_compose_files(project, directory)
    return yaml.safe_load(compose_path.read_text()), json.loads(toxiproxy_path.read_text())


@pytest.mark.parametrize("names", [("SOLO",), FIVE], ids=["1 source", "5 sources"])
def test_the_generated_files_follow_the_project_sources(names: tuple[str, ...], tmp_path: Path) -> None:
    project = _project(tmp_path / "app", names)
    data, proxies = _generated(project, tmp_path / "state")
    services = data["services"]
    slugs = [n.lower().replace("_", "-") for n in names]
    assert set(services) == {f"{kind}-{s}" for s in slugs for kind in ("db", "rest", "kong")} | {"toxiproxy"}
    assert set(data["volumes"]) == {f"db-{s}-data" for s in slugs}
    layout = PortLayout(COMPOSE_BASE_PORT, len(names))
    for index, (name, slug) in enumerate(zip(names, slugs, strict=True)):
        ports = layout.source(index)
        assert services[f"db-{slug}"]["ports"] == [f"127.0.0.1:{ports.postgres}:5432"]
        assert services[f"kong-{slug}"]["ports"] == [f"127.0.0.1:{ports.gateway}:8000"]
        rest = services[f"rest-{slug}"]["environment"]
        assert rest["PGRST_DB_URI"].endswith(f"@toxiproxy:{ports.db_proxy}/postgres")
        assert rest["PGRST_DB_SCHEMAS"] == "public,app"
        assert rest["PGRST_JWT_SECRET"] == f"${{{name}_JWT_SECRET}}"
    assert [p["name"] for p in proxies] == [f"{n}.{link}" for n in names for link in ("api", "db")]
    published = {int(entry.split(":")[1]) for entry in services["toxiproxy"]["ports"]}
    assert published == {layout.toxiproxy_api} | {int(p["listen"].rsplit(":", 1)[1]) for p in proxies}
    text = (tmp_path / "state" / "docker-compose.yml").read_text()
    assert set(re.findall(r"\$\{([A-Z_]+)", text)) == {v for n in names for v in compose.env_names(n)}


def test_each_source_mounts_its_own_plan_after_the_harness_sql(tmp_path: Path) -> None:
    project = _project(tmp_path / "app", FIVE)
    directory = tmp_path / "state"
    data, _ = _generated(project, directory)

    def mounted(slug: str) -> list[str]:
        volumes = data["services"][f"db-{slug}"]["volumes"]
        found = [v.split(":") for v in volumes if ":/docker-entrypoint-initdb.d/migrations/" in v]
        for host, _, _ in found:
            assert (directory / host).resolve().is_file(), host
        assert [target for _, target, _ in found] == sorted(target for _, target, _ in found), "init runs them sorted"
        return [Path(host).name for host, _, _ in found]

    harness = ["00_roles.sql", "01_auth.sql", "02_supabase_defaults.sql", "03_schema_watch.sql"]
    shared = ["20240101000000_a.sql", "20240102000000_b.sql"]
    assert mounted("primary") == [*harness, *shared, "seed.sql"]
    assert mounted("legacy") == [*harness, *shared, "20230101000000_old.sql", "seed.sql"]


def test_start_without_docker_writes_the_project_files_and_env_then_waits(tmp_path: Path) -> None:
    layout = PortLayout(COMPOSE_BASE_PORT, len(FIVE))
    if not all(port_is_free(port) for port in layout.all_ports()):
        pytest.skip(f"a compose stack is running on its block ({layout.base}..{layout.toxiproxy_api})")
    project = _project(tmp_path / "app", FIVE)
    state_dir = tmp_path / "state"
    with activate(project), pytest.raises(StackNotRunning):
        compose.ComposeStack(compose.ComposeOptions(state_dir=state_dir, run_docker=False, timeout_s=0.3)).start()
    env = compose.read_env(state_dir / "compose.env")
    assert set(env) == {v for n in FIVE for v in compose.env_names(n)}
    assert (state_dir / "docker-compose.yml").is_file() and (state_dir / "toxiproxy.json").is_file()
    state = compose.compose_state(env, state_dir, project)
    assert [s.name for s in state.sources] == list(FIVE)
    assert [s.api_url for s in state.sources] == [f"http://127.0.0.1:{layout.source(i).api_proxy}" for i in range(5)]
    assert (state.project_name, state.schemas) == ("app", ("public", "app"))
    assert len({s.jwt_secret for s in state.sources}) == 5
