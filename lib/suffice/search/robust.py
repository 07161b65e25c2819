"""Robust acceptance: a sufficient set whose class survives what happens to its signal in practice.

The search accepts a set when the model's class on the library's float32 synthesis is the target.  A
minimal set sits at the decision boundary by construction, so for some models that acceptance is a knife
edge: the same set rebuilt in float64, saved as 16-bit PCM or given a little noise
(:data:`suffice.renderings.RENDERINGS`) gets another class.  With ``robustness="check"`` the explanation
records whether its set survives every rendering; with ``"repair"`` a set that does not is grown until
it does (:func:`robust_set`):

    S_k = S ∪ A_1 ∪ ... ∪ A_k,   k = 1, 2, 4, 8, ...                                     (repair)

where ``A_1, A_2, ...`` are the atoms (of the explanation's resolution) outside ``S``, ranked by the
search's responsibility, then by energy.  The first ``S_k`` that passes the search's own test and keeps
the target under every rendering is then pruned: its atoms are tried for removal, least responsible first,
and an atom goes when the rest still passes the test and every rendering; passes repeat until one removes
nothing.  A completed prune makes the repaired set verified 1-minimal under robust acceptance at the
explanation's resolution (no single atom can go); a prune the budget cuts leaves a robust set that is not
verified.  (A set the search verified and that needed no repair is 1-minimal under robust acceptance
too: removing any atom already fails the plain test.)  When no set short of the whole spectrum is robust, or the call budget ends first, the
search's set is kept and reported as not robust.  The definition of robust acceptance and the repair are ours
(the paper asks only for the same top-1 class in its own synthesis).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..renderings import RENDERINGS, check_renderings
from .evaluator import MaskEvaluator
from .resolution import atoms_of

#: the ``robustness`` option's values: no check, check and record, check and repair
ROBUSTNESS = ("off", "check", "repair")


@dataclass(frozen=True)
class RobustSet:
    """The outcome of :func:`robust_set`.

    ``keep``: the set to return (the search's, or the repaired one); ``margin``: the target's probability
    minus the runner-up's on ``keep``'s float32 synthesis; ``robust``: every rendering keeps the target
    (None: not checked, the budget had no room); ``labels``: the class index under each rendering of
    ``keep`` (None when not checked); ``calls``: model calls spent here (check and repair);
    ``added_bins``: bins of the returned set outside the search's (0: no repair); ``budget_cut``: the
    budget ended the check or the repair before a robust set was found, or the prune before it was
    verified; ``batches``: model invocations of the renderings (the repair's own tests are the oracle's
    and counted there); ``minimal``: a repaired set's prune completed (verified 1-minimal under robust
    acceptance), None when there was no repair."""

    keep: np.ndarray
    margin: float | None
    robust: bool | None
    labels: dict[str, int] | None
    calls: int
    added_bins: int
    budget_cut: bool
    batches: int = 0
    minimal: bool | None = None


def _ranked_atoms(oracle: MaskEvaluator, keep: np.ndarray, responsibility: np.ndarray, width: int
                  ) -> list[tuple[int, int]]:
    """The atoms of ``width`` bins in ``keep``, highest responsibility first, then most energy."""
    starts, ends = atoms_of(keep, width)
    if starts.size == 0:
        return []
    owner = np.repeat(np.arange(starts.size), ends - starts)
    bins = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)])
    resp = np.zeros(starts.size)
    np.maximum.at(resp, owner, np.asarray(responsibility, dtype=np.float64)[bins])
    energy = np.bincount(owner, weights=oracle.magnitude[bins].astype(np.float64) ** 2, minlength=starts.size)
    order = np.lexsort((starts, -energy, -resp))
    return [(int(starts[a]), int(ends[a])) for a in order]


def robust_set(oracle: MaskEvaluator, keep: np.ndarray, *, responsibility: np.ndarray, width: int = 1,
               repair: bool = True, seed: int = 0, cap: int | None = None) -> RobustSet:
    """Check ``keep`` (a set that passes ``oracle``) under every rendering and, with ``repair``, grow it
    by :eq:`repair` until it is robust.

    ``responsibility``: per-bin ranking of the search (ties broken by energy); ``width``: the atom width
    in bins that the repair adds; ``cap``: the explanation's call budget (``None``: none), counting the
    oracle's calls so far; the check (``len(RENDERINGS)`` calls) and each repair step (one call for the
    search's own test, then the renderings) run only when they fit.  Returns a :class:`RobustSet`.
    """
    keep = np.asarray(keep, dtype=bool)
    spent = batches = 0

    def room(n: int) -> bool:
        return cap is None or oracle.n_calls + spent + n <= cap

    def check(mask: np.ndarray) -> dict:
        nonlocal spent, batches
        out = check_renderings(oracle.model, oracle.waveform, mask, oracle.target_index,
                               oracle.probs(mask[None])[0], seed=seed, batch_size=oracle.batch_size,
                               fill=oracle.fill, fill_seed=oracle.fill_seed)
        spent += out["calls"]
        batches += -(-out["calls"] // oracle.batch_size)
        return out

    if not room(len(RENDERINGS)):
        return RobustSet(keep, None, None, None, 0, 0, True)
    first = check(keep)
    if first["robust"] or not repair:
        return RobustSet(keep, first["margin"], bool(first["robust"]), first["labels"], spent, 0, False, batches)
    def _prune(cand: np.ndarray, out: dict) -> tuple[np.ndarray, dict, bool, bool]:
        """Remove atoms of the robust ``cand``, least responsible first, while it stays robust; passes
        repeat until one removes nothing.  Returns (set, its check, verified 1-minimal, budget cut)."""
        minimal = False
        while not minimal:
            minimal = True
            for s, e in reversed(_ranked_atoms(oracle, cand, responsibility, width)):
                trial = cand.copy()
                trial[s:e] = False
                if not room(oracle.n_new(trial[None]) + len(RENDERINGS)):
                    return cand, out, False, True
                if oracle.sufficient(trial):
                    again = check(trial)
                    if again["robust"]:
                        cand, out, minimal = trial, again, False
        return cand, out, True, False

    atoms = _ranked_atoms(oracle, ~keep, responsibility, width)
    before = oracle.n_calls
    k, cut = 1, False
    while atoms:
        k = min(k, len(atoms))
        cand = keep.copy()
        for s, e in atoms[:k]:
            cand[s:e] = True
        if cand.all():  # the whole spectrum is not a sufficient *set*: the repair has failed
            break
        if not room(oracle.n_new(cand[None]) + len(RENDERINGS)):
            cut = True
            break
        if oracle.sufficient(cand):
            out = check(cand)
            if out["robust"]:
                final, out, minimal, cut = _prune(cand, out)
                calls = spent + oracle.n_calls - before
                return RobustSet(final, out["margin"], True, out["labels"], calls, int((final & ~keep).sum()),
                                 cut, batches, minimal)
        if k == len(atoms):
            break
        k *= 2
    return RobustSet(keep, first["margin"], False, first["labels"], spent + oracle.n_calls - before, 0, cut,
                     batches)


__all__ = ["ROBUSTNESS", "RobustSet", "robust_set"]
