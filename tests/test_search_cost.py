"""Cost per needed bin of the default search, with analytic classifiers of known minima.

Estimands: the returned set against the exact minimum (and its 1-minimality, checked on the model
itself), the start size of the prior's bisection, and the model calls against a reference search run
beside it on the same case (:func:`halving_calls`; the chain's, against the same search without it).
"""
from __future__ import annotations

import numpy as np
import pytest

import suffice
from suffice import toys
from suffice.search.extraction import first_prefix, prefix_masks

BATCHES = (1, 7, 64)


class TwoOfFive:
    """Class "a" iff bin ``a`` and at least two of the five bins ``c`` are at least ``thr`` loud.

    Every minimal sufficient set is {a} plus two of the c's (size 3); any single removal from such a
    set loses the class, and a set with three or more c's is not 1-minimal.
    """

    labels = ("a", "other")
    sample_rate = 16000
    name = "test/two-of-five"

    def __init__(self, a: int, c: list[int], thr: float) -> None:
        self.a, self.c, self.thr = a, list(c), thr

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        amp = toys.amplitudes(waveforms)
        score = (amp[:, self.a] >= self.thr) & ((amp[:, self.c] >= self.thr).sum(axis=1) >= 2)
        p = np.where(score, 0.9, 0.1)
        return np.stack([p, 1.0 - p], axis=1)


def _two_of_five(n: int):
    a, c = n // 9, [n // 7, n // 6, n // 5, n // 4, n // 3]
    # the c's are louder than a: the prior's prefix holds all five c's before it reaches a
    x = toys.tone_clip([a] + c, n, [0.05] + [0.1] * 5, noise=0.002, seed=4)
    return TwoOfFive(a, c, 0.02), x


@pytest.mark.parametrize("n", (8000, 16000))
def test_redundant_bins_end_at_an_exact_minimum_whatever_the_batch_size(n):
    """{a} plus exactly two of the five c's, verified; every kept bin is needed (checked on the model)."""
    model, x = _two_of_five(n)
    ref = None
    for bs in BATCHES:
        e = suffice.explain(model, x, seed=0, batch_size=bs)
        kept = np.flatnonzero(e.keep).tolist()
        assert e.size == 3 and model.a in kept and len(set(kept) & set(model.c)) == 2
        assert e.verified_minimal and not e.budget_exhausted
        for b in kept:   # 1-minimal on the model itself
            m = e.keep.copy()
            m[b] = False
            assert np.argmax(model.predict_proba(suffice.keep_bins(x, m)[None])[0]) == 1
        if ref is None:
            ref = e
        assert e.same_result(ref)


def test_prior_prefix_is_bisected_to_the_first_passing_length():
    """Three loud required tones: the prefixes 1, 2, 4 give 4; the bisection returns exactly 3."""
    n = 16000
    req = [400, 2100, 5300]
    x = toys.tone_clip(req, n, 0.1, noise=0.001, seed=2)
    e = suffice.explain(toys.ToneClassifier(req), x, seed=0)
    assert e.meta["start_size"] == 3 and sorted(np.flatnonzero(e.keep)) == req and e.verified_minimal


@pytest.mark.parametrize("need", (1, 37, 100, 513))
def test_first_prefix_tolerance_bounds_the_returned_length(need):
    """Monotone predicate (passes iff length >= need): exact with tol=0; within tol x itself otherwise."""
    K = 1000
    order = np.arange(K)

    def pred(masks):
        return masks.sum(axis=1) >= need

    assert first_prefix(order, K, pred) == need
    m = first_prefix(order, K, pred, tol=1 / 8)
    assert need <= m and (m - need + 1) <= max(1.0, m / 8)
    assert pred(prefix_masks(order, [m], K))[0]


def test_first_prefix_tolerance_exact_value():
    """need=37 over 1000 bins: gallop 1..512 gives 64; bisection 32..64 stops at 36..40: returns 40."""
    K = 1000
    assert first_prefix(np.arange(K), K, lambda m: m.sum(axis=1) >= 37, tol=1 / 8) == 40


def halving_calls(model, x: np.ndarray) -> tuple[np.ndarray, int]:
    """The reference: the plain halving search and its 1-minimality pass, one model call per test.

    Every bin starts kept; a block of kept bins goes when the clip without it keeps the class, else it
    is split in two (a single bin that cannot go stays); then each kept bin is tested for removal once
    more (the verification the default search's ``verified_minimal`` stands for).  Returns (keep, model
    calls, the original included)."""
    target = int(np.argmax(model.predict_proba(x[None])[0]))
    keep, calls = np.ones(len(x) // 2 + 1, dtype=bool), 1

    def passes(trial: np.ndarray) -> bool:
        nonlocal calls
        calls += 1
        return int(np.argmax(model.predict_proba(suffice.keep_bins(x, trial)[None])[0])) == target

    blocks = [np.arange(len(keep))]
    while blocks:
        block = blocks.pop()
        trial = keep.copy()
        trial[block] = False
        if passes(trial):
            keep = trial
        elif len(block) > 1:
            blocks += [block[len(block) // 2:], block[:len(block) // 2]]
    for b in np.flatnonzero(keep):
        trial = keep.copy()
        trial[b] = False
        if passes(trial):
            keep = trial
    return keep, calls


@pytest.mark.parametrize("n,d,seed", [(16000, 300, 0), (8000, 300, 0), (16000, 40, 1), (8000, 40, 1)])
def test_conjunction_costs_fewer_calls_per_needed_bin(n, d, seed):
    """Exact d bins, verified, in at most 0.95x the calls of the verified halving search on the same clip
    (:func:`halving_calls`, which finds the same bins)."""
    model, x = toys.conjunction(d, n, seed=seed)
    e = suffice.explain(model, x, seed=0, max_calls=10 ** 6)
    assert np.array_equal(np.flatnonzero(e.keep), model.bins) and e.verified_minimal
    ref_keep, ref_calls = halving_calls(model, x)
    assert np.array_equal(ref_keep, e.keep)
    assert e.n_model_calls <= 0.95 * ref_calls


def test_banded_needed_set_is_exact_and_batch_size_free():
    """15 runs of 1-11 adjacent needed bins (a band-like set): exactly those bins, for every batch size."""
    n = 8000
    rng = np.random.default_rng(5)
    x = rng.normal(0, 0.05, n).astype(np.float32)
    starts = np.sort(rng.choice(np.arange(10, n // 2 - 20), 15, replace=False))
    bands = np.unique(np.concatenate([np.arange(s, s + rng.integers(1, 12)) for s in starts]))
    model = toys.ToneClassifier(bands, min_amplitude=0.5 * float(toys.amplitudes(x)[0][bands].min()))
    ref = None
    for bs in BATCHES:
        e = suffice.explain(model, x, seed=0, batch_size=bs, max_calls=10 ** 5)
        assert np.array_equal(np.flatnonzero(e.keep), bands) and e.verified_minimal
        ref = e if ref is None else ref
        assert e.same_result(ref)


@pytest.mark.parametrize("n,min_block", [(8000, 1), (8000, 4), (16000, 1), (16000, 4)])
def test_removals_that_cannot_go_together_are_chained(n, min_block):
    """120 pairs, either bin of a pair can go alone but not both: after the longest passing prefix of a
    round's removals, the removals behind the first failing one are tried on the reduced set
    (``chain``).  Estimand: an exact 1-minimal set (one bin of each pair), verified, in at most 0.85x
    the calls of the same search with ``chain=False`` run beside it, the same result for every batch
    size."""
    model, x = toys.pairs_clip(n, 120, seed=1)
    old = suffice.explain(model, x, seed=0, min_block=min_block, max_calls=10 ** 5, chain=False)
    assert old.verified_minimal and model.is_one_minimal(old.keep)
    ref = None
    for bs in BATCHES:
        e = suffice.explain(model, x, seed=0, min_block=min_block, batch_size=bs, max_calls=10 ** 5)
        assert e.verified_minimal and model.is_one_minimal(e.keep)
        assert e.n_model_calls <= 0.85 * old.n_model_calls
        ref = e if ref is None else ref
        assert e.same_result(ref)
