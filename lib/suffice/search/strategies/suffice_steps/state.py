"""What the steps of one explanation share: the oracle, its budget, the seeded cuts, the witnesses."""
from __future__ import annotations

import numpy as np

from ... import predicates
from ...budget import BudgetExhausted
from ...evaluator import MaskEvaluator
from ...predicates import Predicate, Verdicts
from ...result import rank_bins


class Out(Exception):
    """The budget is spent (raised inside the search, caught where a verified set is at hand)."""


class Search:
    """Shared state of one explanation: the oracle, its budget, the per-bin smallest witnesses."""

    def __init__(self, oracle: MaskEvaluator, rng: np.random.Generator, *, max_calls: int | None,
                 auto: tuple[int, int], min_block: int, chain: bool = True, verify_max: int = 0) -> None:
        self.oracle, self.rng, self.min_block, self.chain = oracle, rng, min_block, chain
        self.K = oracle.n_bins
        self.budget = oracle.budget
        if max_calls is not None:
            self.budget.fix(max_calls)
        else:
            self.budget.adapt(*auto, verify_max)     # verify_max: step 3's top (see verify.PROJECTION)
        self.best = np.full(self.K, float(self.K))     # size of the smallest passing mask holding the bin
        self.smallest = np.ones(self.K, dtype=bool)    # the smallest passing mask seen
        self.exhausted = False
        self.sufficient = predicates.sufficient(oracle, self._witness, funded=True)

    def evaluate(self, pred: Predicate, masks: np.ndarray, *, reserve: int = 0,
                 partial: bool = False) -> Verdicts:
        """``pred`` on ``masks``; with ``partial`` only the leading masks that fit the budget (less
        ``reserve``) are tested (the result is then shorter); otherwise the budget running out raises
        :class:`Out`."""
        masks = np.atleast_2d(masks)
        if partial:
            r = self.budget.fitting(lambda r: self.oracle.n_new(pred.expand(masks[:r])), len(masks), reserve)
            if r < len(masks):
                self.exhausted = True
                masks = masks[:r]
            if not len(masks):
                return np.zeros(0, bool), np.zeros(0)
        try:
            return pred.test(masks)
        except BudgetExhausted:
            self.exhausted = True
            raise Out from None

    def passes(self, pred: Predicate, mask: np.ndarray) -> bool:
        """Whether the one mask ``mask`` passes ``pred`` (:class:`Out` when the budget is spent)."""
        return bool(self.evaluate(pred, mask[None])[0][0])

    def _witness(self, passed: np.ndarray) -> None:
        """Record masks that passed: each bin's smallest witness and the smallest mask seen."""
        for m in passed:
            size = int(m.sum())
            np.minimum(self.best, np.where(m, size, np.inf), out=self.best)
            if size < self.smallest.sum():
                self.smallest = m.copy()

    def contrastive(self) -> Predicate:
        """Sufficient (recording witnesses) and the complement loses the class, complements first."""
        return predicates.contrastive(self.oracle, self.sufficient, complements_first=True)

    def ranking(self, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(responsibility ``|keep| / |W_b|``, in [0, 1]; the bins by it, ties by magnitude)."""
        resp = np.clip(float(keep.sum()) / self.best, 0.0, 1.0)
        return resp, rank_bins(resp, tiebreak=self.oracle.magnitude)
