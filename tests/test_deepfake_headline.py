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
