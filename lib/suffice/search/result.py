"""What a search strategy hands back to :func:`suffice.explain` (the strategy contract).

A strategy module provides ``NAME``, ``OPTIONS`` (a tuple of :class:`suffice.search.options.Option`,
its own options) and ``search(oracle, *, seed, contrastive, complete, **own_options) -> SearchResult``.
``explain()`` validates every option before calling ``search`` (so ``search`` receives checked values)
and builds the :class:`~suffice.Explanation` from the named fields below.  Every value that anything
reads is a field here; ``meta`` is for free-form diagnostics only, read by nothing but people.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SearchResult:
    """A strategy's answer on one (model, clip, target).

    * ``keep``: bool (K,), the sufficient set (every bin when ``found`` is False).
    * ``responsibility``: float (K,) in [0, 1], higher = more responsible.
    * ``found``: a set short of the whole spectrum was verified sufficient.
    * ``ranking``: int (K,), bins most responsible first.
    * ``budget_exhausted``: the search stopped because ``max_calls`` ran out (``keep`` is still a
      verified sufficient set, only maybe not minimal).
    * ``verified_minimal``: every kept bin was tested for removal against the final ``keep`` and none
      could go (1-minimal).
    * ``silence_index``: the model's top-1 class on the floor, the empty set under the fill (the all-zero
      spectrum under the zero fill; None: not evaluated).
    * ``necessary_keep`` / ``necessary_found``: the contrastive set (``contrastive=True``).
    * ``necessary_budget_cut``: the budget ran out before the contrastive search finished: a
      ``necessary_keep`` is then sufficient and necessary but not pruned to the end, and a missing one
      is unknown (not "not found").  False where the search finished (or was not asked for).
    * ``complete_keep`` / ``complete_confidence``: the complete set (``complete=True``).
    * ``search_calls``: the model calls spent until the sufficient set was settled, the original clip
      included (the calls after it went to the contrastive and complete sets); None: not counted.
    * ``extras_calls``: the model calls of the contrastive and complete sets, where the strategy counts
      them itself (rex); None: everything after ``search_calls`` (and the robustness check).
    * ``levels``: one dict per level of a coarse-to-fine search (:mod:`suffice.search.resolution` fills
      it); None at single bins.
    """

    keep: np.ndarray
    responsibility: np.ndarray
    found: bool
    ranking: np.ndarray
    budget_exhausted: bool = False
    verified_minimal: bool = False
    silence_index: int | None = None
    necessary_keep: np.ndarray | None = None
    necessary_found: bool | None = None
    necessary_budget_cut: bool = False
    complete_keep: np.ndarray | None = None
    complete_confidence: float | None = None
    search_calls: int | None = None
    extras_calls: int | None = None
    levels: list[dict[str, Any]] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def rank_bins(responsibility: np.ndarray, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Bins sorted by responsibility (descending), ties by ``tiebreak`` (descending), then index."""
    n = len(responsibility)
    tb = np.zeros(n) if tiebreak is None else np.asarray(tiebreak, dtype=np.float64)
    return np.lexsort((np.arange(n), -tb, -np.asarray(responsibility, dtype=np.float64)))
