"""suffice.flip on analytic classifiers whose minimal flips are known exactly.

* ``ToneClassifier`` needs every required tone: removing any one required bin flips it (minimum 1,
  and the flip must be one of the required bins).
* ``_NeedsK`` (below) keeps its class while at most ``k - 1`` of its ``n`` tones are gone: every flip
  needs ``k`` tone bins, and any ``k`` of them flip it (minimum exactly ``k``).
* ``_Constant`` never changes its class: nothing flips it.
Each is checked at two clip lengths, over batch sizes, and for honest found / budget reporting.
"""
from __future__ import annotations

import numpy as np
import pytest

import suffice
from suffice.errors import OptionError
from suffice.flips import Flip, flip, resolve_flip_options
from suffice.flips.audibility import log_spectral_distance, removed_energy_db, segmental_snr
from suffice.toys import ToneClassifier, amplitudes, tone_clip

LENGTHS = (16000, 48000)  # 1 s and 3 s: K = 8,001 and 24,001 bins
BATCHES = (1, 7, 64, 1000)


class _NeedsK:
    """Class "tones" while at least ``n - k + 1`` of ``freqs`` (Hz) keep ``min_amplitude``."""

    sample_rate = 16000
    labels = ("tones", "other")

    def __init__(self, freqs, k: int, min_amplitude: float = 0.02) -> None:
        self.freqs, self.k, self.min_amplitude = np.asarray(freqs, float), int(k), float(min_amplitude)
        self.name = f"test/needs-{k}"

    def bins(self, n_samples: int) -> np.ndarray:
        return np.rint(self.freqs * n_samples / self.sample_rate).astype(int)

    def predict_proba(self, waveforms):
        w = np.atleast_2d(waveforms)
        present = (amplitudes(w)[:, self.bins(w.shape[-1])] >= self.min_amplitude).sum(axis=1)
        p0 = 1 / (1 + np.exp(-4 * (present - (len(self.freqs) - self.k + 0.5))))
        return np.stack([p0, 1 - p0], axis=1)


class _Constant:
    sample_rate, labels, name = 16000, ("a", "b"), "test/constant"

    def predict_proba(self, waveforms):
        return np.tile([0.7, 0.3], (len(np.atleast_2d(waveforms)), 1))


TONES_HZ = [300, 700, 1100, 1900, 2600, 3300]
LOUD_HZ = [150, 500, 4000]  # louder than the tones, and irrelevant to the classifiers


def _clip(n: int, seed: int = 0) -> np.ndarray:
    hz = TONES_HZ + LOUD_HZ
    bins = [f * n // 16000 for f in hz]
    amps = [0.1] * len(TONES_HZ) + [0.4] * len(LOUD_HZ)
    return tone_clip(bins, n, amps, noise=0.002, seed=seed)


@pytest.mark.parametrize("n", LENGTHS)
def test_any_required_tone_is_a_one_bin_flip(n):
    model = ToneClassifier(freqs=TONES_HZ[:3])
    f = flip(model, _clip(n))
    assert f.found and not f.budget_exhausted and f.size == 1
    assert f.minimum_verified and f.verified_minimal
    assert int(f.removed[0]) in set(model.required_bins(n))
    assert f.label == "tones" and f.new_label == "other"
    assert model.predict_proba(f.flipped_signal[None])[0].argmax() == 1
    assert f.frequencies()[0] in TONES_HZ[:3]


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("k", [2, 3, 4])
def test_a_classifier_that_needs_k_removals(n, k):
    model = _NeedsK(TONES_HZ, k)
    f = flip(model, _clip(n))
    assert f.found and not f.budget_exhausted
    assert f.size == k
    assert set(f.removed.tolist()) <= set(model.bins(n).tolist())
    assert f.verified_minimal  # no removed bin can be put back
    assert not f.minimum_verified  # the screen did not cover every bin: k is an upper bound only
    assert model.predict_proba(f.flipped_signal[None])[0].argmax() == 1


def test_two_bin_flip_is_proven_minimal_when_every_bin_was_screened():
    n = 4000  # K = 2001
    model = _NeedsK(TONES_HZ, 2)
    x = tone_clip([f * n // 16000 for f in TONES_HZ], n, 0.1, noise=0.002)
    f = flip(model, x, screen=n, max_calls=5000)
    assert f.size == 2 and f.minimum_verified and f.singles_tested == n // 2 + 1


@pytest.mark.parametrize("n", LENGTHS)
def test_same_flip_for_every_batch_size(n):
    for model in (ToneClassifier(freqs=TONES_HZ[:3]), _NeedsK(TONES_HZ, 4)):
        ref = flip(model, _clip(n), seed=3, batch_size=BATCHES[0])
        for bs in BATCHES[1:]:
            other = flip(model, _clip(n), seed=3, batch_size=bs)
            assert other.same_result(ref), (model.name, bs)
            assert np.array_equal(other.flipped_signal, ref.flipped_signal)


def test_not_found_when_the_flip_is_larger_than_max_size():
    model = _NeedsK(TONES_HZ, 6)
    f = flip(model, _clip(16000), max_size=5)
    assert not f.found and not f.budget_exhausted
    assert f.size is None and f.flipped_signal is None and len(f.removed) == 0
    assert flip(model, _clip(16000), max_size=6).size == 6


def test_nothing_flips_a_constant_model_and_the_search_says_it_finished():
    f = flip(_Constant(), _clip(16000), screen=100, max_size=20)
    assert not f.found and not f.budget_exhausted
    # the original, 100 single removals (two rounds of 64), the ladder 2, 3, 5, 10, 20
    assert f.n_model_calls == 1 + 100 + 5


@pytest.mark.parametrize("max_calls", [1, 2, 30, 120, 300])
def test_the_budget_is_never_exceeded_and_always_reported(max_calls):
    model = _NeedsK(TONES_HZ, 4)
    full = flip(model, _clip(16000))
    f = flip(model, _clip(16000), max_calls=max_calls)
    assert f.n_model_calls <= max_calls
    if max_calls < full.n_model_calls:
        assert f.budget_exhausted
        if f.found:  # cut short after a flip was found: a flip, maybe not trimmed
            assert model.predict_proba(f.flipped_signal[None])[0].argmax() == 1
    else:
        assert f.same_result(full)
    for bs in (1, 64):
        assert flip(model, _clip(16000), max_calls=max_calls, batch_size=bs).same_result(f)


def test_a_budget_cut_inside_the_trim_is_found_but_not_verified():
    model = _NeedsK(TONES_HZ, 4)
    full = flip(model, _clip(16000))
    f = flip(model, _clip(16000), max_calls=full.n_model_calls - 1)
    assert f.budget_exhausted and f.found and not f.verified_minimal and f.size >= 4


def test_audibility_of_one_removed_tone_is_known():
    n = 16000
    x = tone_clip([440, 1000], n, [0.3, 0.1])  # energies 0.09/2 and 0.01/2
    assert removed_energy_db(x, [1000]) == pytest.approx(10 * np.log10(0.01 / 0.10), abs=1e-3)
    assert removed_energy_db(x, [3000]) < -150  # an empty bin: rounding error only
    assert log_spectral_distance(x, x) == 0.0
    assert segmental_snr(x, x) == 35.0
    f = flip(ToneClassifier(bins=[1000], min_amplitude=0.05), x)
    assert f.removed.tolist() == [1000]
    assert f.removed_energy_db == pytest.approx(-10.0, abs=1e-3)
    assert f.lsd_db > 0 and f.seg_snr_db == pytest.approx(10.0, abs=0.1)


def test_json_round_trip(tmp_path):
    f = flip(ToneClassifier(freqs=TONES_HZ[:2]), _clip(16000))
    g = Flip.from_json(f.to_json(tmp_path / "f.json"))
    assert g.same_result(f) and np.array_equal(g.waveform, f.waveform) and g.lsd_db == f.lsd_db
    none = flip(_Constant(), _clip(16000), screen=10)
    back = Flip.from_json(none.to_json())
    assert back.same_result(none) and np.isnan(back.lsd_db) and back.new_label is None
    d = f.to_dict()  # a record written when meta held singles_tested
    d["meta"] = {**d["meta"], "singles_tested": d.pop("singles_tested")}
    old = Flip.from_dict(d)
    assert old.singles_tested == f.singles_tested and old.meta == f.meta


def test_top_level_name_and_clear_option_errors():
    assert suffice.flip is flip
    with pytest.raises(OptionError, match=r"unknown option.*for the flip search"):
        flip(_Constant(), _clip(16000), max_bins=3)
    with pytest.raises(OptionError, match=">= 1"):
        flip(_Constant(), _clip(16000), max_size=0)
    with pytest.raises(OptionError, match="integer"):
        flip(_Constant(), _clip(16000), seed="0")
    with pytest.raises(OptionError, match="<= 65536"):
        flip(_Constant(), _clip(16000), batch_size=10**6)


def test_default_options_leave_out_the_zero_fill():
    """The declared defaults, without the zero fill's options: the options (and cache keys) of a flip before fills existed."""
    assert resolve_flip_options({}) == {"max_size": 50, "max_calls": 1000, "screen": 128, "batch_size": 64}
