"""Steps 4-5: ways out of the prior's trap, the prior-free second start and the smallest set seen."""
from __future__ import annotations

import math

import numpy as np

from .prune import reduce
from .state import Search


def second_start(S: Search, keep: np.ndarray, verified: bool, share: float, verify: bool,
                 meta: dict) -> tuple[np.ndarray, bool]:
    """Step 4: steps 2-3 from the complement of ``keep`` when it is sufficient; the smaller set wins.

    It is abandoned once it stops halving while no smaller than ``keep``, or after ``share`` x the calls
    so far (at least ``2 log2 K + 8``); ``meta`` records its outcome and calls."""
    oracle = S.oracle
    t0 = oracle.n_calls
    comp = ~keep
    S.budget.want(1)
    if not S.passes(S.sufficient, comp):
        meta["restart"] = "complement fails"
        return keep, verified
    first = int(keep.sum())
    limit = max(share * t0, 2 * math.log2(max(S.K, 2)) + 8)

    def give_up(size: int, before: int | None) -> bool:
        if size < first:
            return False
        return oracle.n_calls - t0 > limit or (before is not None and size > 0.8 * before)

    S.budget.want(limit + 4)
    other, ver2, abandoned = reduce(S, comp, S.sufficient, verify=verify, give_up=give_up)
    meta["restart_calls"] = oracle.n_calls - t0
    if not abandoned and other.sum() < first:
        meta["restart"] = "smaller"
        return other, ver2
    meta["restart"] = "abandoned" if abandoned else "not smaller"
    return keep, verified


def smallest_seen(S: Search, keep: np.ndarray, verified: bool, verify: bool, meta: dict
                  ) -> tuple[np.ndarray, bool]:
    """Step 5: while a passing mask smaller than ``keep`` was evaluated along the way (a part that could
    go alone, not kept because a stronger one went first), prune that mask by steps 2-3 too; each round
    strictly shrinks the set, and the result is never larger than the smallest mask seen."""
    rounds = 0
    while S.smallest.sum() < keep.sum() and not S.exhausted:
        rounds += 1
        keep, verified, _ = reduce(S, S.smallest.copy(), S.sufficient, verify=verify)
    if rounds:
        meta["smallest_seen_rounds"] = rounds
    return keep, verified
