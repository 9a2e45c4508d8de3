"""The pytest plugin as a user's suite sees it: small generated test files run by `pytester` in a
subprocess, against the real stack (the outer session's, reused through its state dir)."""

from __future__ import annotations

import pytest

from fallback.stack.state import StackState

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.stack


def run(pytester: pytest.Pytester, stack: StackState, *args: str) -> pytest.RunResult:
    """Run the generated files with the outer stack (a healthy stack in the state dir is reused, never stopped)."""
    base_port = int(stack.sources[0].pg_port)
    return pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        f"--fallback-state-dir={stack.state_dir}",
        f"--fallback-base-port={base_port}",
        *args,
    )


def test_the_issue_example_works_and_faults_do_not_leak(pytester: pytest.Pytester, fallback_stack: StackState) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def status(state, name):
            source = state.source(name)
            try:
                return httpx.get(f"{source.api_url}/rest/v1/profiles?select=id", timeout=3,
                                 headers={"apikey": source.anon_key}).status_code
            except httpx.ConnectError:
                return "refused"

        def test_checkout_survives_primary_outage(fallback_stack, toxics):
            toxics.down("PRIMARY.api")
            assert status(fallback_stack, "PRIMARY") == "refused"
            assert status(fallback_stack, "BOLT") == 200

        def test_next_test_starts_clean(fallback_stack):
            assert status(fallback_stack, "PRIMARY") == 200
        """
    )
    result = run(pytester, fallback_stack)
    result.assert_outcomes(passed=2)
    assert "how to reproduce" not in result.stdout.str()


def test_seeded_sources_client_fixture_and_fault_marker(pytester: pytest.Pytester, fallback_stack: StackState) -> None:
    pytester.makepyfile(
        """
        import pytest

        async def test_all_up(fallback_seeded, fallback_client):
            result = await fallback_client.load("user_challenges")
            assert len(result.rows) == 85 and not result.degraded
            assert fallback_seeded["user_challenges"] == {"PRIMARY": 45, "BOLT": 25, "OLD": 15}

        @pytest.mark.fallback_fault("PRIMARY.api", "down")
        async def test_primary_down(fallback_seeded, fallback_client):
            result = await fallback_client.load("user_challenges")
            assert result.degraded and result.counts() == {"PRIMARY": 0, "BOLT": 25, "OLD": 15}

        async def test_spec_client_fixture(fallback_seeded, fallback_spec_client):
            result = await fallback_spec_client.load("user_challenges")
            assert len(result.rows) == 85
        """
    )
    run(pytester, fallback_stack).assert_outcomes(passed=3)


def test_resilience_marker_cleans_toxics_it_never_requested(
    pytester: pytest.Pytester, fallback_stack: StackState
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from fallback.toxics import Toxiproxy, latency

        @pytest.mark.resilience
        def test_adds_latency_behind_the_plugins_back(fallback_stack):
            Toxiproxy(fallback_stack.toxiproxy_url).add("BOLT.api", latency(200))

        def test_no_toxic_left(fallback_stack):
            proxies = Toxiproxy(fallback_stack.toxiproxy_url).proxies()
            assert all(not p["toxics"] and p["enabled"] for p in proxies.values())
        """
    )
    run(pytester, fallback_stack, "--strict-markers").assert_outcomes(passed=2)


def test_a_failure_says_how_to_reproduce_it(pytester: pytest.Pytester, fallback_stack: StackState) -> None:
    pytester.makepyfile(
        """
        from fallback.toxics import latency

        def test_fails_during_an_outage(fallback_stack, toxics):
            toxics.down("PRIMARY.api")
            toxics.add("BOLT.api", latency(300))
            assert False, "the checkout did not survive"
        """
    )
    result = run(pytester, fallback_stack)
    result.assert_outcomes(failed=1)
    state_dir = fallback_stack.state_dir
    result.stdout.fnmatch_lines(
        [
            "*fallback-harness: how to reproduce*",
            f"stack:  fallback-harness stack up --state-dir {state_dir} --base-port * --seed spec",
            "test_a_failure_says_how_to_reproduce_it.py::test_fails_during_an_outage:",
            f"    fallback-harness fault BOLT.api latency 300 --state-dir {state_dir}",
            f"    fallback-harness fault PRIMARY.api down --state-dir {state_dir}",
            "    pytest 'test_a_failure_says_how_to_reproduce_it.py::test_fails_during_an_outage'"
            " --fallback-state-dir *",
        ]
    )


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.resilience:*", "@pytest.mark.fallback_fault(target, kind, value=None, **attributes):*"]
    )
