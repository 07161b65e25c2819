"""Our numbers against a paper's: a rate against a fixed reported value, a variance component across tasks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from suffice import transfer as tr
from suffice.errors import OptionError
from suffice.transfer.contrast import contrast_table


def test_against_reported_is_the_observed_rate_minus_a_fixed_value():
    df = tr.simulate(4, 30, n_classes=5, seed=0)
    got = tr.against_reported(df, 0.3, n_boot=400, seed=1)
    obs = contrast_table(df, n_boot=400, seed=1, strata=("all",)).set_index("measure").loc["observed"]
    assert got["rate"] == pytest.approx(obs["estimate"]) and got["n_clips"] == 30
    assert got["diff"] == pytest.approx(obs["estimate"] - 0.3)
    assert (got["lo"], got["hi"]) == pytest.approx((obs["lo"] - 0.3, obs["hi"] - 0.3))
    z = got["diff"] / got["se"]
    assert got["p"] == pytest.approx(2 * sps.norm.sf(abs(z)))  # 30 clips: bootstrap, normal test


def test_few_clips_get_a_t_test_and_too_few_no_claim():
    small = tr.simulate(4, 10, n_classes=10, seed=2)  # one clip per class: one pooled stratum, 9 df
    got = tr.against_reported(small, 0.2, n_boot=400)
    assert got["method"].startswith("t (9 df")
    assert got["p"] == pytest.approx(2 * sps.t.sf(abs(got["diff"] / got["se"]), 9))
    tiny = tr.simulate(4, 4, n_classes=4, seed=2)
    text = tr.reported_sentence(tr.against_reported(tiny, 0.2, n_boot=100))
    assert text.endswith("no claim.")
    with pytest.raises(OptionError, match="reported"):
        tr.against_reported(small, 26.0)


@pytest.mark.parametrize("diff,word", [(0.2, "higher than reported"), (-0.2, "lower than reported"),
                                       (0.0, "rules out only differences below")])
def test_the_reported_sentence_reads_the_interval(diff, word):
    res = {"rate": 0.3 + diff, "reported": 0.3, "diff": diff, "lo": diff - 0.05, "hi": diff + 0.05, "p": 0.01,
           "n_clips": 10, "method": "t (9 df)"}
    assert word in tr.reported_sentence(res)


def _fit_table(estimate: float, lo: float, hi: float, n_boot: int = 19) -> pd.DataFrame:
    t = pd.DataFrame([{"term": "pair", "kind": "component", "estimate": estimate, "lo": lo, "hi": hi, "p": 0.01}])
    t.attrs["n_boot"] = n_boot
    return t


def test_compare_components_is_a_log_ratio_with_independent_errors():
    q = sps.t.ppf(0.975, 18)
    se_a, se_b = 0.2, 0.1
    a = _fit_table(1.0, np.exp(-q * se_a), np.exp(q * se_a))
    b = _fit_table(0.5, 0.5 * np.exp(-q * se_b), 0.5 * np.exp(q * se_b))
    out = tr.compare_components({"emotion": a, "genre": b, "deepfake": _fit_table(0.4, 0.0, 1.2)}, focus="emotion")
    g = out.set_index("other").loc["genre"]
    se = np.hypot(se_a, se_b)
    assert g["ratio"] == pytest.approx(2.0)
    assert (g["ratio_lo"], g["ratio_hi"]) == pytest.approx((2 * np.exp(-1.959964 * se), 2 * np.exp(1.959964 * se)))
    assert g["p"] == pytest.approx(2 * sps.norm.sf(np.log(2) / se))
    assert np.isnan(out.set_index("other").loc["deepfake", "p"])  # an interval that reaches SD 0: no comparison
    text = tr.components_sentence(out)
    assert text.startswith("Emotion's pair SD is larger than genre's") and "no comparison" in text
    with pytest.raises(OptionError, match="no fit"):
        tr.compare_components({"genre": b}, focus="emotion")


def test_the_components_sentence_bounds_an_absence_and_adjusts_with_holm():
    a, b, c = _fit_table(1.0, 0.5, 2.0), _fit_table(0.9, 0.45, 1.8), _fit_table(0.95, 0.5, 1.8)
    out = tr.compare_components({"emotion": a, "genre": b, "deepfake": c}, focus="emotion")
    text = tr.components_sentence(out)
    assert text.count("not shown different") == 2 and "Holm" in text and "ruled out" in text
    assert "Holm" not in tr.components_sentence(out, adjust="none")
