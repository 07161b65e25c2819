"""The default strategy (``strategy="suffice"``): a magnitude-prior prefix, then causal pruning.

Design (ours; the paper's freqrex is built on ReX, see :mod:`suffice.search.strategies.rex`):

1. **Prior prefix.**  Rank the bins by magnitude |X_k|.  Test the prefixes of 1, 2, 4, ... K bins of
   that ranking in *one* batch (about log2 K model calls) and start from the shortest that is
   sufficient.  On real recordings a few loud bins often carry the decision, so this step alone
   removes most of the spectrum; when it fails (only the whole spectrum passes) we start from all bins.
2. **Causal pruning by halving.**  The current sufficient set ``S`` is held as blocks of bins (a block
   is a run of the sorted kept bins; the first block is all of ``S``).  Every round, each block is cut
   in two at a seeded random point in its middle half and two interventions are queued per block:
   ``S`` without the left part, ``S`` without the right part (a one-bin block: ``S`` without it).  All
   the interventions of a round go to the model as one batch.  A part whose removal keeps the class
   (and δ-confidence) is dropped; when neither can go, both halves are needed in the current context
   and become blocks of their own.  Decisions taken in the same round are combined and re-checked in
   one more call; if the combination fails, the decisions are accepted in order of strength as long as
   the cumulative set stays sufficient (one batch), and the rest are retried next round.  The set is
   therefore sufficient after every round: every accepted mask was actually evaluated.
3. **1-minimality check.**  When at most ``final_check`` bins remain, removing each single bin is
   tested (one batch) and removals are accepted the same way until none helps: no single kept bin can
   then be dropped.  For a monotone classifier (more kept bins never hurt) the result is subset-minimal.

Cost: about ``2 d log2(|S0| / d)`` calls for ``d`` needed bins among a prefix of ``|S0|``, against
thousands for ReX's partition search plus its linear extraction.  ``max_calls`` caps the pruning (the
set stays sufficient, only less minimal).  ``found`` is False when nothing short of the whole spectrum
passed.

Responsibility (our proxy, in [0, 1]): for each bin, ``|S_final| / |W_b|`` where ``W_b`` is the
smallest sufficient mask evaluated that contains the bin (the whole spectrum counts as evaluated), so
the final set's bins have responsibility 1 and a bin only ever seen in large witnesses gets little.
Ties are broken by magnitude.  Contrastive and complete sets are extracted along that ranking by
galloping search (:mod:`suffice.search.extraction`).
"""
from __future__ import annotations

import numpy as np

from ..extraction import extract_extras, first_prefix, prefix_masks
from ..evaluator import MaskEvaluator
from ..options import Option
from ..result import SearchResult, rank_bins

NAME = "suffice"
OPTIONS: tuple[Option, ...] = (
    Option("prior", str, "magnitude", "ranking of the first prefix; 'none' starts from all bins",
           choices=("magnitude", "none")),
    Option("max_calls", int, 1000, "model-call budget of the pruning (the result stays sufficient)", min=1),
    Option("min_block", int, 1, "blocks of at most this many bins are tested whole, never split", min=1),
    Option("final_check", int, 64, "1-minimality pass when at most this many bins remain (0: off)", min=0),
)
DEFAULTS: dict = {o.name: o.default for o in OPTIONS}


class _Tracker:
    """Evaluates masks through the oracle and records, per bin, the smallest passing mask holding it."""

    def __init__(self, oracle: MaskEvaluator) -> None:
        self.oracle = oracle
        self.best = np.full(oracle.n_bins, float(oracle.n_bins))

    def passes(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok, tp = self.oracle.passes(masks)
        for m in masks[ok]:
            np.minimum(self.best, np.where(m, m.sum(), np.inf), out=self.best)
        return ok, tp


def _cut(n: int, rng: np.random.Generator) -> int:
    """Cut point of a block of ``n >= 2`` bins: uniform in its middle half."""
    if n < 4:
        return n // 2
    return int(rng.integers(n // 4, 3 * n // 4 + 1))


def _accept(tracker: _Tracker, keep: np.ndarray, removals: list[np.ndarray],
            strengths: list[float]) -> list[int]:
    """Indices of the removals to apply together, keeping the set sufficient.

    Each removal passed on its own (against ``keep``).  All together is tried first; if that fails,
    the removals are applied in order of ``strengths`` (target probability after the removal) and the
    longest prefix that stays sufficient is kept.
    """
    if len(removals) == 1:
        return [0]
    order = sorted(range(len(removals)), key=lambda i: (-strengths[i], i))
    masks = []
    cur = keep.copy()
    for i in order:
        cur = cur.copy()
        cur[removals[i]] = False
        masks.append(cur)
    last_ok, _ = tracker.passes(masks[-1][None])
    if last_ok[0]:
        return order
    ok, _ = tracker.passes(np.stack(masks[1:-1])) if len(masks) > 2 else (np.zeros(0, bool), None)
    j = 1
    for k, good in enumerate(ok, start=2):
        if good:
            j = k
    return order[:j]


def _prune(tracker: _Tracker, keep: np.ndarray, rng: np.random.Generator, max_calls: int,
           min_block: int) -> np.ndarray:
    oracle = tracker.oracle
    blocks: list[np.ndarray] = [np.flatnonzero(keep)]
    while blocks and oracle.n_calls < max_calls:
        plans = []  # (block index, removal candidates, remaining blocks per candidate, split blocks)
        masks = []
        for bi, blk in enumerate(blocks):
            if len(blk) <= min_block:
                cands = [blk]
                rests = [[]]
                split = [blk]
            else:
                c = _cut(len(blk), rng)
                left, right = blk[:c], blk[c:]
                cands = [left, right]
                rests = [[right], [left]]
                split = [left, right]
            plans.append((bi, cands, rests, split))
            for cand in cands:
                m = keep.copy()
                m[cand] = False
                masks.append(m)
        ok, tp = tracker.passes(np.stack(masks))
        k = 0
        removals, strengths, outcome = [], [], {}
        for bi, cands, rests, split in plans:
            n = len(cands)
            passed = [k + i for i in range(n) if ok[k + i]]
            if passed:
                best = max(passed, key=lambda j: (tp[j], -j))
                ci = best - k
                removals.append(cands[ci])
                strengths.append(float(tp[best]))
                outcome[bi] = ("remove", len(removals) - 1, rests[ci])
            elif n == 1:
                outcome[bi] = ("final", None, [])
            else:
                outcome[bi] = ("split", None, split)
            k += n
        accepted = set(_accept(tracker, keep, removals, strengths)) if removals else set()
        new_blocks: list[np.ndarray] = []
        for bi, blk in enumerate(blocks):
            kind, ri, nxt = outcome[bi]
            if kind == "remove":
                if ri in accepted:
                    keep[removals[ri]] = False
                    new_blocks.extend(nxt)
                else:
                    new_blocks.append(blk)  # retry in the new context
            elif kind == "split":
                new_blocks.extend(nxt)
        blocks = [b for b in new_blocks if len(b)]
    return keep


def _one_minimal(tracker: _Tracker, keep: np.ndarray, limit: int, max_calls: int) -> np.ndarray:
    """Drop single bins while the set stays sufficient (a batch per pass)."""
    while 1 < keep.sum() <= limit and tracker.oracle.n_calls < max_calls:
        idx = np.flatnonzero(keep)
        masks = np.repeat(keep[None], len(idx), axis=0)
        masks[np.arange(len(idx)), idx] = False
        ok, tp = tracker.passes(masks)
        if not ok.any():
            break
        cand = np.flatnonzero(ok)
        acc = _accept(tracker, keep, [idx[[c]] for c in cand], [float(tp[c]) for c in cand])
        for a in acc:
            keep[idx[cand[a]]] = False
    return keep


def search(oracle: MaskEvaluator, *, seed: int, contrastive: bool, complete: bool, prior: str,
           max_calls: int, min_block: int, final_check: int) -> SearchResult:
    """Run the strategy; see the module docstring."""
    K = oracle.n_bins
    rng = np.random.default_rng(seed)
    tracker = _Tracker(oracle)
    order = np.lexsort((np.arange(K), -oracle.magnitude))
    keep = np.ones(K, dtype=bool)
    if prior == "magnitude":
        m = first_prefix(order, K, lambda masks: tracker.passes(masks)[0], mode="gallop", bisect=False,
                         include_total=False)
        if m is not None:
            keep = prefix_masks(order, [m], K)[0]
    start_size = int(keep.sum())
    prior_calls = oracle.n_calls
    budget = oracle.n_calls + max_calls
    keep = _prune(tracker, keep, rng, budget, min_block)
    if final_check:
        keep = _one_minimal(tracker, keep, final_check, budget)
    found = bool(keep.sum() < K)
    size = keep.sum()
    resp = size / tracker.best
    ranking = rank_bins(resp, tiebreak=oracle.magnitude)
    extra = {"start_size": start_size, "prior_calls": prior_calls, "prune_calls": oracle.n_calls - prior_calls}
    extra.update(extract_extras(oracle, keep, ranking, contrastive=contrastive, complete=complete,
                                mode="gallop"))
    return SearchResult(keep=keep, responsibility=resp, found=found, ranking=ranking, extra=extra)

