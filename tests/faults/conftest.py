"""What the fault tests share: controls on the test stack, every fault undone after each test and checked gone."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fallback.faults import Controls, reset_all
from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy


def undone_after(
    stack: StackState, toxics: Toxiproxy, *, clean: Callable[[], bool], healthy: bool = False
) -> Iterator[Controls]:
    """Yield the stack's controls; after the test, `reset_all`, wait for health (`healthy`) and assert `clean()`."""
    controls = Controls.of_stack(toxics, stack)
    try:
        yield controls
    finally:
        reset_all(controls)
        if healthy:
            stack_lib.wait_until_healthy(stack)
        assert clean()
