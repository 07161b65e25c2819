"""The deepfake information analysis on synthetic tables with known effects and with nulls."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from suffice import deepfake_info as di
from suffice.errors import OptionError
from suffice.stats_blocked import _wild_weights, blocked_ranks, clustered_ols, wald_test, wild_cluster_wald
from suffice.toys import tone_clip

MODELS = ("m0", "m1", "m2", "m3")


def synthetic(rng: np.random.Generator, *, n_clips: int = 30, class_effect: float = 0.0,
              per_model: dict[str, float] | None = None, size_slope: float = 0.1,
              clip_sd: float = 0.3, noise_sd: float = 0.1, models: Sequence[str] = MODELS) -> pd.DataFrame:
    """Clips x detectors; spoof clips get larger sets (a size confound); value = slope * log|S| + effects."""
    n = n_clips * len(models)
    clip = np.repeat(np.arange(n_clips), len(models))
    spoof = clip % 2 == 1
    model = np.tile(np.array(models), n_clips)
    log_size = rng.normal(2.0 + spoof, 0.5)
    eff = class_effect + np.array([(per_model or {}).get(m, 0.0) for m in model])
    value = size_slope * log_size + rng.normal(0, clip_sd, n_clips)[clip] + eff * spoof + rng.normal(0, noise_sd, n)
    label = np.where(spoof, "spoof", "bonafide")
    return pd.DataFrame({"model": model, "clip_id": [f"c{c}" for c in clip], "true_label": label,
                         "source_pred": label, "log_size": log_size, "value": value})


def test_clustered_ols_recovers_exact_coefficients() -> None:
    x = np.arange(10, dtype=float)
    X = np.column_stack([np.ones(10), x])
    fit = clustered_ols(3.0 + 2.0 * x, X, np.repeat(np.arange(5), 2))
    assert np.allclose(fit["beta"], [3.0, 2.0])
    assert np.allclose(fit["cov"], 0.0, atol=1e-18)
    assert fit["n_clusters"] == 5 and fit["df"] == 4
    with pytest.raises(OptionError):
        clustered_ols(x, X, np.zeros(10))


def test_class_effect_controls_set_size() -> None:
    """No class effect, but spoofs have larger sets: the raw difference is nonzero, beta is not."""
    rng = np.random.default_rng(1)
    df = synthetic(rng, size_slope=0.3, clip_sd=0.05)
    raw = df[df.true_label == "spoof"].value.mean() - df[df.true_label == "bonafide"].value.mean()
    assert raw > 0.2
    eff = di.class_effects(df, ["value"]).iloc[0]
    assert eff["lo"] <= 0.0 <= eff["hi"]
    assert abs(eff["beta"]) < 0.1


def test_class_effect_known_effect() -> None:
    eff = di.class_effects(synthetic(np.random.default_rng(2), class_effect=0.5), ["value"]).iloc[0]
    assert eff["lo"] < 0.5 < eff["hi"] and eff["p"] < 0.01


@pytest.mark.slow
def test_class_effect_null_coverage() -> None:
    """200 null replicates: the 95% interval of beta covers 0 in 90-99% of them."""
    rng = np.random.default_rng(2)
    cover = [(lambda r: r["lo"] <= 0.0 <= r["hi"])(di.class_effects(synthetic(rng), ["value"]).iloc[0])
             for _ in range(200)]
    assert 0.90 <= np.mean(cover) <= 0.99


SIX = tuple(f"m{i}" for i in range(6))


@pytest.mark.slow
def test_interaction_null_rate() -> None:
    """200 replicates, 6 detectors on 30 clips, a common class effect and no interaction.

    The wild cluster bootstrap rejects at 5% in 2-9% of them (5% +- 2.5 MC SE at 200 replicates); the
    F(5, 29) reference rejects at least as often.  With 1000 replicates of this design (seed 3, replicate
    i bootstrapped with seed i): F(5, 29) 8.3% (MC SE 0.9%), wild bootstrap 4.9% (0.7%); with the four
    detectors of ``MODELS``: F(3, 29) 6.4% (0.8%), wild 5.8% (0.7%); with five detectors on 20 clips (the
    size of the deepfake chapter's rex variant): F(4, 19) 9.0% (0.9%), wild 6.2% (0.8%).
    """
    rng = np.random.default_rng(3)
    res = [di.interaction_test(synthetic(rng, class_effect=0.3, models=SIX), "value", seed=i).attrs for i in range(200)]
    wild = np.mean([a["p_interaction"] < 0.05 for a in res])
    f_ref = np.mean([a["p_interaction_f"] < 0.05 for a in res])
    assert 0.02 <= wild <= 0.09
    assert f_ref >= wild


@pytest.mark.slow
def test_interaction_power_against_one_detector() -> None:
    """200 replicates, one of 6 detectors with a class difference 0.5 larger (clip sd 0.3, noise sd 0.1):
    the bootstrap rejects at 5% in at least 60% of them (500 replicates: 77.2%, MC SE 1.9%, against
    83.8% for the liberal F(5, 29) reference)."""
    rng = np.random.default_rng(4)
    res = [di.interaction_test(synthetic(rng, class_effect=0.3, per_model={"m2": 0.5}, models=SIX), "value",
                               seed=i).attrs["p_interaction"] for i in range(200)]
    assert np.mean(np.array(res) < 0.05) >= 0.6


def _wild_by_loop(y, X, g, R, w):
    """The wild cluster bootstrap F* by its definition, one replicate at a time."""
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    bread = np.linalg.inv(X.T @ X)
    beta_r = beta - bread @ R.T @ np.linalg.solve(R @ bread @ R.T, R @ beta)
    u_r = y - X @ beta_r
    return np.array([wald_test(clustered_ols(X @ beta_r + u_r * w[g, b], X, g), R)["F"] for b in range(w.shape[1])])


def test_wild_cluster_wald_equals_its_definition() -> None:
    """The vectorised bootstrap gives the same p-value as refitting every replicate with clustered_ols."""
    rng = np.random.default_rng(9)
    g = np.repeat(np.arange(12), 5)
    X = np.column_stack([np.ones(60), rng.normal(size=60), rng.normal(size=60), rng.normal(size=60)])
    y = X @ [1.0, 0.2, 0.0, -0.1] + rng.normal(size=12)[g] + rng.normal(size=60)
    R = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]])
    for weights in ("rademacher", "webb"):
        out = wild_cluster_wald(y, X, g, R, n_boot=199, weights=weights, seed=5)
        w = _wild_weights(np.random.default_rng(5), (12, 199), weights)
        f_star = _wild_by_loop(y, X, g, R, w)
        obs = wald_test(clustered_ols(y, X, g), R)
        assert out["F"] == pytest.approx(obs["F"]) and out["p_f"] == pytest.approx(obs["p"])
        assert out["p"] == pytest.approx((1 + np.sum(f_star >= obs["F"] * (1 - 1e-12))) / 200)
        assert out["df_num"] == 2 and out["df_den"] == 11
    assert wild_cluster_wald(y, X, g, R, n_boot=199, seed=5)["p"] == wild_cluster_wald(y, X, g, R, n_boot=199, seed=5)["p"]
    with pytest.raises(OptionError):
        wild_cluster_wald(y, X, g, R, weights="normal")
    with pytest.raises(OptionError):
        wild_cluster_wald(y, X, g, R, n_boot=0)


def test_wild_weights_moments() -> None:
    """Both weight laws have mean 0 and variance 1 (Rademacher: exactly +-1)."""
    for kind in ("rademacher", "webb"):
        w = _wild_weights(np.random.default_rng(0), (200, 500), kind)
        assert abs(w.mean()) < 0.01 and abs(w.var() - 1) < 0.01
    assert set(np.unique(_wild_weights(np.random.default_rng(0), (5, 5), "rademacher"))) <= {-1.0, 1.0}


def test_interaction_methods() -> None:
    """The default p is the bootstrap's; method="f" gives the F reference; both report their method."""
    df = synthetic(np.random.default_rng(3), class_effect=0.3)
    wild = di.interaction_test(df, "value", seed=1)
    f_ref = di.interaction_test(df, "value", method="f")
    assert wild.attrs["p_method"].startswith("wild cluster bootstrap") and f_ref.attrs["p_method"] == "F(3, 29)"
    assert f_ref.attrs["p_interaction"] == f_ref.attrs["p_interaction_f"] == wild.attrs["p_interaction_f"]
    assert wild.attrs["F"] == f_ref.attrs["F"]
    assert 1 / 1000 <= wild.attrs["p_interaction"] <= 1
    pd.testing.assert_frame_equal(wild, f_ref)
    with pytest.raises(OptionError):
        di.interaction_test(df, "value", method="t")


def test_interaction_power() -> None:
    rng = np.random.default_rng(3)
    res = di.interaction_test(synthetic(rng, per_model={"m2": 0.8}), "value")
    assert res.attrs["p_interaction"] < 0.01
    assert res.set_index("model").loc["m2", "lo"] > 0.3
    assert res.attrs["df_num"] == 3 and res.attrs["df_den"] == 29


def test_interaction_drops_detectors_without_both_classes() -> None:
    df = synthetic(np.random.default_rng(4))
    df.loc[df.model == "m3", "source_pred"] = "spoof"
    res = di.interaction_test(df, "value")
    assert res.attrs["dropped"] == ["m3"] and list(res.model) == ["m0", "m1", "m2"]


@pytest.mark.slow
def test_blocked_ranks_null_coverage() -> None:
    """200 null replicates: each detector's mean-rank interval covers 0 in 90-99%; Friedman rejects <= 9%."""
    rng = np.random.default_rng(5)
    cover, reject, w_lo = [], [], []
    for _ in range(200):
        df = synthetic(rng)
        out = blocked_ranks(df, "value", n_boot=300, seed=int(rng.integers(1 << 30)))
        cover.append(((out.lo <= 0) & (out.hi >= 0)).mean())
        reject.append(out.attrs["p"] < 0.05)
    assert 0.90 <= np.mean(cover) <= 0.99
    assert np.mean(reject) <= 0.09


def test_interaction_refuses_a_saturated_fit() -> None:
    """Six clips cannot carry 12 per-detector terms: not estimable, rather than an absurd F."""
    with pytest.raises(OptionError):
        di.interaction_test(synthetic(np.random.default_rng(8), n_clips=6), "value")


def test_blocked_ranks_effect() -> None:
    rng = np.random.default_rng(5)
    df = synthetic(rng)
    df.loc[df.model == "m1", "value"] += 1.0
    out = blocked_ranks(df, "value", n_boot=300).set_index("level")
    assert out.attrs["p"] < 1e-6 and out.loc["m1", "lo"] > 1.0
    # the mean-rank deviations of k detectors sum to zero exactly
    assert abs(out.mean_rank_dev.sum()) < 1e-12


def test_wald_test_of_known_restriction() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=200)
    X = np.column_stack([np.ones(200), x])
    fit = clustered_ols(1.0 + 0.0 * x + rng.normal(size=200), X, np.arange(200) // 4)
    w = wald_test(fit, np.array([[0.0, 1.0]]))
    assert w["df_num"] == 1 and w["df_den"] == 49 and 0 <= w["p"] <= 1


def test_reference_keeps_top_magnitude_and_random() -> None:
    x = tone_clip([440, 1000], amplitude=[1.0, 0.5])
    top, rnd = di.reference_keeps(x, 2, seed=0, key="a/b")
    k = np.fft.rfftfreq(len(x), 1 / 16000)
    assert sorted(k[top]) == [440.0, 1000.0]
    assert rnd.sum() == 2
    assert np.array_equal(rnd, di.reference_keeps(x, 2, seed=0, key="a/b")[1])
    assert not np.array_equal(rnd, di.reference_keeps(x, 2, seed=0, key="a/c")[1])
    with pytest.raises(OptionError):
        di.reference_keeps(x, len(k) + 1, seed=0, key="a/b")


def test_descriptor_table_and_differences() -> None:
    x = tone_clip([440, 1000], amplitude=[1.0, 0.5])
    top, _ = di.reference_keeps(x, 2, seed=0, key="m/c")
    recs = [{"model": "m", "clip_id": "c", "true_label": "spoof", "source_pred": "spoof", "keep": top, "waveform": x}]
    t = di.descriptor_table(recs)
    assert list(t.kind) == list(di.KINDS)
    suff, topm = t[t.kind == "sufficient"].iloc[0], t[t.kind == "topmag"].iloc[0]
    assert suff.psd_entropy_norm == pytest.approx(topm.psd_entropy_norm)
    assert (t["size"] == 2).all() and t.log_size.iloc[0] == pytest.approx(np.log(2))
    d = di.differences(t, ["psd_entropy_norm"])
    assert set(d.kind) == {"sufficient - original", "topmag - original", "random - original"}
    assert d.set_index("kind").loc["sufficient - original", "psd_entropy_norm"] == pytest.approx(
        suff.psd_entropy_norm - t[t.kind == "original"].psd_entropy_norm.iloc[0])
    with pytest.raises(OptionError):
        di.descriptor_table([{**recs[0], "keep": np.zeros_like(top)}])


def test_empty_counts() -> None:
    ex = pd.DataFrame({"model": ["a", "a", "a", "b", "b"],
                       "source_pred": ["spoof", "spoof", "bonafide", "spoof", "spoof"],
                       "found": [True, False, False, True, True], "set_size": [3, 0, 0, 0, 5]})
    out = di.empty_counts(ex).set_index(["model", "source_pred"])
    assert out.loc[("a", "spoof"), "not_found"] == 1 and out.loc[("a", "bonafide"), "not_found"] == 1
    assert out.loc[("a", "spoof"), "empty"] == 0 and out.loc[("b", "spoof"), "empty"] == 1
    assert out.loc[("a", "spoof"), "left_out_share"] == 0.5 and out.loc[("b", "spoof"), "left_out_share"] == 0.5
    assert out["cut_none"].sum() == 0 and out["budget_cut"].sum() == 0   # no budget column: nothing cut
    # the budget ran out: a missing set is "cut_none", never "not_found"; a found one is described (budget_cut)
    cut = di.empty_counts(ex.assign(budget_cut=[True, True, False, False, True])).set_index(["model", "source_pred"])
    assert cut.loc[("a", "spoof"), "not_found"] == 0 and cut.loc[("a", "spoof"), "cut_none"] == 1
    assert cut.loc[("a", "spoof"), "budget_cut"] == 1 and cut.loc[("b", "spoof"), "budget_cut"] == 1
    assert cut.loc[("a", "bonafide"), "not_found"] == 1 and cut["cut_none"].sum() == 1
    assert cut.loc[("a", "spoof"), "left_out_share"] == 0.5 and cut.loc[("b", "spoof"), "left_out_share"] == 0.5


def test_conclusion_reads_the_numbers() -> None:
    rng = np.random.default_rng(7)
    df = pd.concat([synthetic(rng, class_effect=0.5).assign(kind="sufficient"),
                    synthetic(rng).assign(kind="topmag")])
    eff = di.class_effects(df, ["value"])
    inter = di.interaction_test(df[df.kind == "sufficient"], "value")
    text = "\n".join(di.conclusion(eff, inter, value="value"))
    beta = eff.set_index("kind").loc["sufficient", "beta"]
    assert 0.2 < beta < 0.8
    assert f"`sufficient`: spoof - bona fide = {beta:+.3g}" in text and "a difference" in text
    top = eff.set_index("kind").loc["topmag"]
    verdict = "a difference" if top["p_holm"] < 0.05 else "no difference shown"
    assert (f"`topmag`: spoof - bona fide = {top['beta']:+.3g} (95% CI {top['lo']:+.3g} to {top['hi']:+.3g}, unadjusted; "
            f"Holm-adjusted p = {top['p_holm']:.2g} over 1 descriptor), {verdict} at α = 0.05") in text


class _Expl:
    def __init__(self, keep: np.ndarray, waveform: np.ndarray, necessary_keep: np.ndarray | None = None,
                 contrastive: bool = False) -> None:
        self.keep, self.waveform, self.necessary_keep = keep, waveform, necessary_keep
        self.options = {"contrastive": contrastive}


class _Study:
    """The two things :func:`analyse` reads from a StudyResult: the explanation table and explanations."""

    def __init__(self) -> None:
        rows, self._e = [], {}
        for c in range(8):
            label = "spoof" if c % 2 else "bonafide"
            x = tone_clip([300 + 40 * c, 2000 + 300 * (c % 2)], amplitude=[1.0, 0.3 + 0.1 * c], seed=c)
            for m in ("a", "b"):
                found = not (m == "b" and c == 0)
                keep, _ = di.reference_keeps(x, 2 + c % 3 + (m == "b"), seed=0, key=f"{m}/{c}")
                rows.append({"model": m, "clip_id": f"c{c}", "true_label": label, "target": label, "found": found,
                             "set_size": int(keep.sum()) if found else 0})
                self._e[(m, f"c{c}")] = _Expl(keep if found else np.zeros_like(keep), x)
        self.explanations = pd.DataFrame(rows)

    def explanation(self, model: str, clip_id: str) -> _Expl:
        return self._e[(model, clip_id)]


def test_analyse_a_study() -> None:
    out = di.analyse(_Study(), n_boot=50)
    assert out["n_found"] == 15
    emp = out["empty"]["source_pred"].set_index(["model", "source_pred"])
    assert emp.loc[("b", "bonafide"), "not_found"] == 1 and emp["not_found"].sum() == 1 and emp["empty"].sum() == 0
    t = out["table"]
    assert len(t) == 15 * 4 and set(t.kind) == set(di.KINDS)
    # these sets ARE each clip's top-magnitude bins, so sufficient - topmag is exactly zero
    d = out["diffs"][out["diffs"].kind == "sufficient - topmag"]
    assert np.allclose(d["psd_entropy_norm"], 0.0)
    eff = out["effects"]["source_pred"]
    assert set(eff.kind) == {"sufficient", "topmag", "random", "sufficient - original", "topmag - original",
                             "random - original", "sufficient - topmag"}
    assert out["across"]["psd_entropy_norm"].attrs["n_blocks"] == 7
    inter = [r for r in out["interaction"].values() if r is not None]
    assert inter and all(r.attrs["p_method"] == "wild cluster bootstrap (rademacher, 999)" for r in inter)


def test_separation_verdict_says_not_estimable_instead_of_none():
    """A test that could not run is "not estimable", never "none" (no detector separates)."""
    assert di.separating(None) is None
    lines = di.separation_lines({"suffice": None, "rex": set()}, value="psd_entropy_norm")
    assert "`suffice`: not estimable" in lines[0] and "`rex`: none" in lines[0]
    assert "not answerable" in lines[1] and "`suffice`" in lines[1]
    lines = di.separation_lines({"suffice": {"m/b", "m/a"}, "rex": {"m/a"}}, value="v")
    assert "`suffice`: `m/a`, `m/b`; `rex`: `m/a`" in lines[0]
    assert lines[1].startswith("Across the change of search: 1 detector(s) under both (m/a)")
    none = di.separation_lines({"suffice": set(), "rex": set()}, value="v")
    assert none[1].startswith("Across the change of search: no detector separates under either strategy")
    same = di.separation_lines({"suffice": {"m/a"}, "rex": {"m/a"}}, value="v")
    assert same[1] == "Across the change of search: the same detector(s) under both strategies (m/a)."
    told = di.separation_lines({"suffice": None}, value="v", reasons={"suffice": "only one detector has both classes"})
    assert "`suffice`: not estimable (only one detector has both classes)" in told[0]
    nec = di.separation_lines({"suffice": {"m/a"}}, value="v", obj="necessary")
    assert nec[0].startswith("**Which detectors separate real from fake sufficient-and-necessary sets** in v")
    fills = di.separation_lines({"zero": {"m/a"}, "level-noise": set()}, value="v", change="fill")
    assert fills[1].startswith("Across the change of fill: 0 detector(s) under both (none); the rest under one fill only")
    same_fill = di.separation_lines({"zero": {"m/a"}, "level-noise": {"m/a"}}, value="v", change="fill")
    assert same_fill[1] == "Across the change of fill: the same detector(s) under both fills (m/a)."


def test_analyse_says_why_an_interaction_test_could_not_run() -> None:
    """One detector only: no class x detector interaction exists; ``why_not`` carries the test's own reason."""
    study = _Study()
    keep = study.explanations["model"] == "a"
    study.explanations = study.explanations[keep].reset_index(drop=True)
    out = di.analyse(study, n_boot=20)
    assert all(r is None for r in out["interaction"].values())
    assert set(out["why_not"]) == set(out["interaction"])
    assert all("needs >= 2 detectors" in w for w in out["why_not"].values())


class _SilenceClassStudy(_Study):
    """Three detectors that give silence "spoof" (like the default detectors): every spoof clip's
    sufficient set is empty, so only bona fide clips have sufficient signals; the contrastive sets of
    both classes are non-empty (spoof: the clip's top bins; bona fide: the sufficient set plus more).
    Detector "c" keeps one more bin of spoof clips than the others; "a" has one spoof clip whose
    contrastive search found nothing."""

    def __init__(self, contrastive: bool = True) -> None:
        rows, self._e = [], {}
        for c in range(12):
            label = "spoof" if c % 2 else "bonafide"
            x = tone_clip([300 + 40 * c, 900 + 70 * c, 2000 + 300 * (c % 2)], amplitude=[1.0, 0.6, 0.3 + 0.05 * c], seed=c)
            for m in ("a", "b", "c"):
                size = 0 if label == "spoof" else 2 + c % 3
                keep, _ = di.reference_keeps(x, size, seed=0, key=f"{m}/{c}")
                nec, _ = di.reference_keeps(x, size + 2 + c % 2 + (m == "c" and label == "spoof"), seed=0, key=f"{m}/{c}")
                lost = m == "a" and c == 1
                rows.append({"model": m, "clip_id": f"c{c}", "true_label": label, "target": label, "found": True,
                             "set_size": size})
                self._e[(m, f"c{c}")] = _Expl(keep, x, None if lost or not contrastive else nec, contrastive)
        self.explanations = pd.DataFrame(rows)


def test_the_silence_class_has_no_sufficient_signal_but_a_necessary_one() -> None:
    """Sufficient sets: spoof is the silence class, its sets are empty, no detector has both classes and
    the interaction test cannot run.  Necessary sets: both classes of every detector have signals of one
    kind, the same tests run, the one lost contrastive set is counted as not found, none as empty."""
    study = _SilenceClassStudy()
    suff = di.analyse(study, n_boot=20)
    assert suff["obj"] == "sufficient" and suff["n_found"] == 18
    emp = suff["empty"]["source_pred"].set_index(["model", "source_pred"])
    assert emp.loc[("a", "spoof"), "empty"] == 6 and emp["empty"].sum() == 18 and emp["not_found"].sum() == 0
    assert all(r is None for r in suff["interaction"].values())
    assert all("needs >= 2 detectors" in w for w in suff["why_not"].values())

    nec = di.analyse(study, n_boot=20, obj="necessary")
    assert nec["obj"] == "necessary" and nec["n_found"] == 35
    assert set(nec["table"].kind) == {"necessary", "topmag", "random", "original"}
    emp = nec["empty"]["source_pred"].set_index(["model", "source_pred"])
    assert emp.loc[("a", "spoof"), "not_found"] == 1 and emp["not_found"].sum() == 1 and emp["empty"].sum() == 0
    # the necessary sets ARE each clip's top bins, so necessary - topmag is exactly zero
    d = nec["diffs"][nec["diffs"].kind == "necessary - topmag"]
    assert len(d) == 35 and np.allclose(d["psd_entropy_norm"], 0.0)
    assert set(nec["interaction"]) == {(k, v) for k in ("necessary", "necessary - topmag") for v in di.FEATURES}
    res = nec["interaction"][("necessary", "psd_entropy_norm")]
    assert res is not None and set(res["model"]) == {"a", "b", "c"} and np.isfinite(res.attrs["p_interaction"])
    eff = nec["effects"]["source_pred"]
    assert {"necessary", "necessary - original", "necessary - topmag"} <= set(eff.kind)
    lines = di.conclusion(eff, res, value="psd_entropy_norm", obj="necessary")
    assert "`necessary`: spoof - bona fide =" in lines[0] and "`necessary - topmag`" in lines[0]
    assert nec["across"]["psd_entropy_norm"] is not None


def test_necessary_sets_need_a_contrastive_study() -> None:
    with pytest.raises(OptionError, match="contrastive"):
        di.analyse(_SilenceClassStudy(contrastive=False), obj="necessary")
    with pytest.raises(OptionError, match="unknown set"):
        di.analyse(_SilenceClassStudy(), obj="complete")


def test_all_empty_names_the_detector_classes_with_only_empty_sets() -> None:
    """A class whose every explanation is empty within a detector is named; a class with one non-empty set
    (or with no explanation) is not."""
    ex = pd.DataFrame({"model": ["a", "a", "a", "b", "b", "b"], "source_pred": ["spoof", "spoof", "bonafide",
                                                                            "spoof", "spoof", "bonafide"],
                       "found": True, "set_size": [0, 0, 5, 0, 3, 0]})
    got = di.all_empty(di.empty_counts(ex))
    assert got == [("a", "spoof"), ("b", "bonafide")]
