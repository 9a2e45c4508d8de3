"""`junit.xml`: one `<testsuite>` per scenario; per client one `run` test case (an `<error>` when
the run itself broke), one test case per expectation (a `<failure>` with expected vs observed),
and a `checker` test case. Class names are `<scenario>.<client>`, so CI groups by both."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from fallback.report.model import ClientRun, RunRecord, ScenarioRun

_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters, which console logs may contain."""
    return _INVALID_XML.sub("\ufffd", text)


def _case(suite: ET.Element, classname: str, name: str, time_s: float = 0.0) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=_safe(classname), name=_safe(name), time=f"{time_s:.3f}")


def _problem(case: ET.Element, tag: str, message: str, kind: str, text: str) -> None:
    element = ET.SubElement(case, tag, message=_safe(message), type=kind)
    element.text = _safe(text)


def _client_cases(suite: ET.Element, scenario: ScenarioRun, client: ClientRun) -> None:
    classname = f"{scenario.name}.{client.client}"
    run = _case(suite, classname, "run", client.duration_s)
    if client.error:
        _problem(run, "error", client.error.splitlines()[0] if client.error else "error", "error", client.error)
    if client.logs:
        ET.SubElement(run, "system-out").text = _safe("\n".join(client.logs))
    for expectation in client.expectations:
        case = _case(suite, classname, expectation.name)
        if not expectation.passed:
            message = f"expected {expectation.expected}, observed {expectation.observed}"
            text = f"expected: {expectation.expected}\nobserved: {expectation.observed}"
            _problem(case, "failure", message, "expectation", text)
    if client.checker is not None:
        case = _case(suite, classname, "checker")
        if not client.checker.valid:
            _problem(case, "failure", client.checker.summary(), "checker", client.checker.render())


def render_junit(run: RunRecord) -> str:
    root = ET.Element("testsuites", name=f"fallback-harness {run.run_id}")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for scenario in run.scenarios:
        suite = ET.SubElement(root, "testsuite", name=_safe(scenario.name), timestamp=run.started_at.isoformat())
        if scenario.file:
            properties = ET.SubElement(suite, "properties")
            ET.SubElement(properties, "property", name="file", value=_safe(scenario.file))
        for client in scenario.clients:
            _client_cases(suite, scenario, client)
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(c.find("failure") is not None for c in cases),
            "errors": sum(c.find("error") is not None for c in cases),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("skipped", "0")
        suite.set("time", f"{sum(c.duration_s for c in scenario.clients):.3f}")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{(run.finished_at - run.started_at).total_seconds():.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
