"""``strategy="magnitude"``: a non-causal baseline, the shortest sufficient prefix of the magnitude ranking.

Bins are ranked by magnitude |X_k| (descending; ties by index), and the shortest prefix of that
ranking that is (δ-)sufficient is the explanation, found by galloping (1, 2, 4, ... bins and the
whole ranking in one model batch) and bisection between the last failing and the first passing length
(:func:`suffice.search.extraction.first_prefix`): about ``2 log2 K`` model calls.  The length
returned was seen to pass; it is the shortest sufficient prefix whenever sufficiency is monotone in
the prefix length between the two bracketing lengths.  Nothing here asks the model which bins matter:
it is the benchmark's answer to "how far does loudness alone get you?".

``responsibility`` is |X_k| / max |X_k|.  Contrastive and complete sets follow the same ranking
(galloping).  ``found`` is False when only the whole spectrum passes; the set is not tested for
1-minimality and no budget applies.
"""
from __future__ import annotations

import numpy as np

from ..evaluator import MaskEvaluator
from .. import predicates
from ..extraction import extract_extras, first_prefix, prefix_masks
from ..options import Option
from ..result import SearchResult, rank_bins

NAME = "magnitude"
#: searches whatever units the oracle presents (bins, or atoms: suffice.search.resolution)
SEARCHES_ATOMS = True
OPTIONS: tuple[Option, ...] = ()


def shortest_sufficient_prefix(oracle: MaskEvaluator, order: np.ndarray) -> tuple[np.ndarray, bool]:
    """The shortest sufficient prefix of ``order`` by galloping and bisection: (keep, found).

    ``keep`` is every bin and ``found`` False when only the whole ordering passes (or nothing does).
    """
    K = oracle.n_bins
    m = first_prefix(order, K, predicates.sufficient(oracle).ok, mode="gallop", start=1)
    if m is None or m >= K:
        return np.ones(K, dtype=bool), False
    return prefix_masks(order, [m], K)[0], True


def ranked_result(oracle: MaskEvaluator, ranking: np.ndarray, responsibility: np.ndarray, *,
                  contrastive: bool, complete: bool, meta: dict | None = None) -> SearchResult:
    """The :class:`SearchResult` of a fixed ranking: its shortest sufficient prefix and the extras."""
    before = oracle.n_calls
    keep, found = shortest_sufficient_prefix(oracle, ranking)
    extraction_calls = oracle.n_calls - before
    more = extract_extras(oracle, keep, ranking, contrastive=contrastive, complete=complete, mode="gallop")
    return SearchResult(keep=keep, responsibility=responsibility, found=found, ranking=ranking,
                        necessary_keep=more.get("necessary_keep"), necessary_found=more.get("necessary_found"),
                        complete_keep=more.get("complete_keep"),
                        complete_confidence=more.get("complete_confidence"),
                        meta={**(meta or {}), "extraction_calls": extraction_calls})


def search(oracle: MaskEvaluator, *, seed: int = 0, contrastive: bool = False,
           complete: bool = False) -> SearchResult:
    """Rank by magnitude, take the shortest sufficient prefix (``seed`` is not used: no randomness)."""
    mag = np.asarray(oracle.magnitude, dtype=np.float64)
    top = float(mag.max())
    resp = (mag / top if top > 0 else np.zeros_like(mag)).astype(np.float32)
    return ranked_result(oracle, rank_bins(mag), resp, contrastive=contrastive, complete=complete)
