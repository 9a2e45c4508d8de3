"""Write a `Scenario` back as YAML that `load_scenario` reads into an equal `Scenario`.

Defaults are left out (except `seed` and each fault's `at`, which a reader wants to see),
durations and rates are written the way a person would (`500ms`, `50/s`), and keys keep the
model's order (name, description, seed, client, faults, workload, expect, spec_expect).
"""

from __future__ import annotations

from typing import Any

import yaml

from fallback.scenario.model import Scenario


class _Dumper(yaml.SafeDumper):
    """Indented lists, flow style for short flat mappings (a step, a toxic's attributes),
    block literals for multi-line text."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flat = all(not isinstance(v, dict | list) for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flat and len(data) <= 6)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(str, _represent_str)


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain YAML-ready data (what `dump_scenario` writes)."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    full = scenario.model_dump(mode="json")
    data["seed"] = full["seed"]
    data["faults"] = [
        {"at": full_f["at"], **f} for f, full_f in zip(data.get("faults", []), full["faults"], strict=True)
    ]
    order = [name for name in Scenario.model_fields if data.get(name) not in (None, [])]
    return {name: data[name] for name in order}


def dump_scenario(scenario: Scenario) -> str:
    return yaml.dump(scenario_data(scenario), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
