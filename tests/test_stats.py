"""Statistics helpers on synthetic data with a planted difference (detected) and without (not)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from suffice import stats as st
from suffice.errors import OptionError


def test_holm_by_hand_and_nan_passthrough():
    # sorted p: .01*3 = .03, .03*2 = .06, .04*1 = .04 -> monotone max .06
    assert st.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = st.holm([0.01, np.nan])
    assert out[0] == pytest.approx(0.01) and np.isnan(out[1])


def test_bootstrap_weights_resample_every_cluster_count():
    w = st.bootstrap_weights(7, 50, seed=1)
    assert w.shape == (50, 7) and (w.sum(1) == 7).all()
    np.testing.assert_array_equal(w, st.bootstrap_weights(7, 50, seed=1))
    with pytest.raises(OptionError):
        st.bootstrap_weights(0, 5)


def test_ratio_bootstrap_estimate_and_interval():
    num = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    den = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    est, reps = st.ratio_bootstrap(num, den, n_boot=300, seed=0)
    assert est[0] == pytest.approx(0.75) and np.isnan(est[1])
    lo, hi = st.percentile_ci(reps)
    assert lo[0] <= 0.75 <= hi[0] and np.isnan(lo[1])


def test_mann_whitney_detects_planted_shift_with_effect_size():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 1.0, 80), rng.normal(0.0, 1.0, 80)
    r = st.mann_whitney(a, b, n_boot=500)
    assert r["p"] < 1e-4
    assert 0.6 < r["auc"] < 0.9 and r["r_rb"] == pytest.approx(2 * r["auc"] - 1)
    assert 0 < r["r_rb_lo"] <= r["r_rb"] <= r["r_rb_hi"]
    assert 0.5 < r["hl_shift"] < 1.5
    # fully separated groups: AUC 1
    assert st.mann_whitney([5, 6, 7], [1, 2, 3], n_boot=50)["auc"] == 1.0


def test_mann_whitney_no_difference_not_detected():
    rng = np.random.default_rng(1)
    r = st.mann_whitney(rng.normal(size=80), rng.normal(size=80), n_boot=500)
    assert r["p"] > 0.05 and r["r_rb_lo"] < 0 < r["r_rb_hi"]


def _features(seed: int = 0) -> pd.DataFrame:
    """Three models; only model 'm1' separates spoof from bonafide in entropy."""
    rng = np.random.default_rng(seed)
    rows = []
    for model, shift in (("m0", 0.0), ("m1", 1.2), ("m2", 0.0)):
        for lab in ("bonafide", "spoof"):
            vals = rng.normal(shift if lab == "spoof" else 0.0, 1.0, 60)
            rows += [{"model": model, "true_label": lab, "entropy": v, "clip_id": f"{lab}{i}"} for i, v in enumerate(vals)]
    return pd.DataFrame(rows)


def test_compare_groups_flags_only_the_model_with_a_difference():
    res = st.compare_groups(_features(), "entropy", n_boot=300).set_index("model")
    assert res.loc["m1", "significant"] and res.loc["m1", "r_rb"] > 0.4
    assert not res.loc[["m0", "m2"], "significant"].any()
    assert (res["p_holm"] >= res["p"]).all()
    with pytest.raises(OptionError, match="nope"):
        st.compare_groups(_features(), "nope")
    # a model whose bona fide values are all NaN (e.g. silent sufficient signals): NaN row, same columns
    gap = _features()
    gap.loc[(gap.model == "m0") & (gap.true_label == "bonafide"), "entropy"] = np.nan
    res2 = st.compare_groups(gap, "entropy", n_boot=100).set_index("model")
    assert list(res2.columns) == list(res.columns) and np.isnan(res2.loc["m0", "r_rb"])
    assert res2.loc["m0", "n_b"] == 0 and not res2.loc["m0", "significant"] and res2.loc["m1", "significant"]


def test_kruskal_wallis_effect_size_tracks_planted_difference():
    rng = np.random.default_rng(2)
    same = pd.DataFrame({"model": np.repeat(["a", "b", "c"], 50), "v": rng.normal(size=150)})
    diff = same.assign(v=same["v"] + np.repeat([0.0, 1.5, 3.0], 50))
    r0, r1 = st.kruskal_wallis(same, "v", n_boot=300), st.kruskal_wallis(diff, "v", n_boot=300)
    assert r0["p"] > 0.05 and r1["p"] < 1e-10 and r1["df"] == 2
    assert r1["epsilon2"] > 0.5 > r0["epsilon2"]
    assert r1["epsilon2_lo"] <= r1["epsilon2"] <= r1["epsilon2_hi"]
    assert r1["epsilon2_lo"] > r0["epsilon2_hi"]


def test_logistic_glm_recovers_planted_effect_with_clustered_errors():
    rng = np.random.default_rng(3)
    n_clips, per = 150, 4
    clip = np.repeat(np.arange(n_clips), per)
    x1 = rng.normal(size=n_clips)[clip] + 0.3 * rng.normal(size=clip.size)  # clip-level predictor
    x2 = rng.normal(size=clip.size)
    y = (rng.random(clip.size) < 1 / (1 + np.exp(-(0.2 + 1.0 * x1)))).astype(int)
    df = pd.DataFrame({"transfer": y, "x1": x1, "x2": x2, "clip_id": clip})
    res = st.logistic_glm(df, "transfer", ["x1", "x2"], standardise=False).set_index("term")
    assert res.loc["x1", "coef_lo"] < 1.0 < res.loc["x1", "coef_hi"] and res.loc["x1", "p"] < 1e-6
    assert res.loc["x2", "p"] > 0.05 and res.loc["x2", "or_lo"] < 1 < res.loc["x2", "or_hi"]
    assert res.attrs["n_clusters"] == n_clips and not res.attrs["degenerate"]
    std = st.logistic_glm(df, "transfer", ["x1", "x2"]).set_index("term")
    assert std.loc["x1", "coef"] == pytest.approx(res.loc["x1", "coef"] * df["x1"].std(ddof=0), rel=1e-6)


def test_logistic_glm_flags_perfect_separation_and_bad_input():
    df = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1], "x": [1.0, 2, 3, 4, 5, 6], "clip_id": range(6)})
    assert st.logistic_glm(df, "y", ["x"]).attrs["degenerate"]
    with pytest.raises(OptionError, match="0/1"):
        st.logistic_glm(df.assign(y=[0, 2, 0, 1, 1, 1]), "y", ["x"])
    with pytest.raises(OptionError, match="missing"):
        st.logistic_glm(df, "y", ["z"])


def _clustered(rng: np.random.Generator, n_clusters: int, per: int = 40, between: bool = True) -> pd.DataFrame:
    """Null data: clip effects of SD 1 on the logit, a predictor unrelated to the outcome (mostly
    between clips when ``between``)."""
    clip = np.repeat(np.arange(n_clusters), per)
    u = rng.normal(0, 1.0, n_clusters)[clip]
    x = (rng.normal(0, 1, n_clusters)[clip] if between else 0) + rng.normal(0, 0.5, clip.size)
    y = (rng.random(clip.size) < 1 / (1 + np.exp(1 - u))).astype(float)
    return pd.DataFrame({"y": y, "x": x, "clip_id": clip})


@pytest.mark.slow
def test_logistic_glm_false_positive_rate_with_clustered_nulls():
    """Calibration of the clustered test at the level 0.05 (200 simulated nulls each): near the level from
    30 clusters (the Monte Carlo SE is 0.015), and no claim below 20 clusters, where the sandwich errors
    reject too often."""
    rng = np.random.default_rng(1)
    for between in (True, False):
        p = [st.logistic_glm(_clustered(rng, 30, between=between), "y", ["x"]).set_index("term").loc["x", "p"]
             for _ in range(200)]
        assert np.mean(np.asarray(p) < 0.05) <= 0.09
    few = st.logistic_glm(_clustered(rng, 12), "y", ["x"])
    assert few.attrs["degenerate"] and "too few" in few.attrs["reason"] and few["p"].isna().all()
    assert np.isfinite(few["coef"]).all() and few.attrs["reference"] == "t (11 df)"


def test_feature_tables_stack_tests_per_feature():
    df = _features().assign(noise=lambda d: np.random.default_rng(5).normal(size=len(d)))
    cf = st.compare_features(df, ["entropy", "noise"], n_boot=100)
    assert list(cf["value"]) == ["entropy"] * 3 + ["noise"] * 3
    assert cf.set_index(["value", "model"]).loc[("entropy", "m1"), "significant"]
    assert not cf[cf["value"] == "noise"]["significant"].any()
    kt = st.kruskal_table(df, ["entropy"], n_boot=100).set_index("subset")
    # spoof entropy differs across models (m1 is shifted), bonafide does not
    assert kt.loc["spoof", "p_holm"] < 1e-3 and kt.loc["bonafide", "p"] > 0.05 and len(kt) == 3


def test_logistic_glm_reports_why_a_fit_is_degenerate():
    df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 0], "a": [1.0, 2, 3, 4, 5, 6, 7, 9], "clip_id": range(8)})
    cases = {"collinear": (df.assign(b=2 * df["a"]), ["a", "b"]), "constant": (df.assign(b=1.0), ["a", "b"]),
             "too few": (df.head(3), ["a", "clip_id"]), "always": (df.assign(y=1), ["a"])}
    for why, (data, preds) in cases.items():
        res = st.logistic_glm(data, "y", preds)
        assert res.attrs["degenerate"] and why in res.attrs["reason"] and res["coef"].isna().all()
    ok = st.logistic_glm(df, "y", ["a"], cluster=None)  # 8 clusters would be too few for a clustered test
    assert not ok.attrs["degenerate"] and ok.attrs["reason"] is None


def test_tied_and_silent_edge_cases_give_nan_not_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = st.kruskal_wallis(pd.DataFrame({"model": list("aabb"), "v": [1.0] * 4}), "v", n_boot=20)
        assert np.isnan(r["H"]) and np.isnan(r["p"])
        m = st.mann_whitney([1, 1, 1], [1, 1, 1], n_boot=20)
        assert m["auc"] == 0.5 and m["p"] == 1.0


def _paired(shift: float, seed: int, n: int = 40) -> pd.DataFrame:
    """Three models on the same clips: a large clip effect, model c shifted by ``shift``."""
    rng = np.random.default_rng(seed)
    clip = rng.normal(0, 3.0, n)
    return pd.DataFrame({"clip_id": np.tile(np.arange(n), 3), "model": np.repeat(list("abc"), n),
                         "v": np.concatenate([clip + rng.normal(0, 0.3, n) + s for s in (0.0, 0.0, shift)])})


def test_friedman_matches_scipy_including_ties():
    from scipy import stats as sps

    df = _paired(0.4, 4).assign(v=lambda d: d["v"].round(0))  # rounding makes ties
    r = st.friedman(df, "v", n_boot=100)
    wide = df.pivot(index="clip_id", columns="model", values="v")
    ref = sps.friedmanchisquare(*[wide[c] for c in wide])
    assert r["chi2"] == pytest.approx(ref.statistic) and r["p"] == pytest.approx(ref.pvalue)
    assert r["kendall_w"] == pytest.approx(ref.statistic / (40 * 2))


def test_friedman_uses_the_pairing_that_kruskal_ignores():
    shifted, null = _paired(0.5, 5), _paired(0.0, 6)
    fr, kw = st.friedman(shifted, "v", n_boot=300), st.kruskal_wallis(shifted, "v", n_boot=100)
    assert fr["p"] < 1e-4 and kw["p"] > 0.05          # the clip effect swamps the shift unless paired
    assert fr["kendall_w_lo"] <= fr["kendall_w"] <= fr["kendall_w_hi"] and fr["kendall_w_lo"] > 0.2
    f0 = st.friedman(null, "v", n_boot=300)
    assert f0["p"] > 0.05 and f0["kendall_w_lo"] < 0.05
    with pytest.raises(OptionError, match="complete"):
        st.friedman(shifted[shifted.model == "a"], "v")


def test_cluster_interval_switches_by_the_number_of_clusters():
    rng = np.random.default_rng(0)
    reps = rng.normal(0.3, 0.05, size=(400, 3))
    n = np.array([30, 10, 4])
    lo, hi, how = st.cluster_interval(np.full(3, 0.3), reps, n)
    plo, phi = st.percentile_ci(reps[:, :1])
    assert (lo[0], hi[0]) == pytest.approx((plo[0], phi[0])) and how[0] == "bootstrap"
    q = stats.t.ppf(0.975, 9)
    se = reps[:, 1].std(ddof=1)
    assert (lo[1], hi[1]) == pytest.approx((0.3 - q * se, 0.3 + q * se)) and how[1] == "t (9 df)"
    assert np.isnan(lo[2]) and np.isnan(hi[2]) and how[2].startswith("no claim")
    lo1, hi1, how1 = st.cluster_interval(0.3, reps[:, 1], 12, df=10)  # a scalar, with given df
    assert how1[()] == "t (10 df)" and lo1 < 0.3 < hi1
