"""Small seeded calibrations of the flat-earther test against tables from suffice.transfer.simulate."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suffice import transfer as tr
from suffice.transfer.flat_earthers import cube_of, flags_from_cube


def test_simulate_is_seeded_and_has_the_contract_columns():
    a = tr.simulate(5, 12, seed=3)
    b = tr.simulate(5, 12, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(tr.simulate(5, 12, seed=4))
    tr.validate_table(a)
    assert set(tr.TABLE_COLUMNS) | set(tr.OPTIONAL_COLUMNS) <= set(a.columns)
    assert len(a) == 5 * 5 * 12
    diag = a[a.source == a.target]
    assert (diag.target_pred_sufficient == diag.source_pred).all()


def test_simulated_rates_follow_the_planted_effects():
    df = tr.simulate(5, 400, base_rate=0.3, out_log_or={0: -2.0}, clip_sd=0.0, clip_source_sd=0.0,
                     clip_target_sd=0.0, seed=1)
    rates = tr.model_rates(df, n_boot=50).set_index("model")
    expect0 = 1 / (1 + np.exp(-(np.log(0.3 / 0.7) - 2.0)))
    assert rates.loc["m0", "out_rate"] == pytest.approx(expect0, abs=0.03)
    assert rates.loc["m1", "out_rate"] == pytest.approx(0.3, abs=0.04)


def test_flat_earthers_on_a_table_equals_the_calibration_path():
    df = tr.simulate(5, 30, out_log_or={2: -1.6}, seed=11)
    fe = tr.flat_earthers(df, n_boot=300, seed=5)
    num, den = cube_of(df, list(fe["model"]))
    fo, fi = flags_from_cube(num, den, n_boot=300, seed=5)
    np.testing.assert_array_equal(fo, fe["out_flag"].to_numpy())
    np.testing.assert_array_equal(fi, fe["in_flag"].to_numpy())


@pytest.mark.parametrize("name", ["null", "null, high base rate"])
def test_null_false_flag_rate_is_at_most_the_level(name):
    sc = next(s for s in tr.SCENARIOS if s.name == name)
    res = tr.calibrate([sc], n_rep=60, n_models=(5,), n_boot=200, seed=2, progress=False).iloc[0]
    # family-wise false flags: below alpha = 0.05 plus 2 Monte Carlo SEs of 60 replicates
    assert res["any_ordinary_flag"] <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 60)


@pytest.mark.parametrize("name", ["two stars", "two stars, out and in"])
def test_ordinary_models_beside_two_stars_are_not_flagged(name):
    sc = next(s for s in tr.SCENARIOS if s.name == name)
    res = tr.calibrate([sc], n_rep=60, n_models=(5,), n_boot=200, seed=3, progress=False).iloc[0]
    assert res["any_ordinary_flag"] <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 60)


def test_stars_on_a_table_leave_ordinary_models_unflagged():
    # the same check through flat_earthers on tables, the way a reader would run it
    flagged = 0
    for r in range(15):
        df = tr.simulate(5, 30, out_log_or={0: 2.0, 1: 2.0}, in_log_or={0: 2.0, 1: 2.0}, seed=100 + r)
        fe = tr.flat_earthers(df, n_boot=200, seed=r)
        flagged += int(fe.loc[fe.model.isin(["m2", "m3", "m4"]), "flat_earther"].any())
    assert flagged <= 2


def test_power_against_one_outlier():
    sc = next(s for s in tr.SCENARIOS if s.name == "one outlier, OR 0.2")
    res = tr.calibrate([sc], n_rep=40, n_models=(8,), n_boot=200, seed=4, progress=False).iloc[0]
    assert res["power"] >= 0.8 and res["any_ordinary_flag"] <= 0.1


# --- the chance-adjusted test --------------------------------------------------------------------------
from suffice.transfer.flat_earthers import _mechanism, mh_cubes, mh_sums, pair_variance_adjusted  # noqa: E402
from suffice.transfer.simulate import describe_adjusted_calibration  # noqa: E402


def test_mantel_haenszel_sums_of_one_row():
    s = mh_sums(np.array([1.0, 0.0]), np.array([1.0, 2.0]), np.array([3.0, 3.0]))
    # row 1: a=1, b=0, c=1, d=2, n=4 -> R = 2/4, S = 0; row 2: a=0, b=1, c=2, d=1 -> R = 0, S = 2/4
    np.testing.assert_allclose(s["R"], [0.5, 0.0])
    np.testing.assert_allclose(s["S"], [0.0, 0.5])
    np.testing.assert_allclose(s["PR"], [0.75 * 0.5, 0.0])


def test_pair_variance_is_recovered_from_large_cells():
    rng = np.random.default_rng(0)
    m, tau = 8, 1.0
    logit = rng.standard_normal((m, m)) * tau + np.linspace(-1, 1, m)[:, None]
    p = 1 / (1 + np.exp(-logit))
    n = 4000
    a = rng.binomial(n, p).astype(float)
    k = rng.binomial(3 * n, np.full((m, m), 0.5)).astype(float)
    # pooled 2 x 2 per cell: a of n accepted, k of 3n random sets accepted (rows of one set + 3 random)
    sums = {"R": a * (3 * n - k) / (4 * n) / 1, "S": (n - a) * k / (4 * n)}
    sums.update(PR=sums["R"] * 0.5, PSQR=(sums["R"] + sums["S"]) * 0.5, QS=sums["S"] * 0.5)
    est = pair_variance_adjusted(sums)
    assert 0.5 < est < 1.6


def test_mechanisms():
    views = dict.fromkeys(("all", "non_empty", "agree"), True)
    assert _mechanism(True, True, views) == "rejection"
    assert _mechanism(True, False, dict(views, all=False, non_empty=False)) == "silence class"
    assert _mechanism(True, True, dict.fromkeys(views, False)) == "response bias"
    assert _mechanism(False, False, dict(views, agree=False)) == "disagreement"
    assert _mechanism(False, False, dict.fromkeys(views, False)) == ""


def test_adjusted_test_flags_a_planted_rejection_on_a_table_and_says_why():
    df = tr.simulate(6, 40, out_log_or={2: -3.0}, seed=5)
    fe = tr.adjusted_flat_earthers(df, n_boot=300, seed=1).set_index("model")
    assert fe.loc["m2", "out_flag"] and fe.loc["m2", "out_mechanism"] == "rejection"
    assert not fe.drop(index="m2")["flat_earther"].any()
    assert {"out_flag_all", "out_flag_non_empty", "out_flag_agree", "in_flag_raw", "in_mechanism"} <= set(fe.columns)
    cubes = mh_cubes(df, list(fe.index), view="non_empty")
    assert cubes["R"].shape == (40, 6, 6)


@pytest.mark.parametrize("name", ["null, pair SD 1.0", "response bias, pair SD 0.5"])
def test_adjusted_false_flag_rate_is_at_most_the_level(name):
    sc = next(s for s in tr.ADJUSTED_SCENARIOS if s.name == name)
    res = tr.calibrate_adjusted([sc], n_rep=60, n_boot=150, seed=4, progress=False).iloc[0]
    assert res["false_flag"] <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 60)


def test_adjusted_test_has_power_against_a_rejecting_judge_where_the_raw_test_is_trapped():
    sc = [s for s in tr.ADJUSTED_SCENARIOS if s.name in ("rejecting judge, OR 0.2", "response bias, pair SD 0.5")]
    res = tr.calibrate_adjusted(sc, n_rep=60, n_boot=150, seed=6, progress=False).set_index("scenario")
    assert res.loc["rejecting judge, OR 0.2", "power"] >= 0.4
    assert res.loc["response bias, pair SD 0.5", "false_flag_raw"] > res.loc["response bias, pair SD 0.5", "false_flag"]


def test_adjusted_calibration_sentences_read_the_table():
    cal = pd.DataFrame([
        {"scenario": "null, pair SD 1.0", "models": 6, "false_flag": 0.03, "mc_se": 0.01, "false_flag_raw": 0.4,
         "power": np.nan, "power_raw": np.nan},
        {"scenario": "rejecting judge, OR 0.2", "models": 6, "false_flag": 0.0, "mc_se": 0.0,
         "false_flag_raw": 0.05, "power": 0.7, "power_raw": 0.9}])
    cal.attrs["alpha"] = 0.05
    lines = describe_adjusted_calibration(cal)
    assert "0.030 (6 models)" in lines[0] and "0.400 (6 models)" in lines[0]
    assert "0.700 (6 models)" in lines[1] and "raw-rate test: 0.900" in lines[1]
    assert lines[-1].endswith("0.030 (Monte Carlo SE 0.010): not above α = 0.05 within two Monte Carlo SEs.")


def test_describe_flags_names_flags_and_mechanisms():
    t = pd.DataFrame({"model": ["a", "b", "c"], "out_flag": [True, False, False],
                      "out_flag_raw": [True, True, False], "out_flag_all": [True, False, False],
                      "out_mechanism": ["rejection", "response bias", ""],
                      "in_flag": [False] * 3, "in_flag_raw": [False, False, True], "in_flag_all": [False] * 3,
                      "in_mechanism": ["", "", "silence class"]})
    text = tr.describe_flags(t)
    assert "sets the others reject, beyond chance on every view: `a`." in text
    assert "`b` (response bias)" in text and "`c` (silence class)" in text
    assert "rejects the others' sets, beyond chance on every view: none." in text
