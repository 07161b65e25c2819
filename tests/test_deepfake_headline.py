"""The deepfake information chapter's one-sentence conclusion reads the interaction tests it is given."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suffice import deepfake_info as di
from suffice.errors import OptionError

V = di.FEATURES[0]


def inter(p_holm: dict[str, float], p: float) -> pd.DataFrame:
    """An interaction_test-shaped result: one row per detector, the interaction p-value in attrs."""
    out = pd.DataFrame({"model": list(p_holm), "beta": 0.1, "p_holm": list(p_holm.values())})
    out.attrs["p_interaction"] = p
    return out


def test_headline_counts_separating_detectors_and_says_not_estimable():
    analyses = {
        ("suffice", "sufficient"): {"interaction": {("sufficient - topmag", V): None}},
        ("rex", "sufficient"): {"interaction": {("sufficient - topmag", V): inter({"a": 0.01, "b": 0.4, "c": 0.9}, 0.002)}},
        ("suffice", "necessary"): {"interaction": {("necessary - topmag", V): inter({"a": 0.3, "b": 0.6}, 0.2)}},
    }
    sentence, table = di.headline(analyses, alpha=0.05)
    assert sentence.endswith(".") and ". " not in sentence  # one sentence
    assert ("sufficient sets: not estimable under `suffice`, 1 of 3 under `rex` (`a`); "
            "sufficient-and-necessary sets: 0 of 2 under `suffice`.") in sentence
    assert V in sentence and "α = 0.05" in sentence
    row = table.set_index(["strategy", "set"]).loc[("rex", "sufficient")]
    assert (row.detectors, row.separating, row.p_interaction, row.names) == (3, 1, 0.002, "a")
    assert np.isnan(table.set_index(["strategy", "set"]).loc[("suffice", "sufficient"), "separating"])


def test_headline_needs_an_analysis():
    with pytest.raises(OptionError, match="at least one analysis"):
        di.headline({})


def _inter(p: list[float], p_interaction: float, lo: float = -0.1, hi: float = 0.2) -> pd.DataFrame:
    out = pd.DataFrame({"model": [f"m{i}" for i in range(len(p))], "beta": 0.05, "lo": lo, "hi": hi, "p": p,
                        "p_holm": p})
    out.attrs.update(p_interaction=p_interaction, F=2.0, df_num=len(p) - 1, df_den=20, p_method="F")
    return out


def test_the_chapter_adjusts_within_its_two_families():
    """Holm over every interaction test of the chapter, and over the primary endpoint's per-detector tests
    of every strategy and set; a detector significant alone is not claimed once the family is counted."""
    from suffice.stats import holm
    prim_a, prim_b = _inter([0.004, 0.5], 0.009), _inter([0.02, 0.3], 0.04)
    other = _inter([0.01, 0.9], 0.03)
    analyses = {("suffice", "sufficient"): {"interaction": {("sufficient - topmag", V): prim_a,
                                                            ("sufficient", V): other}},
                ("rex", "sufficient"): {"interaction": {("sufficient - topmag", V): prim_b,
                                                        ("sufficient - topmag", "centroid_hz"): None}}}
    sizes = di.adjust_chapter(analyses)
    assert sizes == {"interaction": 3, "primary": 4}
    expect = holm([0.009, 0.03, 0.04])
    assert [prim_a.attrs["p_chapter"], other.attrs["p_chapter"], prim_b.attrs["p_chapter"]] == pytest.approx(expect)
    assert prim_a["p_primary"].tolist() == pytest.approx(holm([0.004, 0.5, 0.02, 0.3])[:2])
    assert "p_primary" not in other.columns
    assert di.separating(prim_a, 0.05) == {"m0"} and di.separating(prim_b, 0.05) == set()  # 0.02 -> 0.06
    line = di.conclusion(pd.DataFrame(columns=["kind", "value", "beta"]), prim_b, value=V)[1]
    assert "Holm over the chapter's 3 interaction tests: p = 0.06" in line
    assert "not shown that the detectors' class differences differ" in line
    sentence, _ = di.headline(analyses)
    assert "Holm over the chapter's primary per-detector tests" in sentence


def test_an_absence_of_separation_states_its_bound():
    assert di.class_difference_bound(_inter([0.5, 0.6], 0.5, lo=-0.03, hi=0.07)) == pytest.approx(0.07)
    assert np.isnan(di.class_difference_bound(None))
    lines = di.separation_lines({"suffice": set(), "rex": set()}, value="v", bounds={"suffice": 0.07, "rex": np.nan})
    assert "absence of evidence, not evidence of absence" in lines[1]
    assert "larger than 0.07 (`suffice`) for every detector" in lines[1] and "power" not in lines[1]
    assert "no interval bounds" in di.separation_lines({"a": set(), "b": set()}, value="v")[1]
