"""The deepfake channel audit: exact descriptors of synthetic clips, calibrated accuracy intervals."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from suffice.corpora import audit
from suffice.errors import OptionError

SR = 16000


def clip(lead_s: float = 0.5, tone_s: float = 1.5, total_s: float = 3.0, f0: float = 200.0,
         noise_db: float = -80.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 10 ** (noise_db / 20), int(total_s * SR))
    a, b = int(lead_s * SR), int((lead_s + tone_s) * SR)
    x[a:b] += 0.1 * np.sin(2 * np.pi * f0 * np.arange(b - a) / SR)
    return x


def test_silence_and_duration_are_exact_on_frame_boundaries() -> None:
    d = audit.clip_descriptors(clip())
    assert d["lead_silence_s"] == pytest.approx(0.5)
    assert d["trail_silence_s"] == pytest.approx(1.0)
    assert d["active_span_s"] == pytest.approx(1.5)
    assert d["active_share"] == pytest.approx(0.5)
    # half the frames hold the tone, the rest lie 60 dB below it: the clip's RMS is 3 dB under the active level
    assert d["rms_below_active_db"] == pytest.approx(10 * np.log10(2), abs=0.01)


def test_voicing_brightness_and_noise_floor() -> None:
    d = audit.clip_descriptors(clip(f0=200.0))
    assert d["voiced_share"] == 1.0 and d["f0_median_hz"] == pytest.approx(200.0, rel=0.02)
    assert d["centroid_hz"] == pytest.approx(200.0, rel=0.1)
    # white noise at -80 dBFS: mean frame power of the quietest frames is the noise power
    assert d["noise_level_db"] == pytest.approx(-80.0, abs=0.5)
    noisy = np.random.default_rng(1).normal(0, 0.1, 3 * SR)
    assert audit.clip_descriptors(noisy)["voiced_share"] < 0.2
    with pytest.raises(OptionError):
        audit.clip_descriptors(np.zeros(100))


def test_out_of_band_energy_reads_the_fine_spectrum_not_a_frames_50_hz_bins() -> None:
    """A 140 Hz tone has no energy below 100 Hz (a 20 ms frame's first bin spans 0-150 Hz and read
    it there); a 90 Hz tone has all of it; a 7.5 kHz tone is all above 7 kHz."""
    t = np.arange(3 * SR) / SR
    def tone(f):  # noqa: E306
        return 0.1 * np.sin(2 * np.pi * f * t)
    assert audit.clip_descriptors(tone(140.0))["below100_db"] < -60.0
    assert audit.clip_descriptors(tone(90.0))["below100_db"] == pytest.approx(0.0, abs=0.1)
    assert audit.clip_descriptors(tone(7500.0))["above7k_db"] == pytest.approx(0.0, abs=0.1)
    assert audit.clip_descriptors(tone(6500.0))["above7k_db"] < -60.0
    assert set(audit.CHANNEL_GROUPS["bandwidth"]) == {"above7k_db", "below100_db"}
    assert {"rolloff95_hz", "rolloff99_hz"} <= set(audit.VOICE_GROUPS["brightness"])


def test_wilson_and_binomial_power() -> None:
    from suffice.stats import wilson_interval as wilson
    lo, hi = wilson(50, 100)
    assert lo < 0.5 < hi and hi - 0.5 == pytest.approx(0.5 - lo)
    # n = 100, one-sided 5%: reject for X >= 59; power at 0.6 is P(X >= 59 | 0.6)
    assert audit.binomial_power(100, 0.6) == pytest.approx(sps.binom.sf(58, 100, 0.6))
    assert audit.binomial_power(100, 0.5) <= 0.05
    rng = np.random.default_rng(0)
    cover = np.mean([(lambda k: wilson(k, 60)[0] <= 0.5 <= wilson(k, 60)[1])(rng.binomial(60, 0.5))
                     for _ in range(2000)])
    assert 0.93 <= cover <= 0.97


@pytest.mark.parametrize("n, d, shift", [(40, 2, 0.0), (240, 9, 0.8), (120, 16, 3.0)])
def test_fit_logistic_is_scikit_learns_l2_logistic_regression(n: int, d: int, shift: float) -> None:
    """Same objective, same optimum: coefficients to 1e-5 and the same out-of-fold predictions as
    scikit-learn's imputer + scaler + LogisticRegression pipeline (also with missing values)."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    rng = np.random.default_rng(n + d)
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 50, size=d) + rng.normal(size=d) * 10
    X[y == 1, 0] += shift * X[:, 0].std()
    X[rng.random(X.shape) < 0.03] = np.nan
    X[:, -1] = 7.0  # a constant column
    ours = audit.cv_accuracy(X, np.where(y == 1, "spoof", "bonafide"), seed=1)
    theirs = np.zeros(n, dtype=bool)
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=1).split(X, y):
        model = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                              LogisticRegression(max_iter=5000, tol=1e-10)).fit(X[tr], y[tr])
        theirs[te] = model.predict(X[te]) == y[te]
        Z = model[:-1].transform(X[tr])
        beta = audit.fit_logistic(Z, y[tr].astype(float))
        lr = model[-1]
        np.testing.assert_allclose(beta, np.r_[lr.intercept_, lr.coef_[0]], atol=1e-5)
    assert np.array_equal(ours, theirs)
    with pytest.raises(OptionError, match="two classes"):
        audit.cv_accuracy(X[:30], np.repeat(["a", "b", "c"], 10))


def test_audit_finds_a_channel_difference_and_not_a_null() -> None:
    rng = np.random.default_rng(2)
    n = 80
    y = np.repeat(["bonafide", "spoof"], n // 2)
    table = pd.DataFrame({c: rng.normal(size=n) for g in audit.CHANNEL_GROUPS.values() for c in g}
                         | {c: rng.normal(size=n) for g in audit.VOICE_GROUPS.values() for c in g})
    table.loc[y == "spoof", "noise_level_db"] += 3.0
    out = audit.audit(table, y, n_perm=30).set_index("group")
    assert out.loc["noise_floor", "above_chance"] and out.loc["noise_floor", "accuracy"] > 0.85
    assert out.loc["all channel", "above_chance"]
    for g in ("level", "bandwidth", "silence", "duration", "brightness", "rhythm", "voicing"):
        assert not out.loc[g, "above_chance"], g
    assert out.loc["level", "kind"] == "channel" and out.loc["voicing", "kind"] == "voice"
    first = out.iloc[0]
    assert first["deff"] >= 1.0
    assert first["power"] == pytest.approx(audit.binomial_power(max(1, round(n / first["deff"])), 0.6))
    with pytest.raises(OptionError):
        audit.audit(table, y[:-1])


@pytest.mark.slow
@pytest.mark.timeout(600)  # 30,750 small logistic fits (Newton's method): seconds
def test_audit_false_positive_rate_under_the_null() -> None:
    """150 null tables of 60 clips: the permutation test calls the group above chance at about its level
    (nominal 5%; at most 10%, which a true 5% exceeds with probability under 1%), and the interval covers
    chance in at least 90% of them."""
    rng = np.random.default_rng(3)
    y = np.repeat(["a", "b"], 30)
    rows = [audit.audit(pd.DataFrame({"f": rng.normal(size=60), "g": rng.normal(size=60)}), y,
                        groups={"x": ["f", "g"]}, seed=i, n_perm=40).iloc[0] for i in range(150)]
    assert np.mean([r["above_chance"] for r in rows]) <= 0.10
    assert np.mean([r["at_chance"] for r in rows]) >= 0.90
