"""The default search on analytic classifiers where the magnitude prior or plain pruning fail.

Each classifier's smallest sufficient set is known exactly (see :mod:`suffice.toys`); every test runs
at two clip lengths.  Estimand: the size (and bins) of the returned set against that exact minimum,
and the honesty of ``found`` / ``budget_exhausted`` / ``verified_minimal``.
"""
from __future__ import annotations

import numpy as np
import pytest

import suffice
from suffice import toys
from suffice.masking import keep_bins

LENGTHS = (8000, 16000)


def _check_invariants(e) -> None:
    assert 0.0 <= float(e.responsibility.min()) and float(e.responsibility.max()) <= 1.0
    if e.found:
        assert e.size < e.n_bins
    else:
        assert e.keep.all()
    if e.verified_minimal:   # (the budget may still have run out later, in the extra sets)
        assert e.found
    if e.strategy == "suffice" and e.options["verify"] and not e.budget_exhausted:
        assert e.verified_minimal == e.found   # finished within the budget: verified (step 5)


@pytest.mark.parametrize("n,seed", [(8000, 0), (8000, 1), (8000, 2), (16000, 0)])
def test_non_monotone_model_gives_its_single_bin(n, seed):
    """Keeping more bins can lose the class (bin b's energy share): the minimum is {a}, verified."""
    model, x = toys.share_clip(n, seed=seed)
    assert np.argmax(model.predict_proba(x[None])[0]) == 0
    e = suffice.explain(model, x, seed=seed)
    _check_invariants(e)
    assert np.flatnonzero(e.keep).tolist() == [model.a]
    assert e.verified_minimal and not e.budget_exhausted
    assert e.silence_label == "other"


def test_non_monotone_model_when_the_harmful_bin_is_not_the_loudest():
    """Three louder tones elsewhere: no shortcut; pruning and re-tests still end at {a}."""
    n = 8000
    model, x = toys.share_clip(n, seed=0)
    x = x + toys.tone_clip([100, 2500, 3900], n, [0.2, 0.2, 0.2], seed=5)
    e = suffice.explain(model, x, seed=0, max_calls=10 ** 5)
    assert np.flatnonzero(e.keep).tolist() == [model.a] and e.verified_minimal


@pytest.mark.parametrize("n", LENGTHS)
def test_silence_already_gives_the_class(n):
    """Silence has no energy in bin b: the empty set is sufficient, found in two model calls."""
    model, x = toys.share_clip(n, with_a=False, seed=0)
    e = suffice.explain(model, x, seed=0)
    assert e.found and e.size == 0 and e.verified_minimal
    assert e.n_model_calls == 2 and e.silence_label == "a"


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("seed", [0, 3])
def test_magnitude_prior_trap(n, seed):
    """All 20 loud tones together, or one quiet tone: the prior leads to the 20, the minimum is 1."""
    model, x = toys.trap_clip(n, seed=seed)
    e = suffice.explain(model, x, seed=seed)
    _check_invariants(e)
    assert np.flatnonzero(e.keep).tolist() == [model.quiet]
    assert e.verified_minimal and e.meta["restart"] == "smaller"
    without = suffice.explain(model, x, seed=seed, restart=False)
    assert without.size == 20 and without.verified_minimal  # 1-minimal, not minimum: why restart exists


@pytest.mark.parametrize("n", LENGTHS)
def test_smooth_softmax_complete_and_necessary_sets_are_exact(n):
    """One tone is sufficient; all three are needed to match the confidence and to be necessary."""
    bins = [n // 40, n // 13, n // 5]
    x = toys.tone_clip(bins + [n // 30, n // 7], n, [0.05, 0.05, 0.05, 0.2, 0.2], noise=0.002, seed=1)
    e = suffice.explain(toys.SoftmaxClassifier(bins), x, seed=0, contrastive=True, complete=True)
    _check_invariants(e)
    assert e.size == 1 and int(np.flatnonzero(e.keep)[0]) in bins
    assert np.flatnonzero(e.complete_keep).tolist() == bins
    assert np.flatnonzero(e.necessary_keep).tolist() == bins
    assert round(e.complete_confidence, 2) == round(e.confidence, 2)


@pytest.mark.parametrize("n", LENGTHS)
def test_conjunction_of_300_random_bins(n):
    """Unbounded budget: exactly the 300 bins, verified.  Default budget: exact, or said to be cut."""
    model, x = toys.conjunction(300, n, seed=0)
    e = suffice.explain(model, x, seed=0, max_calls=10 ** 6)
    _check_invariants(e)
    assert np.array_equal(np.flatnonzero(e.keep), model.bins)
    assert e.verified_minimal and not e.budget_exhausted
    d = suffice.explain(model, x, seed=0)
    _check_invariants(d)
    assert d.keep[model.bins].all() and d.n_model_calls <= 2000
    assert d.verified_minimal == (d.size == 300) and d.budget_exhausted == (not d.verified_minimal)


@pytest.mark.parametrize("n", LENGTHS)
def test_small_budget_is_reported_as_budget_cut_never_not_found(n, counting):
    model, x = toys.conjunction(300, n, seed=0)
    m = counting(model)
    e = suffice.explain(m, x, seed=0, max_calls=200)
    assert e.budget_exhausted and not e.verified_minimal
    assert e.n_model_calls == m.calls <= 200
    assert e.keep[model.bins].all()   # whatever it returns is sufficient
    assert np.argmax(model.predict_proba(e.sufficient_signal[None])[0]) == 0


def test_max_calls_on_a_1000_bin_conjunction_is_never_exceeded(counting):
    model, x = toys.conjunction(1000, 16000, seed=0)
    m = counting(model)
    e = suffice.explain(m, x, seed=0, max_calls=1000, contrastive=True, complete=True)
    assert m.calls == e.n_model_calls <= 1000
    assert e.budget_exhausted and e.found and not e.verified_minimal


@pytest.mark.parametrize("max_calls", [1, 2, 3, 5, 17, 60])
@pytest.mark.parametrize("case", ["trap", "share", "softmax"])
def test_budget_caps_every_call(case, max_calls, counting):
    n = 8000
    if case == "trap":
        model, x = toys.trap_clip(n, seed=0)
    elif case == "share":
        model, x = toys.share_clip(n, seed=0)
    else:
        bins = [200, 615, 1600]
        x = toys.tone_clip(bins + [266], n, [0.05, 0.05, 0.05, 0.2], seed=1)
        model = toys.SoftmaxClassifier(bins)
    m = counting(model)
    e = suffice.explain(m, x, seed=0, max_calls=max_calls, contrastive=True, complete=True, batch_size=4)
    assert m.calls == e.n_model_calls <= max_calls
    _check_invariants(e)
    if not e.budget_exhausted:
        assert e.verified_minimal and (e.necessary_keep is not None) and e.complete_keep is not None
    if max_calls == 1:
        assert e.budget_exhausted and not e.found and e.silence_label is None


def test_whole_spectrum_is_not_found_and_not_budget_cut(rng):
    x = rng.normal(0, 0.2, 1000).astype(np.float32)
    e = suffice.explain(toys.WholeSpectrumClassifier(x), x, seed=0)
    assert not e.found and not e.budget_exhausted and e.keep.all()
    cut = suffice.explain(toys.WholeSpectrumClassifier(x), x, seed=0, max_calls=50)
    assert not cut.found and cut.budget_exhausted and cut.n_model_calls <= 50


@pytest.mark.parametrize("case", ["trap", "share", "softmax", "conjunction"])
def test_batch_size_never_changes_the_result(case):
    n = 8000
    opts = {}
    if case == "trap":
        model, x = toys.trap_clip(n, seed=1)
    elif case == "share":
        model, x = toys.share_clip(n, seed=1)
    elif case == "softmax":
        bins = [200, 615, 1600]
        x = toys.tone_clip(bins + [266], n, [0.05, 0.05, 0.05, 0.2], seed=1)
        model, opts = toys.SoftmaxClassifier(bins), {"contrastive": True, "complete": True}
    else:
        model, x = toys.conjunction(40, n, seed=1)
        opts = {"max_calls": 300}
    ref = suffice.explain(model, x, seed=2, batch_size=1, **opts)
    for bs in (7, 64):
        e = suffice.explain(model, x, seed=2, batch_size=bs, **opts)
        assert e.same_result(ref) and e.meta["budget"] == ref.meta["budget"]


def _eager_contrastive(self):
    """The contrastive predicate as it was: every candidate and its complement evaluated together."""
    from suffice.search.predicates import Predicate
    oracle = self.oracle

    def fn(masks):
        p = oracle.probs(np.concatenate([masks, ~masks]))
        ok, tp = self.sufficient.test(masks)
        return ok & (np.argmax(p[len(masks):], axis=1) != oracle.target_index), tp
    return Predicate(fn, lambda m: np.concatenate([m, ~m]))


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_contrastive_tests_the_complement_first(monkeypatch, batch_size):
    """The necessary set is the one testing both conditions of every candidate gives, at fewer calls,
    whatever the batch size (a 12-tone softmax: the complement loses the class only with most of them)."""
    from suffice.search.strategies.suffice_steps.state import Search
    n = 8000
    bins = [n // 40 + 37 * i for i in range(12)]
    x = toys.tone_clip(bins + [n // 3, n // 4], n, [0.05] * 12 + [0.2, 0.2], noise=0.002, seed=2)
    model = toys.SoftmaxClassifier(bins)
    lazy = suffice.explain(model, x, seed=1, contrastive=True, batch_size=batch_size)
    with monkeypatch.context() as mp:
        mp.setattr(Search, "contrastive", _eager_contrastive)
        eager = suffice.explain(model, x, seed=1, contrastive=True, batch_size=batch_size)
    assert not lazy.budget_exhausted and not eager.budget_exhausted
    assert np.array_equal(lazy.keep, eager.keep) and np.array_equal(lazy.necessary_keep, eager.necessary_keep)
    nec = lazy.necessary_keep
    assert np.argmax(model.predict_proba(suffice.keep_bins(x, ~nec)[None])[0]) != lazy.target_index
    assert lazy.n_model_calls < eager.n_model_calls


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("min_block", [1, 4])
def test_pairs_need_retests_in_the_new_context(n, min_block):
    """Either bin of a pair can go alone, not both: step 3 must retest the bins that stayed after a
    removal.  ``min_block=4`` leaves whole pairs to step 3.  Estimand: the returned set is one of the
    exact 1-minimal sets (one bin of each of the 40 pairs), verified, the same for every batch size."""
    model, x = toys.pairs_clip(n, 40, seed=1)
    ref = suffice.explain(model, x, seed=0, min_block=min_block, batch_size=1)
    _check_invariants(ref)
    assert ref.verified_minimal and not ref.budget_exhausted and model.is_one_minimal(ref.keep)
    for bs in (7, 64):
        assert suffice.explain(model, x, seed=0, min_block=min_block, batch_size=bs).same_result(ref)


def test_a_verified_set_whose_budget_ran_out_later_is_not_budget_cut():
    """``budget_cut`` (one definition for explanations, studies and the benchmark) is "the budget ran
    out before the set was verified 1-minimal": a verified set whose budget ran out in the contrastive
    set is not cut, and its repr does not say so; an unverified one is."""
    from suffice.explanation import budget_cut
    assert budget_cut([True, True, False, np.nan], [False, True, False, False]).tolist()[:3] == [1.0, 0.0, 0.0]
    assert np.isnan(budget_cut(np.nan, False))
    bins = [200, 615, 1600]
    x = toys.tone_clip(bins + [266], 8000, [0.05, 0.05, 0.05, 0.2], seed=1)
    model = toys.SoftmaxClassifier(bins)
    full = suffice.explain(model, x, seed=0, contrastive=True, max_calls=10 ** 5)
    assert full.verified_minimal and not full.budget_exhausted and not full.budget_cut
    later = [e for e in (suffice.explain(model, x, seed=0, contrastive=True, max_calls=mc)
                         for mc in range(full.search_calls, full.n_model_calls))
             if e.verified_minimal and e.budget_exhausted]
    assert later, "no budget lets the set be verified and runs out in the contrastive set"
    for e in later:
        assert not e.budget_cut and "budget-cut" not in repr(e)
    cut = suffice.explain(model, x, seed=0, max_calls=full.search_calls // 2)
    assert cut.budget_cut and "budget-cut" in repr(cut)


@pytest.mark.parametrize("n", LENGTHS)
def test_a_contrastive_set_the_budget_cut_short_says_so(n):
    """``necessary_budget_cut``: False when the contrastive search finished (the set is then the exact
    three tones); True for every budget that ends inside it, and then a set returned still meets both
    conditions (sufficient alone, the class lost without it) and a missing one is not called not found
    by anything but ``necessary_found`` (the flag tells the two apart)."""
    bins = [n // 40, n // 13, n // 5]
    x = toys.tone_clip(bins + [n // 30, n // 7], n, [0.05, 0.05, 0.05, 0.2, 0.2], noise=0.002, seed=1)
    model = toys.SoftmaxClassifier(bins)
    full = suffice.explain(model, x, seed=0, contrastive=True, max_calls=10 ** 5)
    assert not full.necessary_budget_cut and full.summary()["necessary_budget_cut"] is False
    assert np.flatnonzero(full.necessary_keep).tolist() == bins
    assert not suffice.explain(model, x, seed=0).necessary_budget_cut     # not asked for: nothing cut
    outcomes = set()
    for mc in range(full.search_calls, full.n_model_calls):
        e = suffice.explain(model, x, seed=0, contrastive=True, max_calls=mc)
        assert e.n_model_calls <= mc and e.budget_exhausted and e.necessary_budget_cut
        if e.necessary_keep is not None:
            outcomes.add("cut set")
            p = model.predict_proba(np.stack([keep_bins(x, e.necessary_keep),
                                              keep_bins(x, ~e.necessary_keep)]))
            assert p[0].argmax() == e.target_index != p[1].argmax()
        else:
            outcomes.add("cut before a set")
    assert outcomes == {"cut set", "cut before a set"}
    again = suffice.Explanation.from_json(e.to_json())
    assert again.necessary_budget_cut and again.same_result(e)


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_a_verification_that_fits_its_allowance_is_not_cut(batch_size, counting):
    """Adaptive budget, 40-bin conjunction (exact minimum 40): pruning ends inside ``auto_max_calls`` and
    the 1-minimality pass does not.  Without an allowance (``verify_max_calls`` = ``auto_max_calls``) the
    set is budget-cut; with one the pass is funded and the exact 40 bins come back verified, never above
    the allowance, whatever the batch size.  A contrastive set asked for afterwards keeps
    ``auto_max_calls``: it never spends calls beyond it."""
    model, x = toys.conjunction(40, 16000, seed=1)
    budget = dict(auto_min_calls=400, auto_max_calls=600, batch_size=batch_size)
    cut = suffice.explain(model, x, seed=0, verify_max_calls=600, **budget)
    assert cut.budget_exhausted and not cut.verified_minimal and cut.n_model_calls <= 600
    m = counting(model)
    e = suffice.explain(m, x, seed=0, verify_max_calls=2400, **budget)
    assert e.verified_minimal and not e.budget_exhausted
    assert np.array_equal(np.flatnonzero(e.keep), model.bins)
    assert m.calls == e.n_model_calls <= 2400
    c = suffice.explain(model, x, seed=0, verify_max_calls=2400, contrastive=True, **budget)
    assert np.array_equal(c.keep, e.keep) and c.verified_minimal
    assert c.n_model_calls <= max(c.search_calls, 600)


def test_a_smaller_sufficient_mask_seen_on_the_way_is_pruned_too():
    """Step 5 (white box): when a passing mask smaller than the returned set was evaluated, the search
    prunes it and returns that reduction, verified, instead of the smaller mask unverified."""
    from suffice.search.evaluator import MaskEvaluator
    from suffice.search.strategies.suffice_steps.restart import smallest_seen
    from suffice.search.strategies.suffice_steps.state import Search

    model, x = toys.conjunction(3, 8000, seed=2)
    oracle = MaskEvaluator(model, x, batch_size=16)
    S = Search(oracle, np.random.default_rng(0), max_calls=10 ** 4, auto=(1000, 1500), min_block=1)
    rng = np.random.default_rng(1)
    junk = rng.choice(np.setdiff1d(np.arange(S.K), model.bins), 30, replace=False)
    small, large = np.zeros(S.K, bool), np.zeros(S.K, bool)
    small[model.bins] = large[model.bins] = True
    small[junk[:5]] = True
    large[junk] = True
    assert S.evaluate(S.sufficient, np.stack([small, large]))[0].all()
    meta: dict = {}
    keep, verified = smallest_seen(S, large, True, True, meta)
    assert verified and np.array_equal(np.flatnonzero(keep), model.bins)
    assert meta["smallest_seen_rounds"] == 1
