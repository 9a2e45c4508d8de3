"""docker-compose.yml is well-formed and consistent with the embedded stack (no Docker engine runs here).

Checked: service names, published ports against `PortLayout(COMPOSE_BASE_PORT)` (its own block, 25600),
listen ports and upstreams, PostgREST reaching its database through `<SOURCE>.db`, every schema
file of `fallback/stack/sql/` mounted (and every mounted file existing), pinned image tags, the
variables the file needs being the ones `write_env` generates, and Kong's config.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml

from fallback.names import source_names
from fallback.project.builtin import builtin_project
from fallback.stack import compose, compose_file
from fallback.stack.errors import StackNotRunning
from fallback.stack.ports import DEFAULT_BASE_PORT, PortLayout, port_is_free
from fallback.stack.postgres import schema_files

REPO = Path(__file__).resolve().parents[2]
SOURCE_NAMES = source_names()  # the built-in example's: these tests run on it
LAYOUT = PortLayout(compose.COMPOSE_BASE_PORT, len(SOURCE_NAMES))


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    data = yaml.safe_load(compose.COMPOSE_FILE.read_text())
    assert set(data) >= {"services", "volumes", "name"}
    result: dict[str, Any] = data["services"]
    return result


def published(service: dict[str, Any]) -> dict[int, int]:
    """host port -> container port."""
    found = {}
    for entry in service.get("ports", []):
        parts = str(entry).split(":")
        found[int(parts[-2])] = int(parts[-1])
    return found


def test_service_names(services: dict[str, Any]) -> None:
    expected = {f"{kind}-{s.lower()}" for s in SOURCE_NAMES for kind in ("db", "rest", "kong")} | {"toxiproxy"}
    assert set(services) == expected


def test_published_ports_follow_the_embedded_layout(services: dict[str, Any]) -> None:
    for index, name in enumerate(SOURCE_NAMES):
        ports = LAYOUT.source(index)
        assert published(services[f"db-{name.lower()}"]) == {ports.postgres: 5432}
        assert published(services[f"kong-{name.lower()}"]) == {ports.gateway: 8000}
        assert not published(services[f"rest-{name.lower()}"]), "PostgREST is reached through Kong only"
    links = [(LAYOUT.source(i).api_proxy, LAYOUT.source(i).db_proxy) for i in range(len(SOURCE_NAMES))]
    proxy_ports = {port: port for pair in links for port in pair}
    assert published(services["toxiproxy"]) == {LAYOUT.toxiproxy_api: 8474, **proxy_ports}
    for service in services.values():
        for entry in service.get("ports", []):
            assert str(entry).startswith("127.0.0.1:"), "published on loopback only, like the embedded stack"


def test_toxiproxy_proxies_match_the_embedded_stack(services: dict[str, Any]) -> None:
    assert "-config=/config/toxiproxy.json" in services["toxiproxy"]["command"]
    assert "./docker/toxiproxy.json:/config/toxiproxy.json:ro" in services["toxiproxy"]["volumes"]
    proxies = {p["name"]: p for p in json.loads((REPO / "docker" / "toxiproxy.json").read_text())}
    assert set(proxies) == {f"{s}.{link}" for s in SOURCE_NAMES for link in ("api", "db")}
    for index, name in enumerate(SOURCE_NAMES):
        ports = LAYOUT.source(index)
        api, db = proxies[f"{name}.api"], proxies[f"{name}.db"]
        assert (api["listen"], api["upstream"]) == (f"0.0.0.0:{ports.api_proxy}", f"kong-{name.lower()}:8000")
        assert (db["listen"], db["upstream"]) == (f"0.0.0.0:{ports.db_proxy}", f"db-{name.lower()}:5432")
        assert api["enabled"] and db["enabled"]
        uri = services[f"rest-{name.lower()}"]["environment"]["PGRST_DB_URI"]
        assert uri.endswith(f"@toxiproxy:{ports.db_proxy}/postgres"), "PostgREST must reach its database via .db"


def test_every_schema_file_is_mounted_and_every_mount_exists(services: dict[str, Any]) -> None:
    sql = [p.name for p in schema_files()]
    assert set(sql) == {p.name for p in (REPO / "fallback" / "stack" / "sql").glob("*.sql")}
    migrations = [p.name for p in builtin_project().migrations]
    assert migrations, "the built-in project's migrations (the spec's tables)"
    for name in SOURCE_NAMES:
        volumes = services[f"db-{name.lower()}"]["volumes"]
        mounted = [
            v.split(":") for v in volumes if v.split(":")[1].startswith("/docker-entrypoint-initdb.d/migrations/")
        ]
        assert [Path(host).name for host, _, _ in mounted] == sql + migrations, "harness SQL, then the migrations"
        targets = [target for _, target, _ in mounted]
        assert targets == sorted(targets), "mounted in the order the embedded stack applies them"
    for service in services.values():
        for volume in service.get("volumes", []):
            if volume.startswith("./"):
                assert (REPO / volume.split(":")[0]).is_file(), volume


def test_the_repository_files_are_the_ones_generated_for_the_builtin_project() -> None:
    """Regenerate with compose_file.render_compose / render_toxiproxy when this fails."""
    project = builtin_project()
    toxiproxy = REPO / "docker" / "toxiproxy.json"
    assert compose.COMPOSE_FILE.read_text() == compose_file.render_compose(project, REPO, toxiproxy)
    assert toxiproxy.read_text() == compose_file.render_toxiproxy(project)


def test_image_tags_are_pinned(services: dict[str, Any]) -> None:
    images = {s["image"] for s in services.values()}
    assert {i.rsplit(":", 1)[0] for i in images} == {
        "supabase/postgres",
        "postgrest/postgrest",
        "kong",
        "ghcr.io/shopify/toxiproxy",
    }
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name and re.fullmatch(r"v?\d+(\.\d+)+", tag), f"{image}: pin an exact version"


def test_postgrest_and_kong_settings(services: dict[str, Any]) -> None:
    for name in SOURCE_NAMES:
        rest = services[f"rest-{name.lower()}"]["environment"]
        assert rest["PGRST_DB_ANON_ROLE"] == "anon"
        assert rest["PGRST_JWT_SECRET"] == f"${{{name}_JWT_SECRET}}", "each source its own secret"
        kong = services[f"kong-{name.lower()}"]["environment"]
        assert kong["SUPABASE_ANON_KEY"].startswith(f"${{{name}_ANON_KEY")
        assert kong["POSTGREST_URL"] == f"http://rest-{name.lower()}:3000"
        assert set(kong["KONG_PLUGINS"].split(",")) >= {"key-auth", "acl"}


def test_the_variables_it_needs_are_the_ones_write_env_generates() -> None:
    text = compose.COMPOSE_FILE.read_text()
    needed = set(re.findall(r"\$\{([A-Z_]+)", text))
    assert needed == {n for s in SOURCE_NAMES for n in compose.env_names(s)}


def test_kong_config_checks_the_apikey_on_rest_v1() -> None:
    text = (REPO / "docker" / "kong.yml").read_text()
    assert '"' not in text and "`" not in text, "the entrypoint substitutes variables with a shell echo"
    assert set(re.findall(r"\$([A-Z_]+)", text)) == {
        "SUPABASE_ANON_KEY",
        "SUPABASE_SERVICE_KEY",
        "POSTGREST_URL",
        "POSTGREST_ADMIN_URL",
    }
    config = yaml.safe_load(text)
    rest = next(s for s in config["services"] if s["name"] == "rest-v1")
    assert rest["routes"][0]["paths"] == ["/rest/v1/"] and rest["routes"][0]["strip_path"] is True
    plugins = {p["name"]: p.get("config", {}) for p in rest["plugins"]}
    assert "key-auth" in plugins and set(plugins["acl"]["allow"]) == {"admin", "anon"}
    ready = next(s for s in config["services"] if s["name"] == "ready")
    assert ready["url"] == "$POSTGREST_ADMIN_URL/ready" and "plugins" not in ready


def test_env_file_and_state(tmp_path: Path) -> None:
    env_file = tmp_path / "compose.env"
    env = compose.write_env(env_file)
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert compose.write_env(env_file) == env == compose.read_env(env_file), "never regenerated once written"
    assert len({env[f"{s}_JWT_SECRET"] for s in SOURCE_NAMES}) == 3
    state = compose.compose_state(env, tmp_path / "state")
    assert state.kind == "compose" and state.toxiproxy_url == f"http://127.0.0.1:{LAYOUT.toxiproxy_api}"
    for index, source in enumerate(state.sources):
        ports = LAYOUT.source(index)
        assert source.api_url == f"http://127.0.0.1:{ports.api_proxy}"
        assert source.direct_api_url == f"http://127.0.0.1:{ports.gateway}"
        assert (source.api_proxy, source.db_proxy) == (f"{source.name}.api", f"{source.name}.db")
        claims = jwt.decode(source.anon_key, source.jwt_secret, algorithms=["HS256"])
        assert claims["role"] == "anon"
        assert jwt.decode(source.service_role_key, source.jwt_secret, algorithms=["HS256"])["role"] == "service_role"


def test_the_compose_block_is_its_own() -> None:
    """An embedded stack on the default block (or the tests' 25500) never answers for the compose stack."""
    embedded = PortLayout(DEFAULT_BASE_PORT, len(SOURCE_NAMES)).all_ports()
    tests = PortLayout(25500, len(SOURCE_NAMES)).all_ports()
    assert not set(LAYOUT.all_ports()) & (set(embedded) | set(tests))


def test_up_without_docker_waits_for_health_and_writes_no_state_when_nothing_answers(tmp_path: Path) -> None:
    if not all(port_is_free(port) for port in LAYOUT.all_ports()):
        pytest.skip(f"a compose stack is running on its block ({LAYOUT.base}..{LAYOUT.toxiproxy_api})")
    options = compose.ComposeOptions(
        state_dir=tmp_path / "s", env_file=tmp_path / "compose.env", run_docker=False, timeout_s=0.3
    )
    with pytest.raises(StackNotRunning):
        compose.ComposeStack(options).start()
    assert (tmp_path / "compose.env").exists() and not (tmp_path / "s" / "state.json").exists()
