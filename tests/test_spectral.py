"""Spectral descriptors against closed-form cases."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as hs
from hypothesis.extra.numpy import arrays

from suffice import spectral as sp
from suffice.errors import AudioError, OptionError
from suffice.masking import keep_bins, n_bins

SR = 16000
T = np.arange(SR) / SR


def tone(freq: float, n: int = SR) -> np.ndarray:
    return np.sin(2 * np.pi * freq * np.arange(n) / SR)


def noise(n_signals: int = 4, n: int = SR, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n_signals, n))


def test_welch_grid_and_sine_peak_at_its_frequency():
    for f0 in (440.0, 1000.0, 3125.0, 6000.0):
        freqs, psd = sp.welch_psd(tone(f0))
        assert freqs.shape == (257,) and freqs[-1] == SR / 2
        assert abs(freqs[np.argmax(psd)] - f0) <= (freqs[1] - freqs[0]) / 2


def test_white_noise_entropy_near_maximal_and_tone_near_minimal():
    _, pn = sp.welch_psd(noise())
    _, pt = sp.welch_psd(tone(1000.0))
    hn = sp.spectral_entropy(pn, normalise=True)
    assert hn.shape == (4,) and (hn > 0.99).all() and (hn <= 1.0).all()
    assert sp.spectral_entropy(pt, normalise=True) < 0.2       # Hann main lobe: ~3 of 257 bins
    assert sp.spectral_entropy(pn) == pytest.approx(hn * np.log2(257))
    # periodogram of a tone exactly on a bin: one bin carries all the power
    assert sp.periodogram_entropy(tone(1000.0)) == pytest.approx(0.0, abs=1e-6)
    assert (sp.periodogram_entropy(noise(), normalise=True) > 0.9).all()


def test_entropy_closed_forms():
    assert sp.spectral_entropy(np.ones(64)) == pytest.approx(6.0)
    assert sp.spectral_entropy(np.ones(64), normalise=True) == pytest.approx(1.0)
    assert sp.spectral_entropy(np.array([0.0, 3.0, 0.0])) == pytest.approx(0.0)
    assert sp.spectral_entropy(np.array([1.0, 1.0, 2.0])) == pytest.approx(1.5)
    assert np.isnan(sp.spectral_entropy(np.zeros(8)))
    with pytest.raises(OptionError):
        sp.spectral_entropy(np.array([1.0, -1.0]))


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, hs.integers(2, 300), elements=hs.floats(-10, 10)))
def test_periodogram_parseval_any_length(x):
    _, power = sp.periodogram(x)
    assert power.sum() == pytest.approx(np.mean(x ** 2), rel=1e-9, abs=1e-12)


def test_welch_integral_matches_power():
    x = noise(3)
    freqs, psd = sp.welch_psd(x)
    np.testing.assert_allclose(psd.sum(-1) * (freqs[1] - freqs[0]), np.mean(x ** 2, -1), rtol=0.05)
    freqs, psd = sp.welch_psd(0.5 * tone(2000.0))
    assert psd.sum() * (freqs[1] - freqs[0]) == pytest.approx(0.125, rel=0.01)  # A^2 / 2


def test_centroid_and_band_energies():
    freqs, psd = sp.welch_psd(tone(1500.0))
    assert sp.spectral_centroid(freqs, psd) == pytest.approx(1500.0, abs=20)
    bands = sp.band_energies(freqs, psd)
    assert bands.shape == (4,) and bands[1] > 0.99 and bands.sum() == pytest.approx(1.0)
    freqs, psd = sp.welch_psd(noise(2))
    rel = sp.band_energies(freqs, psd)
    # white noise: energy proportional to bandwidth 1:1:2:4 kHz out of 8 kHz
    np.testing.assert_allclose(rel, np.broadcast_to([1 / 8, 1 / 8, 2 / 8, 4 / 8], rel.shape), atol=0.02)
    absolute = sp.band_energies(freqs, psd, relative=False)
    np.testing.assert_allclose(absolute.sum(-1), psd.sum(-1) * (freqs[1] - freqs[0]))
    assert sp.spectral_centroid(freqs, psd) == pytest.approx([4000, 4000], rel=0.03)
    with pytest.raises(OptionError):
        sp.band_energies(freqs, psd, bands=[(2000, 1000)])
    # a tone on the 4 kHz band edge: the Hann main lobe puts 1/6, 2/3, 1/6 of its power on bins
    # 3968.75, 4000 and 4031.25 Hz, and [lo, hi) bands give 4 kHz to the upper band
    freqs, psd = sp.welch_psd(tone(4000.0))
    np.testing.assert_allclose(sp.band_energies(freqs, psd), [0, 0, 1 / 6, 5 / 6], atol=1e-6)


def test_features_of_sufficient_signals_and_kept_bins():
    x = noise(3, n=8000)
    k = n_bins(8000)
    keep = np.zeros((3, k), dtype=bool)
    keep[0, 100:300] = True         # 200 bins in 200-600 Hz
    keep[1, 2500:2501] = True       # one bin at 5 kHz: a pure tone
    keep[2, :] = True               # everything
    df = sp.features(x, keep)
    assert list(df.index) == [0, 1, 2]
    np.testing.assert_array_equal(df["n_kept"], [200, 1, k])
    np.testing.assert_allclose(df["fraction_kept"], [200 / k, 1 / k, 1.0])
    np.testing.assert_allclose(df["power"], np.mean(keep_bins(x, keep).astype(np.float64) ** 2, -1), rtol=1e-5)
    assert df.loc[0, "band_0_1k"] > 0.97 and df.loc[1, "band_4_8k"] > 0.99
    assert df.loc[1, "periodogram_entropy"] == pytest.approx(0.0) and df.loc[1, "periodogram_entropy_norm"] == 0.0
    assert df.loc[0, "periodogram_entropy_norm"] > 0.85
    assert df.loc[2, "psd_entropy_norm"] > 0.99
    orig = sp.features(x)
    np.testing.assert_allclose(orig.loc[2, ["psd_entropy", "centroid_hz"]], df.loc[2, ["psd_entropy", "centroid_hz"]],
                               rtol=1e-4)


def test_features_of_mixed_lengths_keep_input_order():
    xs = [noise(1, n=12000, seed=1)[0], tone(1000.0, 8000), noise(1, n=12000, seed=2)[0]]
    df = sp.features(xs)
    assert list(df.index) == [0, 1, 2]
    assert df.loc[1, "centroid_hz"] == pytest.approx(1000.0, abs=20)
    assert df.loc[0, "psd_entropy_norm"] > 0.99
    freqs, psd = sp.psd_matrix(xs)
    assert psd.shape == (3, 257) and freqs[np.argmax(psd[1])] == 1000.0


def test_log_psd_bands_separate_groups_and_contain_mean():
    quiet, loud = 0.1 * noise(20, n=4000, seed=3), noise(20, n=4000, seed=4)
    freqs, psd = sp.psd_matrix(np.concatenate([quiet, loud]))
    tab = sp.log_psd_bands(freqs, psd, ["real"] * 20 + ["fake"] * 20, n_boot=200)
    assert set(tab["group"]) == {"real", "fake"} and len(tab) == 2 * 257
    assert ((tab["lo_db"] <= tab["mean_db"]) & (tab["mean_db"] <= tab["hi_db"])).all()
    real, fake = (tab[tab["group"] == g].set_index("freq") for g in ("real", "fake"))
    diff = (fake["mean_db"] - real["mean_db"]).iloc[5:-5]
    assert diff.mean() == pytest.approx(20.0, abs=0.5)   # amplitude x10 = +20 dB
    assert (fake["lo_db"] > real["hi_db"]).iloc[5:-5].all()


def test_bad_input_errors():
    with pytest.raises(AudioError, match="shorter"):
        sp.welch_psd(np.ones(100))
    with pytest.raises(AudioError, match="NaN"):
        sp.welch_psd(np.full(1000, np.nan))
    with pytest.raises(OptionError, match="bins"):
        sp.features(noise(1, n=1000), np.ones((1, 10), bool))
    with pytest.raises(OptionError, match="keep masks"):
        sp.features(noise(2, n=1000), np.ones((1, 501), bool))
    with pytest.raises(OptionError):
        sp.welch_psd(noise(1), overlap=1.0)
    assert sp.kept_fraction(np.array([1, 0, 0, 1])) == 0.5


def test_silent_sufficient_signal_gives_nan_descriptors_without_warnings():
    import warnings

    x = noise(1, n=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = sp.features(x, np.zeros((1, n_bins(2000)), bool))
    assert df.loc[0, "power"] == 0 and df.loc[0, "n_kept"] == 0
    assert df.loc[0, ["psd_entropy", "centroid_hz", "band_0_1k", "periodogram_entropy"]].isna().all()
