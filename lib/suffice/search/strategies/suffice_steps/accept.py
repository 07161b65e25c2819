"""Applying a group of removals that each passed alone: as many of them together as still pass."""
from __future__ import annotations

import math

import numpy as np

from ...predicates import Predicate
from .state import Out, Search


def accept(S: Search, pred: Predicate, keep: np.ndarray, removals: list[np.ndarray],
           strengths: list[float]) -> np.ndarray:
    """``keep`` minus the removals that can go together: all of them if that passes, else the longest
    passing prefix, strongest first (bisection; the first one passed on its own).

    With ``S.chain`` the removals after the first one that could not go are tried the same way on the
    reduced set (every accepted set was tested and passed), while each such step removes something;
    the removals left out are the caller's to retry."""
    order = sorted(range(len(removals)), key=lambda i: (-strengths[i], i))
    base, lo0 = keep, 1          # the first removal passed on its own, from ``keep``

    def without(j: int) -> np.ndarray:   # ``base`` minus the first j removals of ``order``
        m = base.copy()
        if j:
            m[np.concatenate([removals[i] for i in order[:j]])] = False
        return m

    while order:
        if lo0 == 1 and len(order) == 1:
            return without(1)
        if pred.funded:   # the adaptive budget funds this step's tests (sufficient set)
            S.budget.want(2 + math.ceil(math.log2(len(order) + 1)))
        lo, hi = lo0, len(order)   # without(lo) passes (tested); does without(hi)?
        try:
            last = without(hi)
            if S.passes(pred, last):
                return last
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if S.passes(pred, without(mid)):
                    lo = mid
                else:
                    hi = mid
        except Out:
            return without(lo)
        # without(lo + 1) failed: removal order[lo] cannot go from without(lo); the rest is tried there
        if not S.chain or (lo == 0 and lo0 == 0):
            return without(lo)
        base, order, lo0 = without(lo), order[lo + 1:], 0
    return base
