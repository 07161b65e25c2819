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
