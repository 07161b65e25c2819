"""Explanations at a declared frequency resolution: the search over *atoms*, coarse to fine.

An atom is a contiguous run of rFFT bins; at resolution ``w`` (bins per atom) the clip's ``K`` bins
form ``ceil(K / w)`` atoms ``[a w, (a + 1) w)``, and ``w = 1`` is today's single-bin search.  A search
strategy sees an :class:`AtomView` of the clip's :class:`~suffice.search.evaluator.MaskEvaluator`: its
"bins" are atoms, every keep-mask over atoms is expanded to the bins it covers (masking, listening and
transfer stay in bins), and the model calls, the cache of evaluated masks and the call budget are the
evaluator's own, shared by every level.

Coarse to fine (:func:`coarse_to_fine`): a search at the coarsest width finds a set of atoms; each
finer level (the width divided by :data:`REFINE_FACTOR`, down to the finest asked for) searches again
over the finer atoms *inside* the kept ones only (what was removed stays removed), starting from the
previous set, which is sufficient.  A set is *verified at width w* when every one of its atoms of width
``w`` was tested for removal against the final set and none could go (1-minimal over those atoms); a
finer set is smaller in bins than a coarser one.  The returned set is the finest one verified; a
refinement that the budget cut is reported (``budget_exhausted``) but never replaces a verified set.
The contrastive and complete sets, when asked for, are searched at the coarsest level (they hold its
sufficient set, hence every finer one; each was tested as such).  This definition is ours: the paper
searches single bins.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import numpy as np

from .evaluator import MaskEvaluator
from .result import SearchResult, rank_bins

#: each refinement divides the atom width by this (a k-atom set becomes at most 4k atoms to prune)
REFINE_FACTOR = 4


def width_in_bins(width_hz: float | None, sample_rate: int, n_samples: int) -> int:
    """Bins per atom for atoms ``width_hz`` wide on a clip of ``n_samples`` samples (None: 1, single bins)."""
    if width_hz is None:
        return 1
    return max(1, int(round(float(width_hz) * n_samples / sample_rate)))


def levels(coarse: int, finest: int = 1, factor: int = REFINE_FACTOR) -> list[int]:
    """Widths in bins from ``coarse`` down to ``finest``, each ``factor`` times finer: ``[64, 16, 4, 1]``."""
    if finest < 1 or coarse < finest:
        raise ValueError(f"need coarse >= finest >= 1, got {coarse} and {finest}")
    out = [int(coarse)]
    while out[-1] > finest:
        out.append(max(int(finest), out[-1] // factor))
    return out


def atoms_of(keep: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, ends)`` of the atoms of ``width`` bins that tile the bins ``keep`` holds (in order);
    every atom lies inside one run of ``keep``, cut on the global grid ``[a w, (a + 1) w)``."""
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # a new atom starts where the grid cell changes or a run of kept bins breaks
    new = np.r_[True, (idx[1:] // width != idx[:-1] // width) | (np.diff(idx) > 1)]
    starts = idx[new]
    ends = np.r_[idx[np.flatnonzero(new)[1:] - 1], idx[-1]] + 1
    return starts.astype(np.int64), ends.astype(np.int64)


class AtomView:
    """A :class:`MaskEvaluator` seen through atoms: the strategies' "bins" are the atoms
    ``[starts[a], ends[a])``; bins outside every atom are always removed.  Everything else (model
    calls, cached masks, the budget, the target and its threshold) is the evaluator's."""

    def __init__(self, oracle: MaskEvaluator, starts: np.ndarray, ends: np.ndarray) -> None:
        self.oracle = oracle
        self.starts, self.ends = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
        self.n_bins = len(self.starts)
        owner = np.full(oracle.n_bins, self.n_bins, np.int64)  # bins outside every atom -> a False column
        for a, (s, e) in enumerate(zip(self.starts, self.ends)):
            owner[s:e] = a
        self._owner = owner
        power = np.bincount(owner, weights=oracle.magnitude.astype(np.float64) ** 2, minlength=self.n_bins + 1)
        self.magnitude = np.sqrt(power[:self.n_bins])  # root-sum-square: louder atoms rank first

    # ---- atoms <-> bins -------------------------------------------------------------------------
    def to_bins(self, masks: np.ndarray) -> np.ndarray:
        """(N, A) or (A,) atom masks as (N, K) or (K,) bin masks."""
        m = np.asarray(masks, dtype=bool)
        padded = np.concatenate([m, np.zeros(m.shape[:-1] + (1,), bool)], axis=-1)
        return np.take(padded, self._owner, axis=-1)

    def spread(self, values: np.ndarray, outside: float = 0.0) -> np.ndarray:
        """Per-atom values as per-bin values (each bin takes its atom's; ``outside`` elsewhere)."""
        v = np.r_[np.asarray(values, dtype=np.float64), outside]
        return v[self._owner]

    # ---- the evaluator's interface, over atoms ---------------------------------------------------
    def passes(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.oracle.passes(self.to_bins(np.atleast_2d(masks)))

    def probs(self, masks: np.ndarray) -> np.ndarray:
        return self.oracle.probs(self.to_bins(np.atleast_2d(masks)))

    def target_prob(self, masks: np.ndarray) -> np.ndarray:
        return self.oracle.target_prob(self.to_bins(np.atleast_2d(masks)))

    def label_of(self, masks: np.ndarray) -> np.ndarray:
        return self.oracle.label_of(self.to_bins(np.atleast_2d(masks)))

    def sufficient(self, mask: np.ndarray) -> bool:
        return bool(self.passes(np.asarray(mask)[None])[0][0])

    def n_new(self, masks: np.ndarray) -> int:
        return self.oracle.n_new(self.to_bins(np.atleast_2d(masks)))

    def is_known(self, mask: np.ndarray) -> bool:
        return self.oracle.is_known(self.to_bins(mask))

    def __getattr__(self, name: str) -> Any:  # n_calls, budget, target_index, confidence, silence_index ...
        return getattr(self.oracle, name)


@dataclass
class Level:
    """One level of a coarse-to-fine search: its width, atoms, and how its search ended."""

    width: int
    atoms: int
    kept_atoms: int
    kept_bins: int
    calls: int
    found: bool
    verified: bool
    budget_exhausted: bool

    def as_dict(self, bin_hz: float) -> dict[str, Any]:
        return {"width_bins": self.width, "width_hz": round(self.width * bin_hz, 6), "atoms": self.atoms,
                "kept_atoms": self.kept_atoms, "kept_bins": self.kept_bins, "calls": self.calls,
                "found": self.found, "verified": self.verified, "budget_exhausted": self.budget_exhausted}


def _in_bins(view: AtomView, r: SearchResult) -> SearchResult:
    """``r`` (over the view's atoms) with every set and score over the clip's bins."""
    def b(m):
        return None if m is None else view.to_bins(m)
    resp = view.spread(r.responsibility)
    return replace(r, keep=b(r.keep), responsibility=resp, ranking=rank_bins(resp, view.oracle.magnitude),
                   necessary_keep=b(r.necessary_keep), complete_keep=b(r.complete_keep), meta=dict(r.meta))


def coarse_to_fine(module: ModuleType, oracle: MaskEvaluator, widths: list[int], *, seed: int,
                   contrastive: bool, complete: bool, own: dict[str, Any]) -> tuple[SearchResult, int]:
    """Run ``module.search`` at each width of ``widths`` (coarse first; see the module docstring) and
    return the result over bins with the width at which its set was found (and, when
    ``verified_minimal``, verified).  Its ``levels`` lists each level (:meth:`Level.as_dict`)."""
    K = oracle.n_bins
    bin_hz = float(oracle.model.sample_rate) / oracle.n_samples
    universe = np.ones(K, dtype=bool)
    best: tuple[SearchResult, int] | None = None   # the finest verified result
    last: tuple[SearchResult, int] | None = None   # the last level's result
    responsibility = np.zeros(K)
    done: list[Level] = []
    cut = False
    for i, w in enumerate(widths):
        starts, ends = atoms_of(universe, w)
        view = AtomView(oracle, starts, ends)
        calls0 = oracle.n_calls
        first = i == 0
        r = module.search(view, seed=seed, contrastive=contrastive and first, complete=complete and first, **own)
        rb = _in_bins(view, r)
        if first:
            carried = {k: getattr(rb, k) for k in ("necessary_keep", "necessary_found", "necessary_budget_cut",
                                                  "complete_keep", "complete_confidence", "silence_index")}
        inside = view.to_bins(np.ones(view.n_bins, bool))
        responsibility[inside] = rb.responsibility[inside]  # the finest level that covered each bin
        done.append(Level(w, view.n_bins, int(np.asarray(r.keep).sum()), int(rb.keep.sum()),
                          oracle.n_calls - calls0, bool(r.found), bool(r.verified_minimal),
                          bool(r.budget_exhausted)))
        last = (rb, w)
        cut = cut or bool(r.budget_exhausted)
        if r.verified_minimal:
            best = (rb, w)
        if r.budget_exhausted or (r.found and not r.verified_minimal):
            break  # nothing verified to refine from
        universe = rb.keep.copy() if r.found else universe
        if rb.keep.sum() == 0:
            break  # the empty set (the model's class for silence): nothing finer to find
    chosen, width = best if best is not None else last
    if best is not None and not chosen.keep.any():
        width = widths[-1]  # the empty set has no atom to remove: 1-minimal at every resolution
    found = bool(chosen.keep.sum() < K)
    out = replace(chosen, found=found, budget_exhausted=cut, responsibility=responsibility,
                  ranking=rank_bins(responsibility, oracle.magnitude),
                  levels=[lv.as_dict(bin_hz) for lv in done], **carried)
    return out, width


__all__ = ["AtomView", "Level", "REFINE_FACTOR", "atoms_of", "coarse_to_fine", "levels", "width_in_bins"]
