"""Randomized fault schedules that shrink to a replayable scenario (`fallback-harness explore`).

    from fallback.explore.session import explore
    with running_stack(options) as state:
        done = explore(state, ExploreOptions(client="spec", examples=50), seed=1)
    done.saved[0].path          # scenarios/found/found-no-duplicates-spec-1a2b3c4d.yaml

Hypothesis draws short deterministic schedules (`strategies`), each run on the stack and judged
by the client's invariants (`invariants`, `profiles`); a violation is confirmed by re-running it,
shrunk (`search`), saved as a scenario file (`save`) and replayed as `run` would (`session`).
Only `search`, `strategies` and `session` import Hypothesis (the `dev` extra), so this package
and the CLI module load without it.
"""

from fallback.explore.invariants import BASE, INVARIANTS, Broken, Invariant, Limits, judge
from fallback.explore.options import ExploreOptions
from fallback.explore.profiles import ClientProfile, ProfileError, profile_for

__all__ = [
    "BASE",
    "INVARIANTS",
    "Broken",
    "ClientProfile",
    "ExploreOptions",
    "Invariant",
    "Limits",
    "ProfileError",
    "judge",
    "profile_for",
]
