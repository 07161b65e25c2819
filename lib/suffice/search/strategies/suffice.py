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
   about 1.5 instead of 2 calls per level of a needed bin's halving).  All the interventions of a
   round go to the model as one batch.  Parts whose removal keeps the class (and δ-confidence) are
   removal candidates; they are applied together if that passes (one call), otherwise the longest
   passing prefix of them, strongest first, is found by bisection, and the candidates behind the
   first one that could not go are tried the same way on the reduced set while that removes
   something (``chain``: parts that can each go alone but not together); the others are retried next
   round in the new context.
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
   (one call; skipped when the first set has one bin), steps 2-3 run again from that complement; it
   is abandoned once it stops halving while no smaller than the first set, or after
   ``restart_share`` x the first start's calls (at least ``2 log2 K + 8``).  The smallest verified set is returned.
5. **Smallest seen.**  A part that could go alone may have been kept because a stronger one went first,
   so a passing mask smaller than the set of steps 2-4 may have been evaluated; while one was, it is
   pruned by steps 2-3 as well (each time the set shrinks).  A search that finished within its budget
   therefore returns a verified 1-minimal set, never a larger or an unverified one.

**Budget.**  One ceiling on every model call of the explanation: see :func:`search`.

The steps live in :mod:`suffice.search.strategies.suffice_steps`, one module each (the constants named
here are theirs: ``prior.BAND_MIN``, ``prior.BAND_RANKINGS``, ``verify.VERIFY_PROJECTION``); this module
declares the options and runs the steps in order.

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

import numpy as np

from ...errors import OptionError
from .. import predicates
from ..evaluator import MaskEvaluator
from ..extraction import prefix_masks
from ..options import Option
from ..result import SearchResult
from .suffice_steps.extend import extend
from .suffice_steps.prior import prior_prefix
from .suffice_steps.prune import reduce
from .suffice_steps.restart import second_start, smallest_seen
from .suffice_steps.state import Out, Search

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
#: the loudest bins of the first set, each tested for removal alone in the first round (a loud bin can
#: hurt a non-monotone model)
LOUD_FIRST = 2


def check_options(opts: dict) -> None:
    """Checks across options (each value is already checked on its own)."""
    if opts["auto_min_calls"] > opts["auto_max_calls"]:
        raise OptionError(f"auto_min_calls ({opts['auto_min_calls']}) must not exceed auto_max_calls "
                          f"({opts['auto_max_calls']})")



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
            begins within ``auto_max_calls`` and is projected (``verify.VERIFY_PROJECTION`` calls per kept unit)
            to end here.
        band_priors: when the magnitude prefix holds more than ``prior.BAND_MIN`` units (or none passes),
            also try the prefixes of ``prior.BAND_RANKINGS``.
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
        parts of a start set ``S0``, and each group of the sufficient set's removals funded to its end),
        up to ``auto_max_calls``, or ``verify_max_calls`` for the sufficient set's 1-minimality pass
        (verifying a ``k``-unit set of a non-monotone model needs at least ``k`` calls in its final
        context, so a set found late would otherwise be cut just before it is verified); it goes back
        to ``auto_max_calls`` after that pass, so what follows (the second start, the contrastive and
        complete sets) gets no calls beyond it.
    """
    K = oracle.n_bins
    S = Search(oracle, np.random.default_rng(seed), max_calls=max_calls,
               auto=(auto_min_calls, auto_max_calls), min_block=min_block, chain=chain,
               verify_max=verify_max_calls)
    meta: dict = {}
    keep, verified = np.ones(K, dtype=bool), False
    silence = None
    try:
        empty = np.zeros((1, K), dtype=bool)
        passed = S.passes(S.sufficient, empty[0])
        silence = int(oracle.label_of(empty)[0])
        if passed:
            keep, verified = empty[0], True
        else:
            start = np.ones(K, dtype=bool)
            if prior == "magnitude":
                order, m = prior_prefix(S, band_priors, meta)
                if m is not None:
                    start = prefix_masks(order, [m], K)[0]
            meta["start_size"] = int(start.sum())
            meta["prior_calls"] = oracle.n_calls
            keep, verified, _ = reduce(S, start, S.sufficient, verify=verify,
                                       loud_first=LOUD_FIRST if prior == "magnitude" else 0)
            meta["prune_calls"] = oracle.n_calls - meta["prior_calls"]
            if restart and prior == "magnitude" and keep.sum() > 1 and not keep.all() and not S.exhausted:
                keep, verified = second_start(S, keep, verified, restart_share, verify, meta)
        keep, verified = smallest_seen(S, keep, verified, verify, meta)
    except Out:
        pass
    if S.smallest.sum() < keep.sum():     # never return a larger set than one already evaluated
        keep, verified = S.smallest.copy(), False
    found = bool(keep.sum() < K)
    resp, ranking = S.ranking(keep)
    res = SearchResult(keep=keep, responsibility=resp, found=found, ranking=ranking,
                       verified_minimal=bool(verified and found), silence_index=silence,
                       search_calls=oracle.n_calls, meta=meta)
    if contrastive and not S.exhausted:
        nec, finished = extend(S, keep, ranking, S.contrastive())
        res.necessary_keep, res.necessary_found = nec, nec is not None
        res.necessary_budget_cut = not finished
    elif contrastive:
        res.necessary_found, res.necessary_budget_cut = False, True
    if complete and not S.exhausted:
        ck, _ = extend(S, keep, ranking, predicates.complete(oracle))
        res.complete_keep = np.ones(K, dtype=bool) if ck is None else ck
    elif complete:
        res.complete_keep = np.ones(K, dtype=bool)
    if res.complete_keep is not None:
        res.complete_confidence = float(oracle.target_prob(res.complete_keep[None])[0]) \
            if oracle.is_known(res.complete_keep) else None
    res.budget_exhausted = bool(S.exhausted)
    meta["budget"] = oracle.budget.cap
    return res
