"""Step 3, 1-minimality: every kept bin tested for removal in the final context, until none can go."""
from __future__ import annotations

import numpy as np

from ...predicates import Predicate
from .accept import accept
from .state import Out, Search

#: step 3 of the sufficient set is given ``verify_max_calls`` when the calls so far plus this many per
#: kept bin fit there (a pass, a confirming pass and their acceptances)
VERIFY_PROJECTION = 3


def one_minimal(S: Search, keep: np.ndarray, pred: Predicate, protected: np.ndarray | None
                ) -> tuple[np.ndarray, bool, bool]:
    """:func:`drop_single_bins`; for a funded predicate under the budget's verifying top when the calls
    so far plus ``VERIFY_PROJECTION`` per kept bin fit there (the ceiling goes back afterwards: no calls
    beyond ``auto_max_calls`` for what follows).  Returns ``(keep, verified_minimal, False)``."""
    if not pred.funded:
        return drop_single_bins(S, keep, pred, protected)
    free = keep if protected is None else keep & ~protected
    with S.budget.verifying(VERIFY_PROJECTION * int(free.sum())):
        return drop_single_bins(S, keep, pred, protected)


def drop_single_bins(S: Search, keep: np.ndarray, pred: Predicate, protected: np.ndarray | None
                     ) -> tuple[np.ndarray, bool, bool]:
    """Drop single bins (never ``protected`` ones) until none can go; verified when every bin was tested.

    A full pass tests every kept bin; when some can go, the longest passing group of them goes
    (:func:`~.accept.accept`) and, before the next full pass, only the candidates that stayed are
    retested (in the new context) until none of them can go.  Only a full pass in which no bin could go
    verifies the set.
    """
    pending: np.ndarray | None = None        # bins to retest before the next full pass
    while True:
        free = keep if protected is None else keep & ~protected
        idx = np.flatnonzero(free)
        if not len(idx):
            return keep, True, False
        if pending is not None:
            idx = pending[free[pending]]
            if not len(idx):
                pending = None
                continue
        S.budget.want(len(idx) + 4)
        masks = np.repeat(keep[None], len(idx), axis=0)
        masks[np.arange(len(idx)), idx] = False
        try:
            ok, tp = S.evaluate(pred, masks, reserve=2, partial=True)
        except Out:
            return keep, False, False
        if len(ok) < len(idx):                # the budget ran out within the pass
            if ok.any():
                cand = np.flatnonzero(ok)
                keep = accept(S, pred, keep, [idx[[c]] for c in cand], [float(tp[c]) for c in cand])
            return keep, False, False
        if not ok.any():
            if pending is None:
                return keep, True, False
            pending = None
            continue
        cand = np.flatnonzero(ok)
        keep = accept(S, pred, keep, [idx[[c]] for c in cand], [float(tp[c]) for c in cand])
        if S.exhausted:
            return keep, False, False
        stayed = idx[cand][keep[idx[cand]]]
        pending = stayed if len(stayed) else None
