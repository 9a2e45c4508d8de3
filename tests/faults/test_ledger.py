"""The fault ledger (which families a session may have left on), against a Toxiproxy that does not answer:
no stack needed. A family is unmarked only once its undo returned; a new ledger undoes every family."""

from __future__ import annotations

import socket

import pytest

from fallback.faults import Controls, FaultLedger, family_of
from fallback.toxics import Toxiproxy, ToxiproxyError


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again on return: nothing listens there


@pytest.fixture
def unreachable() -> Controls:
    """Controls whose Toxiproxy refuses every connection (no databases, no stack: those families have nothing)."""
    return Controls(Toxiproxy(f"http://127.0.0.1:{_closed_port()}", timeout_s=1.0))


def test_a_new_ledger_undoes_every_family_and_an_undo_that_failed_keeps_the_family_marked(
    unreachable: Controls,
) -> None:
    ledger = FaultLedger()
    assert ledger.marked() is None  # unknown: whatever an earlier harness left on
    with pytest.raises(ToxiproxyError):
        ledger.reset(unreachable)  # the first reset undoes every family: Toxiproxy's among them fails
    assert ledger.marked() is None  # still unknown: the next reset undoes every family again
    ledger.mark(family_of("latency"))
    with pytest.raises(ToxiproxyError):
        ledger.reset(unreachable)
    assert ledger.marked() is None


def test_only_the_marked_families_are_undone_and_unmarked_once_undone(unreachable: Controls) -> None:
    # A ledger that knows: with nothing marked, nothing is undone (the unreachable Toxiproxy is never asked).
    ledger = _known()
    ledger.reset(unreachable)
    assert ledger.marked() == frozenset()
    ledger.mark(family_of("edge_status"))  # the edge family: no control file without a stack, nothing to undo
    assert ledger.marked() == {"edge"}
    ledger.reset(unreachable)
    assert ledger.marked() == frozenset()
    ledger.mark(family_of("down"))
    ledger.mark(family_of("edge_status"))
    with pytest.raises(ToxiproxyError):
        ledger.reset(unreachable)  # Toxiproxy's undo fails: it stays marked, and so does what comes after it
    assert ledger.marked() == {"toxiproxy", "edge"}


def _known() -> FaultLedger:
    """A ledger past its first reset (as after a session's first run): every family undone, none marked.
    (The on-stack tests, tests/explore/test_fresh.py, reach this state by a real first reset.)"""
    ledger = FaultLedger()
    ledger._known = True  # the state a successful first reset leaves, without a stack to reset
    assert ledger.marked() == frozenset()
    return ledger
