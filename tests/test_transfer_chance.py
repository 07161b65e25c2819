"""Chance baselines, cell intervals, between-pair variance, set-size GLM, strategy comparisons."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from suffice import transfer as tr
from suffice.errors import OptionError
from suffice.models.metrics import better_than_chance, label_metrics
from suffice.stats import wilson_interval


def test_chance_baselines_by_hand():
    df = tr.simulate(3, 8, seed=0)
    off = df[df.source != df.target]
    ch = tr.chance_baselines(df, n_boot=100)
    obs = (off.target_pred_sufficient == off.source_pred).groupby([off.source, off.target]).mean()
    nul = off.groupby(["source", "target"]).null_random_accept.mean()
    for (f, g), v in obs.items():
        assert ch.matrices["observed"].loc[f, g] == pytest.approx(v)
        assert ch.matrices["null"].loc[f, g] == pytest.approx(nul[(f, g)])
        assert ch.matrices["excess"].loc[f, g] == pytest.approx(v - nul[(f, g)])
    task = ch.task.set_index("measure")
    assert task.loc["excess", "rate"] == pytest.approx(task.loc["observed", "rate"] - task.loc["null", "rate"])
    assert task.loc["observed", "rate"] == pytest.approx(tr.task_rate(df, n_boot=20)["rate"])
    for k in ("observed", "null", "excess"):
        assert task.loc[k, "lo"] <= task.loc[k, "rate"] <= task.loc[k, "hi"]
    pm = ch.per_model.set_index(["model", "role", "measure"])
    assert pm.loc[("m0", "out", "observed"), "rate"] == pytest.approx(obs.loc["m0"].mean())
    pc = ch.per_class.set_index("source_class")
    c0 = off[off.source_pred == "class0"]
    assert pc.loc["class0", "observed"] == pytest.approx((c0.target_pred_sufficient == c0.source_pred).mean())
    assert pc.loc["class0", "n"] == len(c0)
    assert pc.loc["class0", "n_clips"] == c0.clip_id.nunique()


def test_chance_intervals_follow_the_small_sample_rule():
    """8 clips: t intervals; 4 clips: no interval; a class of fewer than 8 clips: no per-class interval."""
    from suffice.transfer.chance import MIN_CLIPS_PER_CLASS
    t8 = tr.chance_baselines(tr.simulate(3, 8, seed=0), n_boot=100).task.set_index("measure")
    assert t8.loc["observed", "method"] == "t (7 df)"
    t4 = tr.chance_baselines(tr.simulate(3, 4, seed=0), n_boot=100)
    assert t4.task["lo"].isna().all() and t4.task["method"].str.startswith("no claim").all()
    big = tr.chance_baselines(tr.simulate(3, 40, n_classes=2, seed=0), n_boot=100)
    assert (big.task["method"] == "bootstrap").all()
    pc = big.per_class
    assert (pc["n_clips"] >= MIN_CLIPS_PER_CLASS).all() and pc["observed_lo"].notna().all()
    few = tr.chance_baselines(tr.simulate(3, 40, n_classes=8, seed=0), n_boot=100).per_class
    small = few["n_clips"] < MIN_CLIPS_PER_CLASS
    assert small.any() and few.loc[small, "observed_lo"].isna().all()
    assert few.loc[small, "method"].str.startswith("no claim").all()
    s8 = tr.summarise(tr.simulate(3, 8, base_rate=0.03, seed=0), n_boot=100)  # a rare outcome on 8 clips
    assert s8.task["method"] == "t (7 df)" and 0.0 <= s8.task["lo"] <= s8.task["rate"] <= s8.task["hi"] <= 1.0
    assert (s8.per_model[["out_lo", "in_lo"]] >= 0).all().all()


def test_chance_baselines_need_their_columns_and_skip_missing_nulls():
    df = tr.simulate(3, 5, seed=1)
    with pytest.raises(tr.TableError, match="null_random_accept"):
        tr.chance_baselines(df.drop(columns=["null_random_accept"]))
    part = df.copy()
    part.loc[part.clip_id == "x000", "null_random_accept"] = np.nan
    ch = tr.chance_baselines(part, n_boot=20)
    kept = part[(part.clip_id != "x000") & (part.source != part.target)]
    assert ch.per_class["n"].sum() == len(kept)


def test_wilson_interval_does_not_collapse_and_widens_with_design_effect():
    lo, hi = wilson_interval(np.array([0, 30, 15]), np.array([30, 30, 30]))
    z2 = 1.959963984540054 ** 2
    assert lo[0] == 0 and hi[0] == pytest.approx(z2 / (30 + z2))          # Wilson at 0 of 30, exactly
    assert hi[1] == pytest.approx(1) and lo[1] == pytest.approx(30 / (30 + z2))
    lo2, hi2 = wilson_interval(15, 30, deff=2.0)
    assert lo2 < lo[2] and hi2 > hi[2]
    assert np.isnan(wilson_interval(0, 0)[0])
    s = tr.summarise(tr.simulate(4, 30, base_rate=0.02, seed=2), n_boot=50)
    off = s.pairs[~s.pairs.diagonal]
    assert (off["hi"] > off["lo"]).all() and (off["n"] == 30).all() and np.allclose(off["design_effect"], 1)
    two = pd.concat([tr.simulate(4, 30, seed=2), tr.simulate(4, 30, seed=2).assign(seed=1)])
    p2 = tr.summarise(two, n_boot=20).pairs
    assert np.allclose(p2.loc[~p2.diagonal, "design_effect"], 2.0)  # each clip's row twice: half the information


def test_pair_variance_is_near_zero_without_pair_effects_and_finds_them():
    flat = tr.pair_variance(tr.simulate(6, 60, clip_sd=0.3, clip_source_sd=0.0, clip_target_sd=0.0,
                                        seed=3), n_boot=200)
    assert flat["tau2"] < 0.15 and flat["tau2_lo"] == 0.0
    rough = tr.pair_variance(tr.simulate(6, 200, pair_sd=1.0, clip_sd=0.3, clip_source_sd=0.0,
                                         clip_target_sd=0.0, seed=4), n_boot=200)
    assert rough["tau2_lo"] > 0.2 and rough["p"] < 1e-6 and rough["n_pairs"] == 30


def test_better_than_chance_is_a_binomial_test_against_the_majority():
    # two classes, majority 0.5: 18/30 is not enough, 23/30 is (exact one-sided binomial)
    assert not better_than_chance(18, 30, 0.5)["better_than_chance"]
    assert better_than_chance(23, 30, 0.5)["better_than_chance"]
    assert better_than_chance(23, 30, 0.5)["p"] == pytest.approx(0.0026, abs=2e-4)
    met = label_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert met["accuracy"] == 0.75 and met["majority"] == 0.5
    assert met["macro_precision"] == pytest.approx((1 + 2 / 3) / 2)


def test_set_size_glm_and_strategy_comparison():
    df = tr.simulate(4, 40, seed=5)
    res = tr.set_size_glm(df).set_index("term")
    assert {"log_fraction", "own_prob"} <= set(res.index) or res.attrs["degenerate"]
    other = tr.simulate(4, 40, seed=6).assign(strategy="rex")
    cmp = tr.compare_strategies({"suffice": df, "rex": other[other.clip_id < "x020"]}, n_boot=50)
    assert list(cmp["strategy"]) == ["suffice", "rex"] and (cmp["clips"] == 20).all()
    for name, t in tr.same_clips({"suffice": df, "rex": other[other.clip_id < "x020"]}).items():
        one = t.drop_duplicates(["source", "clip_id", "seed"])
        row = cmp.set_index("strategy").loc[name]
        assert row["budget_exhausted"] == one.budget_exhausted.sum()
        assert row["budget_cut"] == (one.budget_exhausted & ~one.verified_minimal).sum()
    d = tr.strategy_difference(df, df, n_boot=50)
    assert d["difference"] == 0 and d["lo"] == 0 and d["hi"] == 0
    d2 = tr.strategy_difference(other, df, n_boot=200)
    a = tr.task_rate(other, n_boot=20)["rate"] - tr.task_rate(df, n_boot=20)["rate"]
    assert d2["difference"] == pytest.approx(a) and d2["lo"] <= d2["difference"] <= d2["hi"]
    assert d2["method"] == "paired clip bootstrap"
    few = other[other.clip_id < "x010"]
    d3 = tr.strategy_difference(few, df, n_boot=200)  # 10 shared clips: a t interval on 9 df
    assert d3["method"] == "t (9 df)" and d3["n_clips"] == 10
    q = stats.t.ppf(0.975, 9)
    assert (d3["lo"], d3["hi"]) == pytest.approx((d3["difference"] - q * d3["se"], d3["difference"] + q * d3["se"]))
    assert np.isnan(tr.strategy_difference(other[other.clip_id < "x005"], df, n_boot=50)["lo"])
    with pytest.raises(OptionError):
        tr.same_clips({})


def test_criteria_and_set_size_tables():
    df = tr.simulate(3, 6, seed=7)
    crit = tr.criteria_table(df, n_boot=20)
    assert crit["criterion"].iloc[0] == "class" and len(crit) == 4
    expl = df[df.source == df.target].rename(columns={"source": "model"})
    sizes = tr.set_size_table(expl).set_index("model")
    assert (sizes["explanations"] == 6).all() and (sizes["found"] == 6).all()
    one = expl[expl.model == "m0"]
    assert sizes.loc["m0", "median_bins"] == one.set_size.median()
    # budget-cut sufficient sets apart from budgets that ran out later (contrastive or complete set)
    flagged = expl.assign(budget_exhausted=[i % 3 == 0 for i in range(len(expl))],
                          verified_minimal=[i % 2 == 0 for i in range(len(expl))],
                          extra_calls=np.arange(len(expl)))
    cut = tr.set_size_table(flagged).set_index("model")
    for m, g in flagged.groupby("model"):
        assert cut.loc[m, "budget_exhausted"] == g.budget_exhausted.sum()
        assert cut.loc[m, "budget_cut"] == (g.budget_exhausted & ~g.verified_minimal).sum()
        assert cut.loc[m, "median_extra_calls"] == g.extra_calls.median()
    assert "median_extra_calls" not in sizes.columns  # no extra_calls column, no median of it
    # contrastive searches the budget ended early: counted where the study asked for them, absent otherwise
    nec = [None if i % 4 == 0 else i % 2 == 1 for i in range(len(expl))]
    counted = tr.set_size_table(flagged.assign(necessary_budget_cut=nec)).set_index("model")
    for m, g in flagged.assign(necessary_budget_cut=nec).groupby("model"):
        assert counted.loc[m, "necessary_budget_cut"] == sum(v is True for v in g.necessary_budget_cut)
    assert "necessary_budget_cut" not in tr.set_size_table(flagged.assign(necessary_budget_cut=None)).columns
    assert "necessary_budget_cut" not in cut.columns
    acc = tr.accepted_by(df, "m0", "x000")
    row = df[(df.source == "m0") & (df.clip_id == "x000") & (df.target != "m0")]
    assert acc == row.loc[row.target_pred_sufficient == row.source_pred, "target"].tolist()


def test_model_performance_tests_against_the_majority_class():
    # two balanced classes, 30 clips: 18 right is not better than chance, 25 right is
    true = ["a", "b"] * 15
    preds = pd.DataFrame({"clip_id": [f"x{i}" for i in range(30)] * 2, "model": ["weak"] * 30 + ["good"] * 30,
                          "true_label": true * 2,
                          "pred": [t if i < 18 else ("b" if t == "a" else "a") for i, t in enumerate(true)]
                          + [t if i < 25 else ("b" if t == "a" else "a") for i, t in enumerate(true)],
                          "conf": 0.9})
    perf = tr.model_performance(preds).set_index("model")
    assert perf.loc["weak", "accuracy"] == pytest.approx(0.6) and perf.loc["weak", "majority"] == 0.5
    assert not perf.loc["weak", "better_than_chance"] and perf.loc["good", "better_than_chance"]


def test_transfer_by_margin_splits_the_table_by_the_producers_margin():
    df = tr.simulate(3, 12, seed=2)
    ex = df[df.source == df.target][["source", "clip_id", "found"]].rename(columns={"source": "model"})
    rng = np.random.default_rng(0)
    ex = ex.assign(set_size=np.where(np.arange(len(ex)) % 9 == 0, 0, 5),
                   margin=rng.choice([0.001, 0.05, 0.5, np.nan], size=len(ex)))
    bands = tr.margin_bands(ex)
    assert set(bands) <= {"below 0.01", "0.01 to 0.2", "above 0.2", "empty", "unchecked"}
    assert (bands[ex.set_size.to_numpy()[ex.found.to_numpy()] == 0] == "empty").all()
    got = tr.transfer_by_margin(df, ex, n_boot=50).set_index("band")
    assert got["sets"].sum() == int(ex.found.sum())
    # each band's observed rate is the rate over its own off-diagonal rows, compared with its own null
    low = set(bands[bands == "below 0.01"].index)
    rows = df[np.array([(s, c) in low for s, c in zip(df.source, df.clip_id)]) & (df.source != df.target).to_numpy()]
    if len(rows) and rows.clip_id.nunique() >= 2:
        cell = (rows.target_pred_sufficient == rows.source_pred).groupby([rows.source, rows.target]).mean()
        assert got.loc["below 0.01", "observed"] == pytest.approx(cell.mean())
        assert got.loc["below 0.01", "excess"] == pytest.approx(got.loc["below 0.01", "observed"] - got.loc["below 0.01", "null"])
    with pytest.raises(ValueError, match="increasing"):
        tr.margin_bands(ex, edges=(0.2, 0.01))
