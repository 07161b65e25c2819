"""The default search on analytic oracles with exactly known minimal sufficient sets."""
from __future__ import annotations

import numpy as np
import pytest

import suffice
from suffice import Explanation, OptionError, UnknownNameError
from suffice.toys import BandEnergyClassifier, ToneClassifier, WholeSpectrumClassifier, tone_clip


LAYOUTS = [
    # (clip length, required bins, distractor bins, required amplitude, distractor amplitude, noise)
    (16000, [37, 1500, 6000], [100, 200, 3000], 0.05, 0.3, 0.0),       # quiet targets, loud distractors
    (16001, [5, 6, 7], [8000], 0.1, 0.1, 0.005),                        # adjacent bins, odd length
    (8000, [1], [2, 3, 4, 3999], 0.04, 0.5, 0.01),                      # lowest bin, nyquist-adjacent distractor
    (64000, [123, 20000, 31999], list(range(1000, 1040)), 0.05, 0.2, 0.01),  # 4 s clip, many distractors
    (4096, [2048], [1, 2, 3], 0.2, 0.2, 0.0),                           # the Nyquist bin alone
]


@pytest.mark.parametrize("n,required,distractors,a_req,a_dis,noise", LAYOUTS)
def test_default_finds_exact_tone_minimum(n, required, distractors, a_req, a_dis, noise):
    amps = [a_req] * len(required) + [a_dis] * len(distractors)
    x = tone_clip(required + distractors, n, amps, noise=noise, seed=3)
    e = suffice.explain(ToneClassifier(required), x, seed=0)
    assert e.found and e.target == "tones"
    assert sorted(np.flatnonzero(e.keep)) == sorted(required)
    assert e.sufficient_confidence >= 0.5
    assert e.n_model_calls < 200


def test_targets_buried_below_the_magnitude_prior():
    """Required tones are quieter than hundreds of noise bins: the prior is useless, pruning still finds them."""
    n = 16000
    required = [300, 4000, 7000]
    rng = np.random.default_rng(0)
    loud = sorted(rng.choice(np.arange(10, 7990), 400, replace=False).tolist())
    loud = [b for b in loud if b not in required]
    x = tone_clip(required + loud, n, [0.03] * 3 + [0.2] * len(loud), seed=1)
    e = suffice.explain(ToneClassifier(required), x, seed=5)
    assert sorted(np.flatnonzero(e.keep)) == required
    assert e.meta["start_size"] >= 400


def test_band_energy_near_minimum(rng):
    x = rng.normal(0, 0.2, 16000).astype(np.float32)
    m = BandEnergyClassifier(300, 3000, min_rms=0.05)
    e = suffice.explain(m, x, seed=0)
    f = e.frequencies()
    assert e.found and f.min() >= 300 and f.max() <= 3000
    assert e.size <= 1.2 * m.minimum_size(x)
    assert m.predict_proba(e.sufficient_signal[None])[0, 0] >= 0.5


def test_whole_spectrum_needed_is_not_found(rng):
    x = rng.normal(0, 0.2, 2000).astype(np.float32)
    e = suffice.explain(WholeSpectrumClassifier(x), x, seed=0, max_calls=10 ** 5)
    assert not e.found and e.keep.all() and e.size == e.n_bins and not e.budget_exhausted
    cut = suffice.explain(WholeSpectrumClassifier(x), x, seed=0, max_calls=400)
    assert not cut.found and cut.budget_exhausted and cut.n_model_calls <= 400


@pytest.mark.parametrize("strategy_opts", [{}, {"contrastive": True, "complete": True}])
def test_batch_size_never_changes_the_result(rng, strategy_opts):
    x = rng.normal(0, 0.2, 8000).astype(np.float32)
    m = BandEnergyClassifier(200, 2500, min_rms=0.06)
    ref = suffice.explain(m, x, seed=3, batch_size=1, **strategy_opts)
    for bs in (7, 64):
        e = suffice.explain(m, x, seed=3, batch_size=bs, **strategy_opts)
        assert e.same_result(ref)


def test_same_seed_same_result_and_seed_matters_only_through_cuts(rng):
    x = rng.normal(0, 0.2, 8000).astype(np.float32)
    m = BandEnergyClassifier(200, 2500, min_rms=0.06)
    a, b = suffice.explain(m, x, seed=11), suffice.explain(m, x, seed=11)
    assert a.same_result(b)
    c = suffice.explain(m, x, seed=12)
    assert c.found and m.predict_proba(c.sufficient_signal[None])[0, 0] >= 0.5


def test_model_calls_are_counted_exactly(counting):
    x = tone_clip([50, 900, 100, 2000], 8000, [0.05, 0.05, 0.3, 0.3])
    m = counting(ToneClassifier([50, 900]))
    e = suffice.explain(m, x, seed=0, batch_size=5, contrastive=True, complete=True, robustness="check")
    assert e.n_model_calls == m.calls and e.check_calls == 4  # the search, then the renderings check
    assert max(m.batch_sizes) <= 5
    assert e.meta["n_batches"] == len(m.batch_sizes)


def test_delta_sufficiency_keeps_more(rng):
    x = rng.normal(0, 0.2, 8000).astype(np.float32)
    m = BandEnergyClassifier(200, 2500, min_rms=0.06)
    loose = suffice.explain(m, x, seed=0)
    strict = suffice.explain(m, x, seed=0, min_confidence=0.9)
    assert strict.sufficient_confidence >= 0.9 * strict.confidence
    assert strict.size >= loose.size


def test_contrastive_and_complete():
    required, distractors = [40, 700, 2100], [90, 1500]
    x = tone_clip(required + distractors, 8000, [0.05, 0.05, 0.05, 0.3, 0.3])
    m = ToneClassifier(required)
    e = suffice.explain(m, x, seed=0, contrastive=True, complete=True)
    nec = e.necessary_keep
    assert nec is not None and e.meta["necessary_found"]
    assert set(np.flatnonzero(e.keep)) <= set(np.flatnonzero(nec))
    # sufficient ...
    assert np.argmax(m.predict_proba(e.necessary_signal[None])[0]) == 0
    # ... and necessary: without it the class changes
    assert np.argmax(m.predict_proba(suffice.keep_bins(x, ~nec)[None])[0]) == 1
    assert round(e.complete_confidence, 2) == round(e.confidence, 2)
    assert e.complete_keep[e.keep].all()


def test_complete_adds_low_responsibility_bins():
    """Confidence grows with an unrelated band: the complete set must add bins to match it."""
    class Graded:
        name, labels, sample_rate = "graded", ("a", "b"), 16000

        def predict_proba(self, w):
            amp = np.abs(np.fft.rfft(w, axis=-1)) * 2 / w.shape[-1]
            s = amp[:, 100] / 0.05 + 2.0 * np.minimum(amp[:, 2000:2100].sum(axis=1), 0.5)
            p = 1 / (1 + np.exp(-(s - 0.6) * 4))
            return np.stack([p, 1 - p], axis=1)

    x = tone_clip([100] + list(range(2000, 2100)), 8000, [0.05] + [0.005] * 100)
    e = suffice.explain(Graded(), x, seed=0, complete=True)
    assert e.complete_keep.sum() > e.size
    assert round(e.complete_confidence, 2) == round(e.confidence, 2)


def test_explaining_another_target():
    x = tone_clip([30, 60], 4000, [0.1, 0.1])
    m = ToneClassifier([30, 99])  # bin 99 is absent: the model says "other"
    e = suffice.explain(m, x, seed=0)
    assert e.target == "other"
    e2 = suffice.explain(m, x, target="other")
    assert e2.target_index == 1
    with pytest.raises(UnknownNameError, match="unknown label"):
        suffice.explain(m, x, target="cats")


def test_bad_options_fail_loudly():
    x = tone_clip([30], 4000, 0.1)
    m = ToneClassifier([30])
    with pytest.raises(OptionError, match="unknown option"):
        suffice.explain(m, x, iterations=3)
    with pytest.raises(OptionError, match="batch_size"):
        suffice.explain(m, x, batch_size=0)
    with pytest.raises(OptionError, match="min_confidence"):
        suffice.explain(m, x, min_confidence=2)
    with pytest.raises(OptionError, match="integer"):
        suffice.explain(m, x, max_calls="many")
    with pytest.raises(UnknownNameError, match="unknown strategy"):
        suffice.explain(m, x, strategy="magic")
    with pytest.raises(OptionError, match="seed"):
        suffice.explain(m, x, seed=1.5)


def test_explanation_json_round_trip(tmp_path):
    x = tone_clip([40, 700], 8000, [0.05, 0.05], noise=0.001)
    e = suffice.explain(ToneClassifier([40, 700]), x, seed=4, contrastive=True, complete=True)
    text = e.to_json(tmp_path / "e.json")
    back = Explanation.from_json(tmp_path / "e.json")
    assert back.same_result(e) and Explanation.from_json(text).same_result(e)
    assert back.options == e.options and back.version == suffice.__version__
    np.testing.assert_array_equal(back.sufficient_signal, e.sufficient_signal)
    assert back.summary() == e.summary()
