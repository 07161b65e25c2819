"""The like-for-like headline contrast: estimates by hand, strata, small-sample rule, interval calibration."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suffice import transfer as tr
from suffice.errors import OptionError
from suffice.stats import stratified_bootstrap_weights
from suffice.transfer.contrast import (MIN_CLIPS_ANY, STRATA, clips_needed, contrast_sentence, contrast_table,
                                       headline_contrast, row_strata, silence_strata, strata_sentence)


def _with_energy(df: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return df.assign(null_energy_accept=rng.integers(0, 4, len(df)) / 3)


def test_contrast_by_hand_and_strata_partition_the_rows():
    df = _with_energy(tr.simulate(4, 20, n_classes=5, seed=0))
    df.loc[df.index[::7], "set_size"] = 0
    tab = contrast_table(df, n_boot=200)
    off = df[df.source != df.target]
    y = (off.target_pred_sufficient == off.source_pred).astype(float)
    ref = {"loudest": (off.target_pred_topmag == off.source_pred).astype(float),
           "energy": off.null_energy_accept, "random": off.null_random_accept}
    a = tab[tab.stratum == "all"].set_index("measure")
    assert a.loc["observed", "estimate"] == pytest.approx(y.mean())
    for k, v in ref.items():
        assert a.loc[k, "estimate"] == pytest.approx(v.mean())
        assert a.loc[f"observed - {k}", "estimate"] == pytest.approx(y.mean() - v.mean())
        assert a.loc[f"observed - {k}", "lo"] <= a.loc[f"observed - {k}", "estimate"] <= a.loc[f"observed - {k}", "hi"]
    # the strata partition the rows; each stratum's estimate is its rows' mean
    s = row_strata(off)
    n = tab[tab.measure == "observed"].set_index("stratum")["n_rows"]
    assert n[list(STRATA[1:])].sum() == n["all"] == len(off)
    for name in STRATA[1:]:
        assert tab[(tab.stratum == name) & (tab.measure == "observed")].estimate.iloc[0] == pytest.approx(y[s == name].mean())
    assert (s[(off.set_size == 0).to_numpy()] == "empty set").all()
    own = (off.set_size > 0).to_numpy() & (off.source_pred == off.target_pred_silence).to_numpy()
    assert (s[own] == "judge's silence class").all()
    # the views and the sentences
    pd.testing.assert_frame_equal(headline_contrast(df, n_boot=200), tab[tab.stratum == "all"].reset_index(drop=True))
    assert set(silence_strata(df, n_boot=200).stratum) == set(STRATA[1:])
    text = contrast_sentence(tab)
    assert "the |S| loudest bins" in text and "energy-matched" in text and "uniform random bins" in text
    assert f"the |S| loudest bins {100 * a.loc['observed - loudest', 'estimate']:+.1f} pp" in text
    assert "empty sets" in strata_sentence(tab)


def test_energy_reference_is_optional_and_columns_are_required():
    df = tr.simulate(3, 20, n_classes=5, seed=1)
    tab = headline_contrast(df, n_boot=100)
    assert "observed - energy" not in set(tab.measure) and "observed - loudest" in set(tab.measure)
    assert "no energy-matched" in contrast_sentence(tab)
    with pytest.raises(tr.TableError, match="target_pred_topmag"):
        headline_contrast(df.drop(columns=["target_pred_topmag"]))
    with pytest.raises(OptionError, match="stratum"):
        contrast_table(df, strata=("loud",))
    # rows whose nulls were not computed leave every measure alike
    d2 = df.copy()
    d2.loc[d2.index[:40], "null_random_accept"] = np.nan
    a = headline_contrast(d2, n_boot=50).set_index("measure")
    assert a.loc["observed", "n_rows"] == ((d2.source != d2.target) & d2.null_random_accept.notna()).sum()


def test_small_samples_get_a_t_interval_or_no_claim():
    big = headline_contrast(tr.simulate(3, 30, n_classes=5, seed=2), n_boot=200).set_index("measure")
    assert big.loc["observed - loudest", "method"] == "stratified bootstrap"
    small = headline_contrast(tr.simulate(3, 10, n_classes=5, seed=2), n_boot=200).set_index("measure")
    assert small.loc["observed - loudest", "method"] == "t (5 df)"
    tiny = headline_contrast(tr.simulate(3, MIN_CLIPS_ANY - 1, n_classes=2, seed=2), n_boot=200)
    assert tiny.lo.isna().all() and (tiny.method == "no claim: too few clips").all()
    assert "(no claim: too few clips)" in contrast_sentence(tiny)


def test_stratified_weights_resample_within_class_and_give_the_unbiased_variance():
    strata = np.repeat(np.arange(4), 3)
    w = stratified_bootstrap_weights(strata, 20000, seed=0)
    np.testing.assert_allclose(w.reshape(-1, 4, 3).sum(-1), 3.0)  # every class keeps its weight
    x = np.random.default_rng(1).normal(size=12)
    est = w @ x / 12
    within = sum(np.var(x[strata == h], ddof=1) / 3 for h in range(4)) / 16  # unbiased stratified variance
    assert np.var(est) == pytest.approx(within, rel=0.05)
    assert (stratified_bootstrap_weights(["a", "b", "b"], 5, seed=0)[:, 0] == 1).all()  # a lone clip
    np.testing.assert_array_equal(stratified_bootstrap_weights(strata, 7, 3), stratified_bootstrap_weights(strata, 7, 3))


def test_clips_needed_scales_with_the_square_of_the_half_width():
    assert clips_needed(0.03, 30, 0.015) == 120
    assert clips_needed(0.01, 30, 0.015) == 14
    with pytest.raises(OptionError):
        clips_needed(0.03, 30, 0.0)


# ---- calibration ---------------------------------------------------------------------------------------
def null_table(n_classes: int, per_class: int, n_models: int, rng: np.random.Generator, *,
               excess: float = 0.0) -> pd.DataFrame:
    """A transfer table under the null of no excess over the loudest bins, with the data's structure.

    Clips are drawn ``per_class`` per class; on the logit scale each row (clip x, producer f, judge g)
    has a class effect (SD 0.7), a clip effect (SD 1), a clip x producer effect (SD 0.7: one producer's
    set of one clip is loud or quiet for every judge), a judge effect (SD 0.5) and a pair effect (SD 0.5);
    the observed acceptance and the loudest-bins acceptance share all of them and each adds its own
    clip x producer draw (SD 0.5), so they are exchangeable: the true contrast is 0.  ``excess`` adds that
    much to the observed logit (a non-null).  A quarter of the judges' silence classes are the set's
    class, a tenth of the sets are empty.
    """
    c, m = n_classes * per_class, n_models
    cls = np.repeat(np.arange(n_classes), per_class)
    eta = (-1.0 + 0.7 * rng.standard_normal(n_classes)[cls][:, None, None] + rng.standard_normal((c, 1, 1))
           + 0.7 * rng.standard_normal((c, m, 1)) + 0.5 * rng.standard_normal((1, 1, m))
           + 0.5 * rng.standard_normal((1, m, m)))
    p_obs = 1 / (1 + np.exp(-(eta + excess + 0.5 * rng.standard_normal((c, m, 1)))))
    p_ref = 1 / (1 + np.exp(-(eta + 0.5 * rng.standard_normal((c, m, 1)))))
    obs, ref = rng.random((c, m, m)) < p_obs, rng.random((c, m, m)) < p_ref
    ci, fi, gi = (a.ravel() for a in np.meshgrid(np.arange(c), np.arange(m), np.arange(m), indexing="ij"))
    label = np.array([f"k{j}" for j in range(n_classes)], dtype=object)
    src = label[cls[ci]]
    other = label[(cls[ci] + 1) % n_classes]
    silent = rng.random((c, m))[ci, gi] < 0.25
    size = np.where(rng.random((c, m)) < 0.1, 0, 5)[ci, fi]
    return pd.DataFrame({
        "task": "sim", "clip_id": [f"x{k:03d}" for k in ci], "true_label": src, "source": fi.astype(str),
        "target": gi.astype(str), "seed": 0, "source_pred": src, "source_conf": 0.8, "found": True,
        "set_size": size, "n_bins": 100, "fraction": size / 100, "n_model_calls": 10,
        "target_pred_original": src, "target_prob_original": 0.7,
        "target_pred_sufficient": np.where(obs.ravel(), src, other), "target_prob_sufficient": 0.5,
        "target_pred_silence": np.where(silent, src, other), "null_random_accept": 0.1,
        "target_pred_topmag": np.where(ref.ravel(), src, other)})


def _coverage(n_classes: int, per_class: int, sims: int, *, excess: float = 0.0, seed: int = 0) -> tuple[float, float]:
    """(share of intervals covering 0, share of intervals excluding 0) of observed - loudest, all rows."""
    rng = np.random.default_rng(seed)
    cover = 0
    for i in range(sims):
        t = headline_contrast(null_table(n_classes, per_class, 6, rng, excess=excess), n_boot=400, seed=i)
        r = t.set_index("measure").loc["observed - loudest"]
        cover += bool(r["lo"] <= 0 <= r["hi"])
    return cover / sims, 1 - cover / sims


@pytest.mark.parametrize("n_classes, per_class", [(10, 3), (2, 15), (4, 3)])
def test_interval_covers_at_the_nominal_rate_under_a_null_with_clip_and_class_structure(n_classes, per_class):
    """Null: observed and loudest-bins acceptance exchangeable (excess 0).  Estimand: the pooled contrast.
    200 simulated studies per design (genre's 10 x 3 and deepfake's 2 x 15 clips: the stratified bootstrap;
    4 x 3 = 12 clips: the t interval); coverage must lie within 3 binomial standard errors of 95%
    (0.95 +- 0.046, two-sided tolerance)."""
    cov, _ = _coverage(n_classes, per_class, 200, seed=n_classes * 100 + per_class)
    assert abs(cov - 0.95) <= 3 * np.sqrt(0.95 * 0.05 / 200), cov


def test_interval_has_power_against_a_planted_excess():
    """Power: an excess of 1 logit (about +15 pp at these rates) on genre's design is detected (the
    interval excludes 0) in at least 80% of 50 simulated studies."""
    _, power = _coverage(10, 3, 50, excess=1.0, seed=7)
    assert power >= 0.8, power


def test_the_headline_row_repeats_the_summary_and_the_contrasts():
    import matplotlib
    matplotlib.use("Agg")
    from suffice.plotting.transfer import contrast_forest
    from suffice.transfer import HEADLINE_FIELDS, headline_sentence, summarise, task_headline
    from suffice.transfer.contrast import contrast_table

    df = _with_energy(tr.simulate(4, 12, n_classes=3, seed=4))
    df.loc[df.index[::9], "set_size"] = 0
    row = task_headline(df, task="toy", n_boot=300, seed=1)
    assert tuple(row) == HEADLINE_FIELDS
    s = summarise(df, n_boot=300, seed=1)
    assert (row["rate"], row["rate_lo"], row["rate_hi"]) == (s.task["rate"], s.task["lo"], s.task["hi"])
    c = contrast_table(df, n_boot=300, seed=1, strata=("all",)).set_index("measure")
    assert row["loudest"] == c.loc["observed - loudest", "estimate"]
    assert row["random_lo"] == c.loc["observed - random", "lo"]
    assert 0.0 <= row["accepted_silence"] <= 1.0 and 0.0 <= row["empty_sets"] <= 1.0
    text = headline_sentence(row)
    assert "**toy**" in text and "loudest bins" in text and f"{100 * row['rate']:.1f}%" in text
    fig = contrast_forest(pd.DataFrame([row, {**row, "task": "other"}]))
    assert len(fig.axes[0].get_yticklabels()) == 2


def test_headlines_compared_on_shared_clips_and_shown_as_text():
    from suffice.transfer import compare_headlines, headline_display

    a = _with_energy(tr.simulate(4, 12, n_classes=3, seed=5))
    b = _with_energy(tr.simulate(4, 12, n_classes=3, seed=6))
    b = b[b["clip_id"].isin(sorted(b["clip_id"].unique())[:8])]
    rows = compare_headlines({"atoms": a, "bins": b}, n_boot=200, seed=0)
    assert list(rows.index) == ["atoms", "bins"] and (rows["n_clips"] == 8).all()  # the shared clips only
    assert rows.loc["bins", "median_calls"] == b.drop_duplicates(["source", "clip_id", "seed"])["n_model_calls"].median()
    shown = headline_display(rows)
    assert shown.index.name == "study" and shown.loc["atoms", "transfer rate"].endswith(")")
    assert "minus loudest (pp)" in shown.columns and shown["clips"].tolist() == [8, 8]
