"""Step 1: the start set, the shortest passing prefix of the magnitude ranking (or of a band ranking)."""
from __future__ import annotations

import numpy as np

from ...extraction import first_prefix
from ...rankings import band_order, magnitude_order
from .state import Search

#: the prior prefix's bisection stops within this share of the passing length (a start set up to this
#: much too large costs fewer calls than bisecting further)
PRIOR_TOL = 1 / 8
#: the band rankings the prior also tries (kind, bands), in this order, when the magnitude prefix holds
#: more than BAND_MIN bins (a band of a few loud partials can suffice where a long magnitude prefix
#: would be pruned bin by bin; the decisions chapter compares band_priors on and off)
BAND_RANKINGS: tuple[tuple[str, int], ...] = (("within", 64), ("relative", 16), ("relative", 32))
BAND_MIN = 64


def prior_prefix(S: Search, band_priors: bool, meta: dict) -> tuple[np.ndarray, int | None]:
    """(the ranking, the length of its shortest passing prefix found, or None); ``meta["prior"]``
    names the ranking."""
    K = S.K

    def shortest(order: np.ndarray) -> int | None:
        return first_prefix(order, K, lambda masks: S.evaluate(S.sufficient, masks)[0], mode="gallop",
                            bisect=True, include_total=False, tol=PRIOR_TOL)

    order = magnitude_order(S.oracle.magnitude)
    m = shortest(order)
    meta["prior"] = "magnitude"
    if band_priors:
        for kind, n_bands in BAND_RANKINGS:
            if m is not None and m <= BAND_MIN:
                break
            alt = band_order(S.oracle.magnitude, n_bands, kind)
            m2 = shortest(alt if m is None else alt[:m])   # only prefixes shorter than the best so far
            if m2 is not None and (m is None or m2 < m):
                order, m = alt, m2
                meta["prior"] = f"{kind} {n_bands}"
    return order, m
