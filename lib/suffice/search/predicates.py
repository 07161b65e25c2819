"""What a keep-mask must do to be accepted (sufficient, contrastive, complete), defined once for every
strategy: each is a :class:`Predicate`, a batched test of keep-masks.

* **sufficient**: the evaluator's rule (:meth:`~suffice.search.evaluator.MaskEvaluator.passes`: the
  target class, and the δ-confidence and margin the options ask for).
* **contrastive**: sufficient, and the complement (every other bin) no longer gives the target class.
* **complete**: the target class, with the target probability equal to the original's to ``decimals``
  places.

Which bins a strategy adds to reach a contrastive or complete set is the strategy's own (see
:func:`suffice.search.extraction.extract_extras` and the default strategy's ``extend`` step).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .evaluator import MaskEvaluator

Verdicts = tuple[np.ndarray, np.ndarray]


def _same(masks: np.ndarray) -> np.ndarray:
    return masks


@dataclass(frozen=True)
class Predicate:
    """A batched test: ``test(masks)`` is ``(ok, strength)`` (strength orders the masks that pass);
    ``expand(masks)`` lists the masks it evaluates (to price it); ``funded``: the adaptive budget funds
    the steps that use it (the default strategy's sufficient set, not its extras)."""

    test: Callable[[np.ndarray], Verdicts]
    expand: Callable[[np.ndarray], np.ndarray] = _same
    funded: bool = False

    def ok(self, masks: np.ndarray) -> np.ndarray:
        """Which masks pass."""
        return self.test(masks)[0]


def sufficient(oracle: MaskEvaluator, on_pass: Callable[[np.ndarray], None] | None = None, *,
               funded: bool = False) -> Predicate:
    """The evaluator's rule; strength: the target probability.  ``on_pass`` sees the masks that pass."""
    def test(masks: np.ndarray) -> Verdicts:
        ok, tp = oracle.passes(masks)
        if on_pass is not None:
            on_pass(masks[ok])
        return ok, tp
    return Predicate(test, funded=funded)


def _both(masks: np.ndarray) -> np.ndarray:
    return np.concatenate([masks, ~masks])


def contrastive(oracle: MaskEvaluator, base: Predicate | None = None, *,
                complements_first: bool = False) -> Predicate:
    """Sufficient (``base``, default :func:`sufficient`) and the complement loses the target class.

    By default every mask and its complement go to the model in one batch.  ``complements_first``
    evaluates the complements first and a mask itself only where its complement lost the class: the
    same verdicts at fewer model calls when the complement is the condition that usually fails (sets
    that hold a sufficient set).  The strength of a mask that fails is then 0."""
    base = sufficient(oracle) if base is None else base

    def together(masks: np.ndarray) -> Verdicts:
        both = _both(masks)
        ok, tp = base.test(both)
        n = len(masks)
        return ok[:n] & (oracle.label_of(both[n:]) != oracle.target_index), tp[:n]

    def lazy(masks: np.ndarray) -> Verdicts:
        lost = oracle.label_of(~masks) != oracle.target_index
        ok, tp = np.zeros(len(masks), dtype=bool), np.zeros(len(masks))
        if lost.any():
            ok[lost], tp[lost] = base.test(masks[lost])
        return ok, tp
    return Predicate(lazy if complements_first else together, _both)


def complete(oracle: MaskEvaluator, decimals: int = 2) -> Predicate:
    """Target class, and the target probability equal to the original's to ``decimals`` places;
    strength: closeness to the original confidence."""
    goal = round(oracle.confidence, decimals)

    def test(masks: np.ndarray) -> Verdicts:
        p = oracle.probs(masks)
        tp = p[:, oracle.target_index]
        ok = (np.argmax(p, axis=1) == oracle.target_index) & (np.round(tp, decimals) == goal)
        return ok, -np.abs(tp - oracle.confidence)
    return Predicate(test)
