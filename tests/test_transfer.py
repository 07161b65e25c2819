"""Transfer maths on small hand-made tables whose rates are computed by hand here."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as hs

from suffice import transfer as tr
from suffice.errors import OptionError, SufficeError

C = "blues"  # every source explains class C in the hand-made table


def _row(f: str, g: str, clip: int, ok: int, *, found: bool = True, agree: bool = True,
         ps: float = 0.9, po: float = 0.5, seed: int = 0) -> dict:
    return dict(task="genre", clip_id=f"x{clip}", true_label=C, source=f, target=g, seed=seed, source_pred=C,
                source_conf=0.8, found=found, set_size=10 if found else 101, n_bins=101,
                fraction=10 / 101 if found else 1.0, n_model_calls=500,
                target_pred_original=C if agree else "jazz", target_prob_original=po,
                target_pred_sufficient=C if ok else "rock", target_prob_sufficient=ps)


# outcomes T(f->g, x) on clips 1..4; B found nothing on clip 4
OUTCOMES = {
    ("A", "B"): [1, 0, 1, 1], ("A", "C"): [0, 0, 1, 0],
    ("B", "A"): [1, 1, 1, 0], ("B", "C"): [0, 1, 0, 1],
    ("C", "A"): [1, 0, 0, 0], ("C", "B"): [0, 0, 0, 0],
}


def hand_table() -> pd.DataFrame:
    rows = []
    for clip in range(1, 5):
        for f in "ABC":
            found = not (f == "B" and clip == 4)
            rows.append(_row(f, f, clip, 1, found=found))
            for g in "ABC":
                if g == f:
                    continue
                ok = OUTCOMES[(f, g)][clip - 1]
                kw: dict = {}
                if (f, g, clip) == ("A", "B", 2):
                    kw["agree"] = False          # g(x) != f(x) on this clip
                if (f, g) == ("A", "B"):         # probabilities for the confidence criterion
                    kw.update({1: dict(ps=0.3, po=0.8), 3: dict(ps=0.5, po=0.8), 4: dict(ps=0.9, po=0.8)}.get(clip, {}))
                if (f, g, clip) == ("B", "C", 2):
                    kw.update(ps=np.nan, po=np.nan)  # as if C had no label C: fails the confidence criterion
                rows.append(_row(f, g, clip, ok, found=found, **kw))
    return pd.DataFrame(rows)


EXPECTED_ALL = {("A", "B"): 3 / 4, ("A", "C"): 1 / 4, ("B", "A"): 3 / 3, ("B", "C"): 1 / 3,
                ("C", "A"): 1 / 4, ("C", "B"): 0 / 4}


def test_matrix_class_criterion_all_clips_by_hand():
    s = tr.summarise(hand_table(), n_boot=200)
    for (f, g), r in EXPECTED_ALL.items():
        assert s.matrix.loc[f, g] == pytest.approx(r)
    assert np.diag(s.matrix.to_numpy()) == pytest.approx([1, 1, 1])
    assert s.task["rate"] == pytest.approx(np.mean(list(EXPECTED_ALL.values())))
    pm = s.per_model.set_index("model")
    assert pm.loc["A", "out_rate"] == pytest.approx((3 / 4 + 1 / 4) / 2)
    assert pm.loc["B", "out_rate"] == pytest.approx((1 + 1 / 3) / 2)
    assert pm.loc["A", "in_rate"] == pytest.approx((1 + 1 / 4) / 2)
    assert pm.loc["C", "in_rate"] == pytest.approx((1 / 4 + 1 / 3) / 2)


def test_not_found_rows_are_excluded_and_counted():
    df = hand_table()
    pairs = tr.pair_rates(df, n_boot=50).set_index(["source", "target"])
    assert pairs.loc[("B", "C"), "n"] == 3 and pairs.loc[("B", "C"), "n_not_found"] == 1
    assert pairs.loc[("A", "C"), "n"] == 4 and pairs.loc[("A", "C"), "n_not_found"] == 0
    nf = tr.not_found_counts(df).set_index("source")
    assert nf.loc["B", "not_found"] == 1 and nf.loc["B", "attempted"] == 4 and nf.loc["A", "not_found"] == 0


def test_agree_conditioning_drops_disagreeing_clips():
    s = tr.summarise(hand_table(), condition="agree", n_boot=50)
    assert s.matrix.loc["A", "B"] == pytest.approx(3 / 3)  # clip 2 (a failure) dropped: g(x) != f(x)
    assert s.matrix.loc["A", "C"] == pytest.approx(1 / 4)  # unaffected
    pairs = s.pairs.set_index(["source", "target"])
    assert pairs.loc[("A", "B"), "n_disagree"] == 1 and pairs.loc[("A", "B"), "n"] == 3


@pytest.mark.parametrize("delta, expected_ab", [(1.0, 1 / 4), (0.5, 2 / 4), (0.0, 3 / 4)])
def test_confidence_criterion(delta, expected_ab):
    m = tr.matrix(hand_table(), criterion="confidence", delta=delta, n_boot=50)
    assert m.loc["A", "B"] == pytest.approx(expected_ab)
    # B->C clip 2 passes the class test but has NaN probabilities (no label): it fails here
    assert m.loc["B", "C"] == pytest.approx(0.0)
    assert m.loc["C", "A"] == pytest.approx(1 / 4)  # ps 0.9 >= delta * 0.5 for the passing clip


def test_transfer_outcome_is_nan_when_not_found():
    df = hand_table()
    y = tr.transfer_outcome(df)
    assert y[~df["found"]].isna().all() and y[df["found"]].isin([0.0, 1.0]).all()


def test_ci_contains_estimate_is_deterministic_and_shrinks_with_more_clips():
    def table(n_clips, seed):
        rng = np.random.default_rng(seed)
        rows = [_row(f, g, c, 1 if f == g else int(rng.random() < 0.4))
                for c in range(n_clips) for f in "ABC" for g in "ABC"]
        return pd.DataFrame(rows)

    small, big = table(20, 1), table(400, 2)
    s1, s2 = tr.summarise(small, n_boot=400, seed=3), tr.summarise(small, n_boot=400, seed=3)
    pd.testing.assert_frame_equal(s1.pairs, s2.pairs)
    off = s1.pairs[~s1.pairs["diagonal"]]
    assert ((off["lo"] <= off["rate"]) & (off["rate"] <= off["hi"])).all()
    assert s1.task["lo"] <= s1.task["rate"] <= s1.task["hi"]
    sb = tr.summarise(big, n_boot=400, seed=3)
    width = lambda s: (s.task["hi"] - s.task["lo"])  # noqa: E731
    assert width(sb) < width(s1) / 2.5  # ~ sqrt(20 times the clips)
    assert tr.summarise(small, n_boot=400, seed=4).task["lo"] != s1.task["lo"]


def test_validate_table_names_missing_columns_and_duplicates():
    df = hand_table()
    with pytest.raises(tr.TableError, match="target_prob_sufficient"):
        tr.validate_table(df.drop(columns=["target_prob_sufficient"]))
    with pytest.raises(tr.TableError, match="duplicate"):
        tr.validate_table(pd.concat([df, df.iloc[:1]]))
    bad = df.copy()
    bad["found"] = bad["found"].astype(object)
    bad.loc[0, "found"] = "yes"
    with pytest.raises(tr.TableError, match="found"):
        tr.validate_table(bad)
    with pytest.raises(OptionError, match="criterion"):
        tr.summarise(df, criterion="strict")
    with pytest.raises(OptionError, match="condition"):
        tr.summarise(df, condition="some")
    assert issubclass(tr.TableError, SufficeError)


def _planted(n_clips: int, rate: dict, default: float, seed: int = 0, models: str = "ABCDE",
             role: str = "out") -> pd.DataFrame:
    """Random table: T ~ Bernoulli(rate of the source (role out) or target (role in), else default)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_clips):
        for f in models:
            for g in models:
                p = 1.0 if f == g else rate.get(f if role == "out" else g, default)
                rows.append(_row(f, g, c, int(rng.random() < p)))
    return pd.DataFrame(rows)


def test_planted_flat_earther_source_is_flagged_and_fair_models_are_not():
    df = _planted(60, {"E": 0.15}, 0.6, seed=5)
    fe = tr.flat_earthers(df, n_boot=200).set_index("model")
    assert (fe["method"] == "loo").all()
    assert fe.loc["E", "out_flag"] and fe.loc["E", "flat_earther"]
    assert not fe.loc[list("ABCD"), "flat_earther"].any()
    assert fe.loc["E", "out_rate"] < 0.3 and fe.loc["A", "out_rate"] > 0.45  # raw rates reported
    assert fe.loc["E", "out_or"] < 0.5 and fe.loc["E", "out_or_hi"] < 1 and fe.loc["E", "out_se"] > 0
    assert fe.loc["E", "out_or_lo"] < fe.loc["E", "out_or"] < fe.loc["E", "out_or_hi"]


def test_planted_flat_earther_target_is_flagged_in_role():
    df = _planted(50, {"C": 0.1}, 0.6, seed=6, role="in")
    fe = tr.flat_earthers(df, n_boot=300).set_index("model")
    assert fe.loc["C", "in_flag"] and not fe.loc["C", "out_flag"]
    assert not fe.drop(index="C")["flat_earther"].any()


def test_all_zero_row_gives_a_finite_effect_and_a_flag():
    # D's signals are never accepted: a logistic GLM separates, the LOO contrast stays finite
    df = _planted(40, {"D": 0.0}, 0.7, seed=7, models="ABCD")
    fe = tr.flat_earthers(df, n_boot=300).set_index("model")
    assert fe.loc["D", "out_rate"] == 0.0 and fe.loc["D", "out_flag"]
    assert np.isfinite(fe.loc["D", "out_effect"]) and not fe.drop(index="D")["out_flag"].any()
    with pytest.raises(OptionError, match="method"):
        tr.flat_earthers(df, method="glm", n_boot=50)


def test_loo_contrast_by_hand():
    # 3 models, pooled counts [source, target]: A->B 2/4, A->C 0/4, B->A 4/4, B->C 3/4, C->A 1/4, C->B 2/4
    num = np.array([[0, 2, 0], [4, 0, 3], [1, 2, 0]], float)
    den = np.array([[0, 4, 4], [4, 0, 4], [4, 4, 0]], float)
    out, inn = tr.loo_contrasts(num, den)
    lg = lambda k, n: np.log((k + 0.5) / (n - k + 0.5))
    # out role of A, judged by the one judge left out of each pair: vs B (judge C): A->C 0/4 vs B->C 3/4;
    # vs C (judge B): A->B 2/4 vs C->B 2/4; upper median of the two contrasts = the larger
    assert out[0] == pytest.approx(max(lg(0, 4) - lg(3, 4), lg(2, 4) - lg(2, 4)))
    # in role of C, producers other than C and k: vs A (producer B): B->C 3/4 vs B->A 4/4;
    # vs B (producer A): A->C 0/4 vs A->B 2/4
    assert inn[2] == pytest.approx(max(lg(3, 4) - lg(4, 4), lg(0, 4) - lg(2, 4)))


def test_no_flat_earther_without_difference_and_none_with_two_models():
    df = _planted(60, {}, 0.5, seed=8)
    fe = tr.flat_earthers(df, n_boot=100)
    assert not fe["flat_earther"].any()
    two = _planted(10, {}, 0.5, seed=9, models="AB")
    assert (tr.flat_earthers(two, n_boot=50)["method"] == "none").all()


def test_minimum_effect_blocks_a_tiny_but_significant_difference():
    # E is a little below the others (0.5 vs 0.6) over many clips: significant, but OR ~0.67 > 0.5
    df = _planted(400, {"E": 0.5}, 0.6, seed=13)
    fe = tr.flat_earthers(df, n_boot=200).set_index("model")
    assert fe.loc["E", "out_p_holm"] < 0.05 and fe.loc["E", "out_or"] > 0.5 and not fe.loc["E", "out_flag"]
    assert fe.loc["E", "out_flag"] == False  # noqa: E712
    strict = tr.flat_earthers(df, n_boot=200, min_odds_ratio=1.0).set_index("model")
    assert strict.loc["E", "out_flag"]


def test_model_performance_and_table_by_hand():
    preds = pd.DataFrame({"clip_id": ["x1", "x2", "x3", "x4"] * 3, "model": ["A"] * 4 + ["B"] * 4 + ["C"] * 4,
                          "true_label": ["a", "a", "b", "b"] * 3,
                          "pred": ["a", "b", "b", "b", "a", "a", "b", "b", "b", "b", "b", "b"], "conf": 0.9})
    perf = tr.model_performance(preds).set_index("model")
    assert perf.loc["A", "accuracy"] == pytest.approx(0.75)
    assert perf.loc["A", "macro_precision"] == pytest.approx((1 + 2 / 3) / 2)
    assert perf.loc["B", "macro_precision"] == pytest.approx(1.0)
    assert perf.loc["C", "macro_precision"] == pytest.approx((0 + 0.5) / 2)  # never predicts a
    tab = tr.model_table(hand_table(), preds, n_boot=50)
    assert list(tab.columns[:3]) == ["model", "accuracy", "macro_precision"]
    assert set(tab["model"]) == {"A", "B", "C"} and {"out_rate", "in_rate", "not_found"} <= set(tab.columns)
    with pytest.raises(tr.TableError, match="pred"):
        tr.model_performance(preds.drop(columns=["pred"]))
    # a model with predictions but no transfer rows: listed, not flagged
    more = pd.concat([preds, preds[preds.model == "A"].assign(model="Z")], ignore_index=True)
    tab = tr.model_table(hand_table(), more, n_boot=50).set_index("model")
    assert tab["flat_earther"].dtype == bool and not tab.loc["Z", "flat_earther"] and np.isnan(tab.loc["Z", "out_rate"])


def test_validate_table_rejects_mixed_tasks_and_missing_keys():
    df = hand_table()
    mixed = df.copy()
    mixed.loc[0, "task"] = "emotion"
    with pytest.raises(tr.TableError, match="mixes tasks"):
        tr.validate_table(mixed)
    gap = df.copy()
    gap["seed"] = gap["seed"].astype(float)
    gap.loc[3, "seed"] = np.nan
    with pytest.raises(tr.TableError, match="seed"):
        tr.validate_table(gap)


def test_several_seeds_pool_within_clip_clusters():
    one = hand_table()
    two = pd.concat([one, one.assign(seed=1)], ignore_index=True)
    s1, s2 = tr.summarise(one, n_boot=100), tr.summarise(two, n_boot=100)
    pd.testing.assert_frame_equal(s1.matrix, s2.matrix)
    assert s2.pairs.set_index(["source", "target"]).loc[("A", "B"), "n"] == 8
    # the same clips resampled: the bootstrap distribution is unchanged by duplicating seeds
    np.testing.assert_allclose(s2.replicates, s1.replicates, equal_nan=True)
    assert s2.task["n_clips"] == s1.task["n_clips"]


def _feature_world(seed: int, confounded: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transfer depends on the signal's entropy (not confounded), or on the source only, with entropy
    differing by source (confounded)."""
    rng = np.random.default_rng(seed)
    models = "ABCD"
    shift = {"A": 0.0, "B": 0.0, "C": 0.0, "D": -1.5}
    feats, rows = [], []
    for c in range(120):
        for f in models:
            ent = rng.normal(shift[f] if confounded else 0.0, 1.0)
            feats.append({"source": f, "clip_id": f"x{c}", "entropy": ent, "noise": rng.normal()})
            for g in models:
                logit = (2.0 * shift[f]) if confounded else 1.2 * ent
                p = 1.0 if f == g else 1 / (1 + np.exp(-logit))
                rows.append(_row(f, g, c, int(rng.random() < p)))
    return pd.DataFrame(rows), pd.DataFrame(feats)


def test_feature_glm_recovers_planted_feature_effect():
    df, feats = _feature_world(10, confounded=False)
    res = tr.feature_glm(df, feats, ["entropy", "noise"]).set_index("term")
    assert res.loc["entropy", "p"] < 1e-6 and res.loc["entropy", "or_lo"] > 1.5
    assert res.loc["noise", "p"] > 0.05 and res.loc["noise", "or_lo"] < 1 < res.loc["noise", "or_hi"]
    assert "source[A]" in res.index and "target[C]" in res.index and res.attrs["n_clusters"] == 120


def test_feature_glm_model_adjustment_removes_confounding_by_source():
    df, feats = _feature_world(11, confounded=True)
    naive = tr.feature_glm(df, feats, ["entropy"], adjust_for_models=False).set_index("term")
    adjusted = tr.feature_glm(df, feats, ["entropy"]).set_index("term")
    assert naive.loc["entropy", "p"] < 1e-6              # entropy only marks the low-transfer source D
    assert adjusted.loc["entropy", "p"] > 0.05
    with pytest.raises(tr.TableError, match="clip_id"):
        tr.feature_glm(df, feats.drop(columns=["clip_id"]), ["entropy"])


def test_flat_earthers_ignore_models_without_outcomes():
    df = _planted(50, {"E": 0.15}, 0.6, seed=12)
    # model F never produced anything (all its explanations not found) and is listed in models=
    extra = pd.DataFrame([_row("F", g, c, 0, found=False) for c in range(50) for g in "ABCDEF"]
                         + [_row(f, "F", c, 1) for c in range(50) for f in "ABCDE"])
    fe = tr.flat_earthers(pd.concat([df, extra], ignore_index=True), models=list("ABCDEFG"), n_boot=100)
    fe = fe.set_index("model")
    assert (fe.dropna(subset=["out_p"])["method"] == "loo").all() and fe.loc["E", "out_flag"]
    assert np.isnan(fe.loc["F", "out_p"]) and np.isnan(fe.loc["G", "in_p"]) and not fe.loc["F", "flat_earther"]
    assert np.isnan(fe.loc["G", "out_rate"])


def test_nothing_found_gives_nan_rates_and_no_test():
    df = hand_table().assign(found=False)
    s = tr.summarise(df, n_boot=50)
    assert np.isnan(s.task["rate"]) and s.matrix.isna().all().all() and s.task["n_pairs"] == 0
    fe = tr.flat_earthers(df, n_boot=50)
    assert (fe["method"] == "none").all() and not fe["flat_earther"].any()


def _naive_matrix(df: pd.DataFrame, condition: str = "all") -> pd.DataFrame:
    """Straightforward pandas version of R(f->g): mean of the class criterion over usable rows."""
    d = df[df["found"]]
    if condition == "agree":
        d = d[d["target_pred_original"] == d["source_pred"]]
    ok = (d["target_pred_sufficient"] == d["source_pred"]).astype(float)
    return ok.groupby([d["source"], d["target"]]).mean().unstack()


@settings(max_examples=25, deadline=None)
@given(seed=hs.integers(0, 10_000), n_clips=hs.integers(1, 12), condition=hs.sampled_from(["all", "agree"]))
def test_matrix_matches_naive_groupby_and_ignores_row_order(seed, n_clips, condition):
    rng = np.random.default_rng(seed)
    rows = [_row(f, g, c, int(rng.random() < 0.5), found=bool(rng.random() < 0.8), agree=bool(rng.random() < 0.7))
            for c in range(n_clips) for f in "ABC" for g in "ABC"]
    df = pd.DataFrame(rows)
    df["found"] = df.groupby(["source", "clip_id"])["found"].transform("first")  # one verdict per explanation
    s = tr.summarise(df, condition=condition, n_boot=50, seed=1, models=list("ABC"))
    naive = _naive_matrix(df, condition).reindex(index=list("ABC"), columns=list("ABC"))
    np.testing.assert_allclose(s.matrix.to_numpy(), naive.to_numpy())
    shuffled = tr.summarise(df.sample(frac=1.0, random_state=seed), condition=condition, n_boot=50, seed=1,
                            models=list("ABC"))
    pd.testing.assert_frame_equal(s.pairs, shuffled.pairs)
    rated = s.pairs["rate"].notna()
    assert (s.pairs.loc[rated, ["lo", "hi"]].stack().between(0, 1)).all()
