"""The social relations model of the transfer table: family mapping, design, fit and bootstrap."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suffice import transfer as tr
from suffice.errors import OptionError
from suffice.transfer.relations import COMPONENTS, _model, draw_outcomes, relations_design


def test_waveform_encoders_form_one_family_and_heads_take_their_backbone():
    fams = {tr.model_family(f"genre/{s}") for s in ("wav2vec2-tiny", "hubert-tiny", "distilhubert-tiny")}
    assert fams == {"wav2vec2-hubert"}
    assert tr.model_family("genre/yamnet-probe") == tr.model_family("genre/yamnet-zeroshot") == "yamnet"
    assert tr.model_family("genre/ast-tiny") != tr.model_family("genre/whisper-tiny-cls")
    assert tr.model_family("not/in-the-zoo") == "not/in-the-zoo"


def _table(seed: int = 0, n_models: int = 5, n_clips: int = 16) -> pd.DataFrame:
    return tr.simulate(n_models, n_clips, seed=seed)


def test_design_has_one_row_per_off_diagonal_outcome_and_the_strata():
    df = _table()
    fam = {f"m{j}": ("a" if j < 2 else f"f{j}") for j in range(5)}
    d = relations_design(df, families=fam)
    assert len(d) == 5 * 4 * 16
    assert set(d.columns) >= {"y", "source", "target", "pair", "clip_id", "log_size", "same_family", "silence"}
    same = d[(d.source == "m0") & (d.target == "m1")]
    assert (same.same_family == 1).all() and (d[(d.source == "m0") & (d.target == "m2")].same_family == 0).all()
    expect = (df.loc[df.source != df.target, "target_pred_silence"]
              == df.loc[df.source != df.target, "source_pred"]).mean()
    assert d["silence"].mean() == pytest.approx(expect)


@pytest.mark.slow
def test_social_relations_recovers_a_planted_family_effect_and_returns_a_tidy_table():
    d = relations_design(_table(seed=1, n_models=6, n_clips=30),
                         families={f"m{j}": ("a" if j < 3 else f"f{j}") for j in range(6)})
    model = _model(d, ["log_size", "same_family", "silence"])
    truth = np.array([-1.0, 0.0, 2.0, 0.0])
    d["y"] = draw_outcomes(model, truth, np.array([0.3, 0.3, 0.0, 1.0]), np.random.default_rng(0))
    # a table whose outcome is the drawn one: replace target_pred_sufficient accordingly
    df = _table(seed=1, n_models=6, n_clips=30)
    off = (df.source != df.target).to_numpy()
    other = df["source_pred"].map(lambda c: "zzz")
    pred = df["target_pred_sufficient"].to_numpy(dtype=object).copy()
    pred[off] = np.where(d["y"].to_numpy() > 0, df.loc[off, "source_pred"], other[off])
    df["target_pred_sufficient"] = pred
    res = tr.social_relations(df, n_boot=4, families={f"m{j}": ("a" if j < 3 else f"f{j}") for j in range(6)})
    assert list(res["term"]) == [*COMPONENTS, "Intercept", "log_size", "same_family", "silence"]
    fam = res.set_index("term").loc["same_family"]
    assert fam["estimate"] > 1.0 and fam["lo"] < fam["estimate"] < fam["hi"]
    comp = res[res.kind == "component"]
    assert (comp["estimate"] > 0).all() and (comp["lo"] <= comp["hi"]).all()
    pair = res.set_index("term").loc["pair"]
    assert 0 <= pair["p"] <= 1
    assert (pair["lo"] == 0) == (pair["p"] >= 0.05)   # the interval holds 0 where the test keeps it
    assert res.attrs["n_rows"] == len(d) and res.attrs["n_models"] == 6


def test_bad_options_give_one_line_errors():
    with pytest.raises(OptionError, match="n_boot"):
        tr.social_relations(_table(), n_boot=1)
    with pytest.raises(OptionError, match="ci"):
        tr.social_relations(_table(), ci=1.5)


@pytest.mark.slow
def test_relations_coverage_reports_every_term():
    d = relations_design(_table(seed=2, n_models=4, n_clips=10))
    out = tr.relations_coverage(d, fixed={"Intercept": -1.0, "log_size": 0.0, "silence": 0.5},
                                sds={"producer": 0.3, "acceptor": 0.3, "pair": 0.0, "clip": 0.5},
                                n_rep=2, n_boot=3, progress=False)
    assert set(out["term"]) >= set(COMPONENTS) | {"Intercept"}
    assert out["coverage"].between(0, 1).all()
    assert out.set_index("term").loc["pair", "reject"] in (0.0, 0.5, 1.0)


def test_describe_relations_reads_the_table():
    rows = [("producer", "component", 0.5, 0.2, 1.0, np.nan), ("acceptor", "component", 0.9, 0.6, 1.4, np.nan),
            ("pair", "component", 0.2, 0.1, 0.4, 0.3), ("clip", "component", 1.1, 0.8, 1.5, np.nan),
            ("Intercept", "fixed", -2.0, -3.0, -1.0, 0.01), ("log_size", "fixed", -0.1, -0.3, 0.1, 0.4),
            ("same_family", "fixed", np.log(5.0), np.log(2.0), np.log(9.0), 0.001),
            ("silence", "fixed", 2.0, 1.5, 3.0, 0.001)]
    t = pd.DataFrame(rows, columns=["term", "kind", "estimate", "lo", "hi", "p"])
    t.attrs["ci"] = 0.95
    text = tr.describe_relations(t)
    assert "producers differ with SD 0.50 (95% CI 0.20 to 1.00)" in text
    assert "p = 0.300 (no evidence of pair effects at 0.05)" in text
    assert "5.0 times the odds" in text and "2.0 to 9.0" in text
    t.loc[t.term == "same_family", ["estimate", "lo", "hi"]] = np.nan
    assert "family term is not estimated" in tr.describe_relations(t)


def test_pair_null_p_is_a_prediction_t_test():
    from scipy import stats as sps

    from suffice.transfer.relations import _null_p
    null = np.array([0.0, 1.0, 2.0, 3.0])
    t = (4.0 - 1.5) / (np.std(null, ddof=1) * np.sqrt(1.25))
    assert _null_p(4.0, null) == pytest.approx(sps.t.sf(t, 3))
    assert _null_p(-10.0, null) > 0.99


def test_a_fit_is_read_back_from_the_cache_when_rows_options_and_code_agree(tmp_path):
    from suffice.study.cache import DiskCache
    cache = DiskCache(tmp_path)
    df = _table(seed=3, n_models=4, n_clips=8)
    first = tr.social_relations(df, n_boot=3, seed=1, cache=cache)
    again = tr.social_relations(df, n_boot=3, seed=1, cache=cache)
    assert not first.attrs["cached"] and again.attrs["cached"]
    pd.testing.assert_frame_equal(first, again)
    assert again.attrs["n_rows"] == first.attrs["n_rows"]
    assert not tr.social_relations(df, n_boot=3, seed=2, cache=cache).attrs["cached"]  # another seed: refitted
    flipped = df.copy()
    row = flipped.index[(flipped.source != flipped.target).to_numpy()][0]
    flipped.loc[row, "target_pred_sufficient"] = "zzz" if flipped.loc[row, "target_pred_sufficient"] == \
        flipped.loc[row, "source_pred"] else flipped.loc[row, "source_pred"]
    assert not tr.social_relations(flipped, n_boot=3, seed=1, cache=cache).attrs["cached"]  # other outcomes
