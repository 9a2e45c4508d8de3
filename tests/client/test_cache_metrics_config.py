"""Snapshot cache, metrics, configuration and error classification: pure pieces."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from postgrest.exceptions import APIError

from fallback.client.cache import SnapshotCache
from fallback.client.config import Deadline, SourceConfig, sources_from_env
from fallback.client.errors import ConfigError, call_kind, classify, error_kind, label, redact
from fallback.client.metrics import Metrics
from fallback.client.results import Attempt, LoadResult, PendingWrite, WriteResult


def test_snapshots_per_source_with_age(tmp_path: Path) -> None:
    now = [1000.0]
    cache = SnapshotCache(tmp_path, clock=lambda: now[0])
    cache.save("user_challenges", "PRIMARY", [{"id": "a", "n": 1}])
    cache.save("user_challenges", "BOLT", [{"id": "b"}])
    now[0] = 1030.0
    cache.save("user_challenges", "PRIMARY", [{"id": "a", "n": 2}])  # replaces the older one
    snapshots = SnapshotCache(tmp_path).load("user_challenges")  # persisted: a new instance sees it
    assert snapshots["PRIMARY"].rows == ({"id": "a", "n": 2},)
    now[0] = 1060.0
    assert cache.age(snapshots["BOLT"]) == 60.0
    assert cache.load("profiles") == {}


def test_pending_writes_survive_a_restart(tmp_path: Path) -> None:
    pending = PendingWrite("user_challenges", "id-1", "PRIMARY", {"id": "id-1", "email": "a"}, 5.0)
    SnapshotCache(tmp_path).add_pending(pending)
    again = SnapshotCache(tmp_path)
    assert again.pending() == [pending]
    again.remove_pending(pending)
    assert again.pending() == []


def ok(source: str, count: int = 1) -> Attempt:
    return Attempt(source, "select", "ok", 1.0, count=count)


def failed(source: str, kind: str = "refused") -> Attempt:
    return Attempt(source, "select", kind, 1.0)


def test_metrics_success_rate_fallback_frequency_distribution() -> None:
    metrics = Metrics(["PRIMARY", "BOLT", "OLD"])
    rows = ({"_db_source": "BOLT"}, {"_db_source": "BOLT"}, {"_db_source": "OLD"})
    metrics.record_load(LoadResult("t", rows, (failed("PRIMARY"), ok("BOLT"), ok("OLD")), 1.0))
    metrics.record_load(LoadResult("t", (), (ok("PRIMARY"), ok("BOLT"), failed("OLD", "breaker_open")), 1.0))
    metrics.record_write(WriteResult("t", "x", "BOLT", "ok", (failed("PRIMARY"), ok("BOLT")), 1.0))
    data = metrics.snapshot()
    assert data["sources"]["PRIMARY"]["success_rate"] == pytest.approx(1 / 3)
    assert data["sources"]["OLD"]["short_circuited"] == 1
    assert data["fallback"]["loads_with_primary_failed"] == 1
    assert data["fallback"]["writes_to_fallbacks"] == {"BOLT": 1, "OLD": 0}
    assert data["fallback"]["write_fallback_rate"] == 1.0
    assert data["distribution"]["t"] == {"PRIMARY": 0, "BOLT": 0, "OLD": 0}  # the last load's


def test_env_accepts_spec_and_vite_names_and_prefers_service_role() -> None:
    env = {
        "VITE_SUPABASE_URL": "http://p",
        "VITE_SUPABASE_ANON_KEY": "anon-p",
        "SUPABASE_SERVICE_ROLE_KEY": "service-p",
        "BOLT_SUPABASE_URL": "http://b",
        "BOLT_SUPABASE_ANON_KEY": "anon-b",
        "VITE_OLD_SUPABASE_URL": "http://o",
        "VITE_OLD_SUPABASE_ANON_KEY": "anon-o",
    }
    sources = sources_from_env(env)
    assert [(s.name, s.url, s.key) for s in sources] == [
        ("PRIMARY", "http://p", "service-p"),
        ("BOLT", "http://b", "anon-b"),
        ("OLD", "http://o", "anon-o"),
    ]
    assert "anon-b" not in repr(sources)
    with pytest.raises(ConfigError):
        sources_from_env({"BOLT_SUPABASE_URL": "http://b"})
    with pytest.raises(ConfigError):
        sources_from_env({})
    with pytest.raises(ConfigError):
        SourceConfig("X", "ftp://x", "k")


def test_deadline_gives_httpx_a_timeout_object() -> None:
    timeout = Deadline(connect=0.5, read=0.7).httpx_timeout()
    assert isinstance(timeout, httpx.Timeout) and timeout.connect == 0.5 and timeout.read == 0.7
    with pytest.raises(ConfigError):
        Deadline(total=0)


@pytest.mark.parametrize(
    ("exc", "kind", "ambiguous"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "refused", False),
        (httpx.ConnectTimeout("connect"), "timeout", False),
        (httpx.ReadTimeout("read"), "timeout", True),
        (httpx.ReadError("Connection reset by peer"), "reset", True),
        (httpx.RemoteProtocolError("Server disconnected"), "reset", True),
        (TimeoutError(), "hung", True),
        (ValueError("bug"), "error", True),
    ],
)
def test_classify_transport_failures(exc: BaseException, kind: str, ambiguous: bool) -> None:
    failure = classify(exc)
    assert (failure.kind, failure.ambiguous) == (kind, ambiguous)


def test_classify_api_errors_keeps_status_and_pgrst_code() -> None:
    failure = classify(APIError({"code": "PGRST000", "message": "Database connection error"}), status=503)
    assert (failure.kind, failure.status, failure.code, failure.ambiguous) == ("http", 503, "PGRST000", False)
    not_found = classify(APIError({"code": "404", "message": "Not Found"}))
    assert (not_found.kind, not_found.status) == ("http", 404)
    assert label(not_found.kind, not_found.status, not_found.code) == "http_404"  # the status is not repeated


def test_labels_read_back_as_kinds() -> None:
    """The kind's one spelling in reports, scenario files and the wire: `kind[_status][:code]`."""
    assert label("http", 503, "PGRST001") == "http_503:PGRST001" and label("refused") == "refused"
    assert call_kind("http_503:PGRST001") == ("http", 503, "PGRST001")
    assert call_kind("breaker_open") == ("breaker_open", None, None) and call_kind("ok") == ("ok", None, None)
    for unknown in ("connect-error", "teapot", "timeout_504", "HTTP_503", ""):
        assert call_kind(unknown) is None, unknown
    assert error_kind("http_503:PGRST001") == ("http", 503, "PGRST001")
    assert error_kind("all_failed") == ("all_failed", None, None) and error_kind("ok") is None


def test_secrets_never_survive_classification() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl"
    failure = classify(httpx.ConnectError(f"refused http://x/?apikey=plainkey&t={token}"), secrets=["plainkey"])
    assert "plainkey" not in failure.message and token not in failure.message
    assert redact("Bearer " + token) == "Bearer ***"
