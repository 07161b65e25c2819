"""Tests of ``strategy="rex"`` (ReX's 1-D search) and of the two non-causal baselines
(``magnitude``, ``occlusion``) on classifiers whose answers are known exactly."""
from __future__ import annotations

import numpy as np
import pytest

from suffice import explain
from suffice.errors import OptionError
from suffice.search.options import validate
from suffice.search.strategies import rex

RATE = 16000
N = 4000  # 0.25 s: K = 2001 bins


def tones(bins, n=N, amp=0.1, noise=0.002, seed=0) -> np.ndarray:
    """Cosines exactly on rfft bin centres (random phases) plus a little white noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = sum(amp * np.cos(2 * np.pi * b * t / n + rng.uniform(0, 2 * np.pi)) for b in bins)
    return (x + rng.normal(0, noise, n)).astype(np.float32)


def bin_amplitudes(w: np.ndarray) -> np.ndarray:
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    return np.abs(np.fft.rfft(w, axis=-1)) * 2.0 / w.shape[-1]


class ToneModel:
    """"A" iff every required bin has amplitude >= ``level``: the required bins are the unique minimum."""

    sample_rate = RATE
    labels = ("A", "B")

    def __init__(self, required, level=0.05):
        self.required, self.level = list(required), level
        self.name = f"tones{self.required}"

    def predict_proba(self, w):
        score = bin_amplitudes(w)[:, self.required].min(axis=1) / self.level
        p = 1 / (1 + np.exp(-10 * (score - 1)))
        return np.stack([p, 1 - p], axis=1)


class WholeModel:
    """"A" only when every bin keeps at least half its reference amplitude: only the whole spectrum."""

    sample_rate = RATE
    labels = ("A", "B")
    name = "whole"

    def __init__(self, ref):
        self.ref = bin_amplitudes(ref)[0]

    def predict_proba(self, w):
        score = (bin_amplitudes(w) / self.ref).min(axis=1) * 2
        p = 1 / (1 + np.exp(-10 * (score - 1)))
        return np.stack([p, 1 - p], axis=1)


REQ = [50, 700, 1500]
X = tones(REQ + [300, 1100])  # two loud decoys the model ignores


def test_sufficient_and_contains_needed_bins():
    model = ToneModel(REQ)
    e = explain(model, X, strategy="rex", seed=1)
    assert e.found and e.target == "A"
    assert set(REQ) <= set(np.flatnonzero(e.keep))
    assert e.size < e.n_bins // 2
    p = model.predict_proba(e.sufficient_signal[None])[0]
    assert p.argmax() == 0 and p[0] == pytest.approx(e.sufficient_confidence)
    # ReX's granularity: the set is a whole number of chunks (or the last partial one)
    assert e.size % e.options["chunk_size"] == 0
    # every model call is accounted for: search (original clip included), extraction, silence (1)
    assert e.meta["rex_work"] > 0
    assert e.search_calls + e.meta["extraction_calls"] + e.extras_calls + 1 == e.n_model_calls


def test_responsibility_peaks_on_needed_bins():
    e = explain(ToneModel(REQ), X, strategy="rex", seed=3)
    r = e.responsibility
    assert r.max() == pytest.approx(1.0)  # multiplicative merge renormalises to max 1
    assert all(r[b] >= np.median(r) for b in REQ)


def test_whole_spectrum_not_found():
    x = tones([100], noise=0.05, seed=2)
    e = explain(WholeModel(x), x, strategy="rex", seed=0, iters=3)
    assert not e.found and e.keep.all() and e.size == e.n_bins


@pytest.mark.parametrize("opts", [dict(), dict(extraction="linear"),
                                  dict(stop_when_stable=True, stable_block=2)])
@pytest.mark.parametrize("batch_size", [1, 7])
def test_batch_size_never_changes_result(batch_size, opts):
    model = ToneModel(REQ)
    ref = explain(model, X, strategy="rex", seed=5, iters=6, batch_size=64, contrastive=True, complete=True,
                  **opts)
    e = explain(model, X, strategy="rex", seed=5, iters=6, batch_size=batch_size, contrastive=True,
                complete=True, **opts)
    assert e.same_result(ref) and e.n_model_calls == ref.n_model_calls
    assert ref.necessary_keep is not None and ref.complete_keep is not None


def test_seeds():
    model = ToneModel(REQ)
    a = explain(model, X, strategy="rex", seed=11, iters=5)
    b = explain(model, X, strategy="rex", seed=11, iters=5)
    assert a.same_result(b)
    others = [explain(model, X, strategy="rex", seed=s, iters=5) for s in (12, 13)]
    assert any(not np.allclose(o.responsibility, a.responsibility) for o in others)


def test_call_counts_match_counting_wrapper(counting):
    m = counting(ToneModel(REQ))
    e = explain(m, X, strategy="rex", seed=2, iters=4, batch_size=10)
    assert e.n_model_calls == m.calls  # the oracle's count (original clip included) is the model's
    assert e.meta["n_batches"] >= m.calls / 10


def test_fixed_linear_search_marks_bins_not_prefixes():
    # ReX's defect would keep the band 0:max(rank) (a low-pass set); ours keeps ranked bins only
    e = explain(ToneModel([1500]), tones([1500, 40]), strategy="rex", seed=0, iters=5)
    assert e.found and e.keep[1500]
    assert e.size < 1500


def test_one_split_matches_rex_rules():
    import numpy.random as npr
    box = rex.Box("R", 0, 100, 0)
    kids = rex.split(box, npr.default_rng(0), validate(rex.OPTIONS, {}, owner=rex.NAME))
    assert len(kids) == 4 and kids[0].start == 0 and kids[-1].stop == 100
    assert all(k.width > 0 and k.depth == 1 for k in kids)
    assert all(a.stop == b.start for a, b in zip(kids, kids[1:]))
    assert rex.split(rex.Box("s", 0, 9, 0), npr.default_rng(0), validate(rex.OPTIONS, {}, owner=rex.NAME)) == []
    assert rex.split(rex.Box("d", 0, 99, 11), npr.default_rng(0), validate(rex.OPTIONS, {}, owner=rex.NAME)) == []
    assert len(rex.COMBINATIONS) == 14 and len(set(rex.COMBINATIONS)) == 14


def test_betabinom_and_additive_run():
    e = explain(ToneModel(REQ), X, strategy="rex", seed=0, iters=3, distribution="betabinom",
                dist_alpha=2.0, dist_beta=2.0, merge="additive", tiebreak="magnitude", weighted=True)
    assert e.found and set(REQ) <= set(np.flatnonzero(e.keep))


@pytest.mark.parametrize("bad", [dict(queue_style="dc"), dict(iters=0), dict(merge="mean"),
                                 dict(confidence_filter=2.0), dict(distribution="binom"),
                                 dict(chunk_size=0), dict(nonsense=1), dict(extraction="gallop"),
                                 dict(stable_block=0), dict(dist_alpha=0.0)])
def test_bad_options_are_loud(bad):
    with pytest.raises(OptionError):
        explain(ToneModel(REQ), X, strategy="rex", **bad)


def test_seeded_snapshot():
    # a regression guard: what this implementation gave when it was compared with rex-xai 0.4.1
    # (which, with seed 0, spent 1,360 calls on this clip and returned the low-pass band 0:1524).
    # 1,287 search calls (the original clip and 1,288 mutants, 2 of them repeats), then the extraction,
    # then 1 call for the silence label.
    lin = explain(ToneModel(REQ), X, strategy="rex", seed=1, extraction="linear")
    assert (lin.size, lin.search_calls, lin.meta["rex_work"], lin.meta["rex_passing"]) == (210, 1287, 1288, 321)
    # ReX's linear scan: 21 chunks needed, windows of 16 prefixes -> 2 windows = 32 calls
    assert lin.meta["extraction_calls"] == 32 and lin.n_model_calls == 1287 + 32 + 1
    e = explain(ToneModel(REQ), X, strategy="rex", seed=1)
    assert np.array_equal(e.keep, lin.keep) and np.array_equal(e.responsibility, lin.responsibility)
    # bisection over the 201 chunk counts: gallop 1, 2, 4, ..., 128 (8 new masks; 201 chunks is the
    # cached original), first pass at 32, then 24 (pass), 20 (fail), 22 (pass), 21 (pass): 12 calls
    assert e.meta["extraction_calls"] == 12 and e.n_model_calls == 1287 + 12 + 1


@pytest.mark.parametrize("seed", [0, 3])
def test_bisect_and_linear_extraction_agree_on_a_monotone_model(seed):
    # the tone model is monotone (more kept bins never hurt), so both find the first passing multiple
    lin = explain(ToneModel(REQ), X, strategy="rex", seed=seed, iters=4, extraction="linear")
    bis = explain(ToneModel(REQ), X, strategy="rex", seed=seed, iters=4)
    assert np.array_equal(lin.keep, bis.keep) and bis.n_model_calls < lin.n_model_calls
    J = -(-lin.n_bins // 10)
    assert bis.meta["extraction_calls"] <= 2 * int(np.ceil(np.log2(J))) + 1


def test_whole_spectrum_costs_few_calls_with_bisection():
    # linear: all 201 multiples are tested (13 windows of 16); bisection: about 2 log2 201.
    # Nothing passes, so the map is flat and the ranking is by magnitude (tiebreak): scattered bins,
    # which no mutant (a union of contiguous boxes) repeats, so every prefix is a new model call.
    x = tones([100], noise=0.05, seed=2)
    lin = explain(WholeModel(x), x, strategy="rex", seed=0, iters=2, extraction="linear", tiebreak="magnitude")
    bis = explain(WholeModel(x), x, strategy="rex", seed=0, iters=2, tiebreak="magnitude")
    assert not lin.found and not bis.found and bis.keep.all()
    assert lin.meta["extraction_calls"] == 200  # 201 multiples, the last one (all bins) is the original
    # gallop 1, 2, 4, ..., 128 chunks (8 masks; all 201 = the original passes), then bisection between
    # 128 and 201 chunks: 7 more masks, all failing
    assert bis.meta["extraction_calls"] == 8 + 7


def test_stable_stop_is_a_prefix_of_the_full_run():
    # the iterations that run are ReX's first ones: an early stop after n iterations gives exactly
    # what iters=n gives (same map, same set), and it is only taken when two blocks agree
    model = ToneModel(REQ)
    e = explain(model, X, strategy="rex", seed=7, iters=20, stop_when_stable=True, stable_block=2)
    n = e.meta["rex_iterations"]
    assert n % 2 == 0 and 4 <= n <= 20 and e.meta["rex_stopped_early"] == (n < 20)
    ref = explain(model, X, strategy="rex", seed=7, iters=n)
    assert np.array_equal(e.keep, ref.keep) and np.array_equal(e.responsibility, ref.responsibility)
    assert e.search_calls == ref.search_calls
    prev = explain(model, X, strategy="rex", seed=7, iters=n - 2)
    assert np.array_equal(prev.keep, e.keep) if n < 20 else True
    # a block as long as the run: no check, exactly the full run
    full = explain(model, X, strategy="rex", seed=7, iters=6)
    one = explain(model, X, strategy="rex", seed=7, iters=6, stop_when_stable=True, stable_block=6)
    assert one.same_result(full) and one.n_model_calls == full.n_model_calls


def test_additive_map_is_reported_in_unit_range():
    e = explain(ToneModel(REQ), X, strategy="rex", seed=0, iters=3, merge="additive")
    assert e.responsibility.max() == pytest.approx(1.0) and e.responsibility.min() >= 0


# ---- the non-causal baselines -------------------------------------------------------------------
def test_magnitude_takes_the_shortest_sufficient_loudness_prefix(counting):
    # the required bin 1500 is the third loudest (decoys 300 and 1100 are louder): the set is exactly
    # the three loudest bins
    x = tones([300, 1100], amp=0.2, seed=4) + tones([1500], amp=0.1, noise=0.0, seed=5)
    m = counting(ToneModel([1500]))
    e = explain(m, x, strategy="magnitude")
    assert e.found and set(np.flatnonzero(e.keep)) == {300, 1100, 1500}
    assert e.n_model_calls == m.calls
    # gallop 1, 2, 4, ..., 1024 bins (11 masks; 2001 is the cached original): 4 passes first, 2 fails;
    # bisection tests 3 (passes): original 1 + extraction 12 + silence 1 = 14
    assert e.n_model_calls == 14 and e.meta["extraction_calls"] == 12
    assert e.responsibility.max() == pytest.approx(1.0)


def test_occlusion_ranks_the_needed_band_first(counting):
    x = tones([200, 1500], amp=0.1, seed=6)
    m = counting(ToneModel([1500]))
    e = explain(m, x, strategy="occlusion", n_bands=16)
    assert e.found and np.flatnonzero(e.keep).tolist() == [1500]
    assert e.meta["occlusion_calls"] == 16 and e.n_model_calls == m.calls
    # 1 original + 16 bands + gallop (11 masks; the 1-bin prefix passes, no bisection) + 1 silence
    assert e.n_model_calls == 1 + 16 + 11 + 1
    assert e.responsibility[1500] == pytest.approx(1.0)


@pytest.mark.parametrize("strategy", ["magnitude", "occlusion"])
def test_baselines_say_not_found_for_the_whole_spectrum(strategy):
    x = tones([100], noise=0.05, seed=2)
    e = explain(WholeModel(x), x, strategy=strategy)
    assert not e.found and e.keep.all()


@pytest.mark.parametrize("strategy", ["magnitude", "occlusion", "rex"])
def test_batch_sizes_1_7_64_give_one_answer(strategy):
    opts = {"iters": 3} if strategy == "rex" else {}
    runs = [explain(ToneModel(REQ), X, strategy=strategy, seed=2, batch_size=b, contrastive=True,
                    complete=True, **opts) for b in (1, 7, 64)]
    assert all(r.same_result(runs[0]) and r.n_model_calls == runs[0].n_model_calls for r in runs[1:])


def test_baseline_options_are_checked():
    with pytest.raises(OptionError):
        explain(ToneModel(REQ), X, strategy="occlusion", n_bands=0)
    with pytest.raises(OptionError):
        explain(ToneModel(REQ), X, strategy="magnitude", iters=3)
