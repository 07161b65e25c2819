"""The contrastive and complete sets: the sufficient set plus the highest-ranked other bins, pruned."""
from __future__ import annotations

import numpy as np

from ...extraction import first_prefix, prefix_masks
from ...predicates import Predicate
from .prune import reduce
from .state import Out, Search


def extend(S: Search, keep: np.ndarray, ranking: np.ndarray, pred: Predicate) -> tuple[np.ndarray | None, bool]:
    """``keep`` plus the shortest passing prefix of the other bins in ``ranking`` order (highest-ranked
    first), then pruned with ``keep`` protected.  Returns ``(set, finished)``: the set (None when nothing
    passed or the budget ran out first) and whether the search finished within the budget (then a set
    returned is verified: every added bin was tested for removal in the final context)."""
    K = S.K
    rest = ranking[~keep[ranking]]
    try:
        if S.passes(pred, keep):
            return keep.copy(), True
        m = first_prefix(rest, K, lambda masks: S.evaluate(pred, masks)[0], mode="gallop", start=1,
                         base=keep)
    except Out:
        return None, False
    if m is None:
        return None, not S.exhausted
    start = prefix_masks(rest, [m], K, base=keep)[0]
    out, verified, _ = reduce(S, start, pred, protected=keep)
    return out, verified
