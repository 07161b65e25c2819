"""The default strategy (``strategy="suffice"``): silence, a magnitude-prior prefix, causal pruning,
a 1-minimality check and a prior-free second start, all under one model-call budget.

Design (ours; the paper's freqrex is built on ReX, see :mod:`suffice.search.strategies.rex`):

0. **Silence.**  The empty set is tested first (one call); its class is recorded.  If silence (the
   floor: the fill alone, under a non-silent ``fill``) already gives the target class, the empty set is
   the (verified, 1-minimal) answer.
1. **Prior prefix.**  Rank the bins by magnitude |X_k|.  Test the prefixes of 1, 2, 4, ... bins of
   that ranking in *one* batch (about log2 K model calls), then bisect between the last failing and
   the first passing length until they are within 1/8 of each other (about 3 calls; a start set up
   to half as large saves about one call per needed bin), and start from the shortest passing
   prefix tested; when none is (or ``prior="none"``) start from all bins.  When that prefix holds
   more than ``BAND_MIN`` bins, or none passed (``band_priors``), the same is done with the band
   rankings of :mod:`suffice.search.rankings` (each log-frequency band's own loudest bins first), each
   cut below the shortest passing length so far, and the search starts from the shortest passing
   prefix of any ranking (about 10 calls a ranking; a model that needs a little of every band, as a
   log-mel front end does, passes there with far fewer bins).
2. **Causal pruning.**  The current sufficient set ``S`` is held as blocks of bins (runs of the sorted
   kept bins; at first one block).  A block is either *known* (its removal failed: it holds a needed
   bin) or *untested*.  Every round an untested block's removal is tested whole; a known block is
   cut into two parts at a seeded random point and only the removal of its quieter part is tested:
   if that part can go, the other is known (it holds the needed bin) without a call; if not, the
   quieter part is known and the other is tested whole next round (generalised binary splitting:
   about 1.5 instead of 2 calls per level of a needed bin's halving).  All the
   interventions of a round go to the model as one batch.  Parts whose removal keeps the class (and δ-confidence) are removal candidates;
   they are applied together if that passes (one call), otherwise the longest passing prefix of them,
   strongest first, is found by bisection, and the candidates behind the first one that could not
   go are tried the same way on the reduced set while that removes something (``chain``: parts that
   can each go alone but not together); the others are retried next round in the new context.
   Parts that cannot go become blocks of their own; a single bin that cannot go waits for step 3.
   In the first round the two loudest bins of the prior's set are also tried alone (a loud bin can
   hurt a non-monotone model, and is then found at once instead of at the bottom of the halving);
   when one of them goes, the first round's other verdicts are retested in the new context.
   Every accepted set was evaluated and passed, so ``S`` stays sufficient.
3. **1-minimality.**  Every kept bin is tested for removal against the current ``S`` (one batch,
   any set size); removals that pass are applied as above, the candidates that stayed are retested
   in the new context until none of them can go, and the full pass repeats until no bin can go, so
   bins are retested whenever their context changed.  ``verified_minimal`` says it completed.
4. **Second start** (``restart``): the prior can trap the search (the loudest bins may be needed
   together while one quiet bin alone would do).  If the complement of the first set is sufficient
   (one call; skipped when the first set has one bin), steps 2-3 run again from that complement; it is abandoned once it stops halving while
   no smaller than the first set, or after ``restart_share`` x the first start's calls (at least
   ``2 log2 K + 8``).  The smallest verified set is returned.
5. **Smallest seen.**  A part that could go alone may have been kept because a stronger one went first,
   so a passing mask smaller than the set of steps 2-4 may have been evaluated; while one was, it is
   pruned by steps 2-3 as well (each time the set shrinks).  A search that finished within its budget
   therefore returns a verified 1-minimal set, never a larger or an unverified one.

**Budget.**  One ceiling on every model call of the explanation: see :func:`search`.

Responsibility (our proxy, in [0, 1]): for each bin, ``|S| / |W_b|`` where ``W_b`` is the smallest
sufficient mask evaluated that contains the bin (the whole spectrum counts as evaluated) and ``S``
the returned set, the smallest sufficient mask evaluated.  Ties are broken by magnitude.

Contrastive (``necessary_keep``): the shortest prefix of the ranking, on top of ``S``, that is
sufficient and whose complement loses the class, then pruned (steps 2-3 with that predicate, ``S``
kept) until every added bin is needed for both conditions; a candidate's complement is tested first and
the candidate itself only where the complement lost the class.  Complete: ``S`` plus the highest-ranked
bins until the confidence matches the original to 2 d.p., then pruned the same way.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ...errors import OptionError
from ..evaluator import BudgetExhausted, MaskEvaluator
from ..extraction import first_prefix, prefix_masks
from ..options import Option
from ..predicates import Predicate
from .. import predicates
from ..rankings import band_order, magnitude_order
from ..result import SearchResult, rank_bins

NAME = "suffice"
#: searches whatever units the oracle presents (bins, or atoms: suffice.search.resolution)
SEARCHES_ATOMS = True
OPTIONS: tuple[Option, ...] = (
    Option("prior", str, "magnitude", "ranking of the first prefix; 'none' starts from all bins",
           choices=("magnitude", "none")),
    Option("max_calls", int, None, "cap on every model call of one explanation, the original "
           "included; None: adaptive (auto_min_calls .. auto_max_calls; verify_max_calls for a 1-minimality "
           "pass that fits it)", min=1, none_ok=True),
    Option("auto_min_calls", int, 1000, "adaptive budget (max_calls=None): never below this", min=1),
    Option("auto_max_calls", int, 1500, "adaptive budget (max_calls=None): never above this, except for "
           "verify_max_calls (a cap on the studies' model time)", min=1),
    Option("verify_max_calls", int, 2500, "adaptive budget: a 1-minimality pass (step 3) of the sufficient "
           "set that begins within auto_max_calls and is projected to finish here (calls so far + "
           "VERIFY_PROJECTION x its size) may run up to this many calls; what follows it (second start, "
           "contrastive and complete sets) keeps auto_max_calls (at or below auto_max_calls: no extension)",
           min=1),
    Option("band_priors", bool, True, "when the magnitude prefix is long (or none passes), also try "
           "the band rankings' prefixes and start from the shortest passing one"),
    Option("chain", bool, True, "after the longest passing group of removals, try the ones behind the "
           "first that could not go again on the reduced set (removals that can each go but not together: "
           "fewer calls on such pairs)"),
    Option("min_block", int, 1, "blocks of at most this many bins are tested whole, never split", min=1),
    Option("verify", bool, True, "1-minimality pass at any set size (every kept bin tested for "
           "removal in the final context)"),
    Option("restart", bool, True, "prior-free second start from the complement of the first set "
           "when that complement is sufficient (a way out of the prior's trap)"),
    Option("restart_share", float, 0.25, "calls the second start may spend before it beats the first "
           "set, as a share of the first start's calls", min=0.0, max=100.0),
)
#: the prior prefix's bisection stops within this share of the passing length (a start set up to this
#: much too large costs fewer calls than bisecting further)
PRIOR_TOL = 1 / 8
#: the loudest bins of the first set, each tested for removal alone in the first round (a loud bin can
#: hurt a non-monotone model)
LOUD_FIRST = 2
#: the band rankings the prior also tries (kind, bands), in this order, when the magnitude prefix holds
#: more than BAND_MIN bins (more verified sets at fewer calls on real models; a few calls more where no
#: band helps)
BAND_RANKINGS: tuple[tuple[str, int], ...] = (("within", 64), ("relative", 16), ("relative", 32))
BAND_MIN = 64
#: step 3 of the sufficient set is given ``verify_max_calls`` when the calls so far plus this many per
#: kept bin fit there (a pass, a confirming pass and their acceptances)
VERIFY_PROJECTION = 3


def check_options(opts: dict) -> None:
    """Checks across options (each value is already checked on its own)."""
    if opts["auto_min_calls"] > opts["auto_max_calls"]:
        raise OptionError(f"auto_min_calls ({opts['auto_min_calls']}) must not exceed auto_max_calls "
                          f"({opts['auto_max_calls']})")


class _Out(Exception):
    """The budget is spent (raised inside the search, caught where a verified set is at hand)."""


class _Search:
    """Shared state of one explanation: the oracle, its budget, the per-bin smallest witnesses."""

    def __init__(self, oracle: MaskEvaluator, rng: np.random.Generator, *, max_calls: int | None,
                 auto: tuple[int, int], min_block: int, chain: bool = True, verify_max: int = 0) -> None:
        self.oracle, self.rng, self.min_block, self.chain = oracle, rng, min_block, chain
        self.K = oracle.n_bins
        self.budget = oracle.budget
        if max_calls is not None:
            self.budget.fix(max_calls)
        else:
            self.budget.adapt(*auto, verify_max)     # verify_max: step 3's top (see VERIFY_PROJECTION)
        self.best = np.full(self.K, float(self.K))     # size of the smallest passing mask holding the bin
        self.smallest = np.ones(self.K, dtype=bool)    # the smallest passing mask seen
        self.exhausted = False
        self.sufficient = predicates.sufficient(oracle, self._witness, funded=True)

    # ---- budget -------------------------------------------------------------------------------
    def evaluate(self, pred: Predicate, masks: np.ndarray, *, reserve: int = 0,
                 partial: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``pred`` on ``masks``; with ``partial`` only the leading masks that fit the budget are
        tested (the result is then shorter); otherwise the budget running out raises :class:`_Out`."""
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
            raise _Out from None

    # ---- predicates ---------------------------------------------------------------------------
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

    # ---- pruning ------------------------------------------------------------------------------
    def _halves(self, blk: np.ndarray) -> list[np.ndarray]:
        """``blk`` cut in two at a seeded random point of its middle half (``[blk]``: at most
        ``min_block`` bins, never split)."""
        n = len(blk)
        if n <= self.min_block:
            return [blk]
        c = n // 2 if n < 4 else int(self.rng.integers(n // 4, 3 * n // 4 + 1))
        return [blk[:c], blk[c:]]

    def _accept(self, pred: Predicate, keep: np.ndarray, removals: list[np.ndarray],
                strengths: list[float]) -> np.ndarray:
        """``keep`` minus the removals that can go together: all of them if that passes, else the
        longest passing prefix, strongest first (bisection; the first one passed on its own).

        With ``chain`` the removals after the first one that could not go are tried the same way on
        the reduced set (every accepted set was tested and passed), while each such step removes
        something; the removals left out are the caller's to retry."""
        order = sorted(range(len(removals)), key=lambda i: (-strengths[i], i))
        base, lo0 = keep, 1          # the first removal passed on its own, from ``keep``

        def without(j: int) -> np.ndarray:   # ``base`` minus the first j removals of ``order``
            m = base.copy()
            if j:
                m[np.concatenate([removals[i] for i in order[:j]])] = False
            return m

        while order:
            if lo0 == 1 and len(order) == 1:
                return without(1)
            if pred.funded:   # the adaptive budget funds this step's tests (sufficient set)
                self.budget.want(2 + math.ceil(math.log2(len(order) + 1)))
            lo, hi = lo0, len(order)   # without(lo) passes (tested); does without(hi)?
            try:
                last = without(hi)
                if self.evaluate(pred, last[None])[0][0]:
                    return last
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if self.evaluate(pred, without(mid)[None])[0][0]:
                        lo = mid
                    else:
                        hi = mid
            except _Out:
                return without(lo)
            # without(lo + 1) failed: removal order[lo] cannot go from without(lo); the rest is tried there
            if not self.chain or (lo == 0 and lo0 == 0):
                return without(lo)
            base, order, lo0 = without(lo), order[lo + 1:], 0
        return base

    def reduce(self, keep: np.ndarray, pred: Predicate, *, protected: np.ndarray | None = None,
               verify: bool = True, give_up: Callable[[int, int | None], bool] | None = None,
               loud_first: int = 0) -> tuple[np.ndarray, bool, bool]:
        """Prune ``keep`` (which passes ``pred``) by steps 2-3; ``protected`` bins are never removed.

        Returns ``(keep, verified_minimal, abandoned)``; stops early (unverified) when the budget is
        spent or ``give_up(size, previous_size)`` says so after a round.
        """
        keep = keep.copy()
        free = keep if protected is None else keep & ~protected
        n0 = max(int(free.sum()), 1)
        # a block is (bins, known): ``known`` blocks failed to go as a whole (they hold a needed bin) and
        # are halved; the others are tested whole first
        blocks: list[tuple[np.ndarray, bool]] = [(np.flatnonzero(free), True)] if free.any() else []
        if loud_first and free.sum() > 2 * loud_first:
            # the loudest bins can also hurt (a non-monotone model): each is tried alone in round 1
            idx = np.flatnonzero(free)
            loud = idx[np.lexsort((idx, -self.oracle.magnitude[idx]))[:loud_first]]
            blocks = [(np.setdiff1d(idx, loud), False)] + [(np.array([b]), False) for b in sorted(loud)]
        needed, first_round, history = 0, True, []
        try:
            while blocks and not self.exhausted:
                plans, masks = [], []
                for blk, known in blocks:
                    parts = self._halves(blk) if known else [blk]
                    if known and len(parts) == 1:        # a needed bin (or unsplittable block): step 3
                        plans.append((parts, []))
                        continue
                    if known:
                        # the quieter half is tested; if it can go, the other holds the needed bin
                        e = [float(self.oracle.magnitude[p].sum()) for p in parts]
                        tested = [int(np.argmin([e[0], e[1]]))]
                    else:
                        tested = [0]
                    plans.append((parts, tested))
                    for j in tested:
                        m = keep.copy()
                        m[parts[j]] = False
                        masks.append(m)
                history.append(int(keep.sum()))
                if masks:
                    ok, tp = self.evaluate(pred, np.stack(masks), reserve=2, partial=True)
                else:
                    ok, tp = np.zeros(0, bool), np.zeros(0)
                n_tested = len(ok)
                k = 0
                removals, strengths, nxt, carried, needed = [], [], [], [], 0
                for (blk, known), (parts, tested) in zip(blocks, plans):
                    if not tested:
                        needed += 1
                        continue
                    if k + len(tested) > n_tested:       # not tested (budget): carried unchanged
                        carried.append((blk, known))
                        k += len(tested)
                        continue
                    res = {j: bool(ok[k + i]) for i, j in enumerate(tested)}
                    str_ = {j: float(tp[k + i]) for i, j in enumerate(tested)}
                    k += len(tested)
                    any_ok = any(res.values())
                    for j, part in enumerate(parts):
                        if j not in res:                 # untested: known needed if the other could go
                            nxt.append((part, any_ok))
                            continue
                        if res[j]:
                            removals.append(part)
                            strengths.append(str_[j])
                        elif len(part) > 1 and len(part) > self.min_block:
                            nxt.append((part, True))
                            needed += 1
                        else:
                            needed += 1                  # a bin (or whole block) that cannot go now
                if removals:
                    new = self._accept(pred, keep, removals, strengths)
                    gone = keep & ~new
                    keep = new
                    for part in removals:                # rejected removals: retried next round
                        if keep[part].any():
                            nxt.append((part[keep[part]], False))
                    if first_round and loud_first and any(len(p) == 1 for p in removals):
                        # a loud bin could go: the verdicts of this round came in the old context
                        # (a non-monotone model), so the blocks that could not go are retested whole
                        nxt = [(b, False) for b, _ in nxt]
                    del gone
                first_round = False
                blocks = sorted(nxt + carried, key=lambda b: int(b[0][0]))
                if self.budget.adaptive:
                    d = max(needed + len(blocks), 1)
                    self.budget.want(3 * d * math.log2(max(2.0, n0 / d)) + 2 * d + 2 * len(blocks))
                # (one part of a block is tested a round: progress is judged over two rounds)
                if give_up is not None and give_up(int(keep.sum()), history[-2] if len(history) > 1 else None):
                    return keep, False, True
            if self.exhausted:
                return keep, False, False
            if not verify:
                return keep, False, False
            return self._one_minimal(keep, pred, protected)
        except _Out:
            return keep, False, False

    def _one_minimal(self, keep: np.ndarray, pred: Predicate, protected: np.ndarray | None
                     ) -> tuple[np.ndarray, bool, bool]:
        """Step 3 (see :meth:`_passes`), under ``verify_max_calls`` when the adaptive budget allows it:
        for the sufficient set, when the calls so far plus ``VERIFY_PROJECTION`` per kept bin fit there.
        The ceiling goes back to ``auto_max_calls`` afterwards (no calls beyond it for what follows)."""
        if not pred.funded:
            return self._passes(keep, pred, protected)
        free = keep if protected is None else keep & ~protected
        with self.budget.verifying(VERIFY_PROJECTION * int(free.sum())):
            return self._passes(keep, pred, protected)

    def _passes(self, keep: np.ndarray, pred: Predicate, protected: np.ndarray | None
                ) -> tuple[np.ndarray, bool, bool]:
        """Step 3: drop single bins until none can go; verified when every bin was tested.

        A full pass tests every kept bin; when some can go, the longest passing group of them goes
        (:meth:`_accept`) and, before the next full pass, only the candidates that stayed are
        retested (in the new context) until none of them can go.  Only a full pass in which no bin
        could go verifies the set.
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
            self.budget.want(len(idx) + 4)
            masks = np.repeat(keep[None], len(idx), axis=0)
            masks[np.arange(len(idx)), idx] = False
            try:
                ok, tp = self.evaluate(pred, masks, reserve=2, partial=True)
            except _Out:
                return keep, False, False
            if len(ok) < len(idx):                # the budget ran out within the pass
                if ok.any():
                    cand = np.flatnonzero(ok)
                    keep = self._accept(pred, keep, [idx[[c]] for c in cand], [float(tp[c]) for c in cand])
                return keep, False, False
            if not ok.any():
                if pending is None:
                    return keep, True, False
                pending = None
                continue
            cand = np.flatnonzero(ok)
            keep = self._accept(pred, keep, [idx[[c]] for c in cand], [float(tp[c]) for c in cand])
            if self.exhausted:
                return keep, False, False
            stayed = idx[cand][keep[idx[cand]]]
            pending = stayed if len(stayed) else None


def _prior_prefix(S: _Search, band_priors: bool, meta: dict) -> tuple[np.ndarray, int | None]:
    """Step 1: (the ranking, the length of its shortest passing prefix found, or None)."""
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


def _ranking(S: _Search, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    size = float(keep.sum())
    resp = np.clip(size / S.best, 0.0, 1.0)
    return resp, rank_bins(resp, tiebreak=S.oracle.magnitude)


def _extend(S: _Search, keep: np.ndarray, ranking: np.ndarray, pred: Predicate
            ) -> tuple[np.ndarray | None, bool]:
    """``keep`` plus the shortest passing prefix of the other bins in ``ranking`` order, then pruned
    with ``keep`` protected.  Returns ``(set, finished)``: the set (None when nothing passed or the
    budget ran out first) and whether the search finished within the budget (then a set returned is
    verified: every added bin was tested for removal in the final context)."""
    K = S.K
    rest = ranking[~keep[ranking]]
    try:
        if S.evaluate(pred, keep[None])[0][0]:
            return keep.copy(), True
        m = first_prefix(rest, K, lambda masks: S.evaluate(pred, masks)[0], mode="gallop", start=1,
                         base=keep)
    except _Out:
        return None, False
    if m is None:
        return None, not S.exhausted
    start = prefix_masks(rest, [m], K, base=keep)[0]
    out, verified, _ = S.reduce(start, pred, protected=keep)
    return out, verified


def search(oracle: MaskEvaluator, *, seed: int, contrastive: bool, complete: bool, prior: str,
           max_calls: int | None, auto_min_calls: int, auto_max_calls: int, verify_max_calls: int,
           band_priors: bool, chain: bool,
           min_block: int, verify: bool, restart: bool, restart_share: float) -> SearchResult:
    """A sufficient set of the units ``oracle`` presents, pruned to 1-minimal within the budget.

    The steps (silence, prior prefix, causal pruning, 1-minimality, second start, smallest seen) are
    those of the module docstring; :func:`suffice.explain` validates every option before this runs.

    Args:
        oracle: the :class:`~suffice.search.evaluator.MaskEvaluator` of one (model, clip, target), or an
            :class:`~suffice.search.resolution.AtomView` of it (the units are then atoms of bins).  Its
            budget (:class:`~suffice.search.budget.Budget`) is fixed here, or run by its adaptive policy.
        seed: seeds the cut points of the pruning: the same seed and options give the same result,
            whatever the evaluator's batch size.
        contrastive: also search ``necessary_keep``: ``keep`` plus units, sufficient and whose complement
            loses the class, pruned until every added unit is needed for both.
        complete: also search ``complete_keep``: ``keep`` plus units until the confidence matches the
            original's to 2 d.p., pruned the same way.
        prior: ``"magnitude"`` starts from the shortest passing prefix of the magnitude ranking (and of
            the band rankings, see ``band_priors``), tries the loudest units alone first and allows the
            second start; ``"none"`` starts from all units, without either.
        max_calls: cap on every model call of the explanation, the original clip included; never
            exceeded.  None: the adaptive budget below.
        auto_min_calls: adaptive budget: never below this.
        auto_max_calls: adaptive budget: never above this, except for ``verify_max_calls``.
        verify_max_calls: adaptive budget: the ceiling of a 1-minimality pass of the sufficient set that
            begins within ``auto_max_calls`` and is projected (``VERIFY_PROJECTION`` calls per kept unit)
            to end here.
        band_priors: when the magnitude prefix holds more than ``BAND_MIN`` units (or none passes), also
            try the prefixes of ``BAND_RANKINGS``.
        chain: after the longest passing group of removals, retry the ones behind the first that could not
            go on the reduced set.
        min_block: blocks of at most this many units are tested whole, never halved.
        verify: run the 1-minimality pass (without it ``verified_minimal`` is False).
        restart: run the prior-free second start from the complement of the first set when it is
            sufficient.
        restart_share: the calls the second start may spend before it beats the first set, as a share of
            the first start's calls (at least ``2 log2 K + 8``).

    Returns:
        :class:`~suffice.search.result.SearchResult` over the oracle's units:

        * ``keep``: the smallest sufficient set evaluated and pruned (all units when ``found`` is False);
          ``found``: it is short of every unit.
        * ``verified_minimal``: every kept unit was tested for removal against the final set and none
          could go; ``budget_exhausted``: the budget stopped the search (``keep`` is still sufficient).
        * ``responsibility`` (``|keep| / |W_u|``, ``W_u`` the smallest sufficient mask evaluated that holds
          unit ``u``) and ``ranking`` (units by responsibility, ties by magnitude).
        * ``silence_index``: the class of the empty set (None when the budget ran out before it).
        * ``search_calls``: the calls spent until ``keep`` was settled; the contrastive and complete sets
          (``necessary_keep``, ``necessary_found``, ``necessary_budget_cut``, ``complete_keep``,
          ``complete_confidence``) come after, and are not searched once the budget is spent.
        * ``meta``: diagnostics (the prior used, the start size, the calls of each phase, the second
          start's outcome, the final ceiling).

    Budget:
        Every model call counts against ``oracle.budget``: silence, the prior, the pruning, the second
        start, the contrastive and complete sets.  A batch that would pass the ceiling is cut to what
        fits, and the search returns the smallest set verified sufficient so far.  Under the adaptive
        budget (``max_calls=None``) the ceiling starts at ``auto_min_calls`` and is raised as the pruning
        learns how many units are needed (about ``3 d log2(|S0| / d) + 2 d`` calls for ``d`` needed
        parts of a start set ``S0``, and each group of the sufficient set's removals funded to its end), up to ``auto_max_calls``, or ``verify_max_calls`` for the
        sufficient set's 1-minimality pass (verifying a ``k``-unit set of a non-monotone model needs at
        least ``k`` calls in its final context, so a set found late would otherwise be cut just before
        it is verified); it goes back to ``auto_max_calls`` after that pass, so what follows (the second
        start, the contrastive and complete sets) gets no calls beyond it.
    """
    K = oracle.n_bins
    S = _Search(oracle, np.random.default_rng(seed), max_calls=max_calls,
                auto=(auto_min_calls, auto_max_calls), min_block=min_block, chain=chain,
                verify_max=verify_max_calls)
    meta: dict = {}
    keep, verified = np.ones(K, dtype=bool), False
    silence = None
    try:
        empty = np.zeros((1, K), dtype=bool)
        passed = S.evaluate(S.sufficient, empty)[0][0]
        silence = int(oracle.label_of(empty)[0])
        if passed:
            keep, verified = empty[0], True
        else:
            start = np.ones(K, dtype=bool)
            if prior == "magnitude":
                order, m = _prior_prefix(S, band_priors, meta)
                if m is not None:
                    start = prefix_masks(order, [m], K)[0]
            meta["start_size"] = int(start.sum())
            meta["prior_calls"] = oracle.n_calls
            keep, verified, _ = S.reduce(start, S.sufficient, verify=verify,
                                         loud_first=LOUD_FIRST if prior == "magnitude" else 0)
            meta["prune_calls"] = oracle.n_calls - meta["prior_calls"]
            if restart and prior == "magnitude" and keep.sum() > 1 and not keep.all() and not S.exhausted:
                keep, verified = _second_start(S, keep, verified, restart_share, verify, meta)
        keep, verified = _smallest_seen(S, keep, verified, verify, meta)
    except _Out:
        pass
    if S.smallest.sum() < keep.sum():     # never return a larger set than one already evaluated
        keep, verified = S.smallest.copy(), False
    found = bool(keep.sum() < K)
    resp, ranking = _ranking(S, keep)
    res = SearchResult(keep=keep, responsibility=resp, found=found, ranking=ranking,
                       verified_minimal=bool(verified and found), silence_index=silence,
                       search_calls=oracle.n_calls, meta=meta)
    if contrastive and not S.exhausted:
        nec, finished = _extend(S, keep, ranking, S.contrastive())
        res.necessary_keep, res.necessary_found = nec, nec is not None
        res.necessary_budget_cut = not finished
    elif contrastive:
        res.necessary_found, res.necessary_budget_cut = False, True
    if complete and not S.exhausted:
        ck, _ = _extend(S, keep, ranking, predicates.complete(oracle))
        res.complete_keep = np.ones(K, dtype=bool) if ck is None else ck
    elif complete:
        res.complete_keep = np.ones(K, dtype=bool)
    if res.complete_keep is not None:
        res.complete_confidence = float(oracle.target_prob(res.complete_keep[None])[0]) \
            if oracle.is_known(res.complete_keep) else None
    res.budget_exhausted = bool(S.exhausted)
    meta["budget"] = oracle.budget.cap
    return res


def _smallest_seen(S: _Search, keep: np.ndarray, verified: bool, verify: bool, meta: dict
                   ) -> tuple[np.ndarray, bool]:
    """Step 5: while a passing mask smaller than ``keep`` was evaluated along the way (a part that could
    go alone, not kept because a stronger one went first), prune that mask by steps 2-3 too; each round
    strictly shrinks the set, and the result is never larger than the smallest mask seen."""
    rounds = 0
    while S.smallest.sum() < keep.sum() and not S.exhausted:
        rounds += 1
        keep, verified, _ = S.reduce(S.smallest.copy(), S.sufficient, verify=verify)
    if rounds:
        meta["smallest_seen_rounds"] = rounds
    return keep, verified


def _second_start(S: _Search, keep: np.ndarray, verified: bool, share: float, verify: bool,
                  meta: dict) -> tuple[np.ndarray, bool]:
    """Step 4: steps 2-3 from the complement of ``keep`` when it is sufficient; the smaller set wins."""
    oracle = S.oracle
    t0 = oracle.n_calls
    comp = ~keep
    S.budget.want(1)
    if not S.evaluate(S.sufficient, comp[None])[0][0]:
        meta["restart"] = "complement fails"
        return keep, verified
    first = int(keep.sum())
    limit = max(share * t0, 2 * math.log2(max(S.K, 2)) + 8)

    def give_up(size: int, before: int | None) -> bool:
        if size < first:
            return False
        return oracle.n_calls - t0 > limit or (before is not None and size > 0.8 * before)

    S.budget.want(limit + 4)
    other, ver2, abandoned = S.reduce(comp, S.sufficient, verify=verify, give_up=give_up)
    meta["restart_calls"] = oracle.n_calls - t0
    if not abandoned and other.sum() < first:
        meta["restart"] = "smaller"
        return other, ver2
    meta["restart"] = "abandoned" if abandoned else "not smaller"
    return keep, verified
