"""The design-decisions registry and the table the decisions chapter reads from a benchmark's results."""
from __future__ import annotations

import pandas as pd

from suffice.bench import decisions
from suffice.bench.methods import ALL_METHODS


def _row(case: str, method: str, calls: int, size: int, verified: bool | None = True, **extra) -> dict:
    return {"kind": "real", "case": case, "method": method, "error": "", "skipped": "", "found": True,
            "calls": calls, "size": size, "verified_minimal": verified, "recheck_sufficient": True, **extra}


def test_every_setting_reads_a_value_from_the_code_and_every_method_is_known():
    for d in decisions.DECISIONS:
        assert d.setting()  # raises when a setting names no option or constant
        assert d.default_method in ALL_METHODS
        for alt in d.alternatives:
            assert alt.method is None or alt.method in ALL_METHODS
    assert decisions.current_value("band_priors") is True
    assert decisions.current_value("extraction@rex") == "bisect"
    assert decisions.setting_name("suffice.study.run:STUDY_SEARCH_DEFAULTS/resolution_hz") == "resolution_hz"


def test_the_table_compares_on_the_cases_both_ran_and_never_invents_a_number():
    results = pd.DataFrame([
        _row("a", "suffice", 30, 3), _row("b", "suffice", 50, 5), _row("c", "suffice", 70, 7),
        _row("a", "suffice-no-chain", 40, 4, False), _row("b", "suffice-no-chain", 60, 6, False),
        _row("a", "rex", 900, 800, False), {**_row("b", "rex", 0, 0), "error": "boom"},
    ])
    t = decisions.decision_table(results)
    assert list(t.columns) == list(decisions.TABLE_COLS)
    chain = t[t["benchmark method"] == "suffice against suffice-no-chain"].iloc[0]
    assert chain["cases"] == 2 and chain["calls (default)"] == 40 and chain["calls (alternative)"] == 50
    assert chain["verified 1-minimal (default)"] == 1.0 and chain["verified 1-minimal (alternative)"] == 0.0
    rex = t[t["benchmark method"] == "suffice against rex"].iloc[0]
    assert rex["cases"] == 1 and rex["bins (alternative)"] == 800  # the failed run is left out
    unmeasured = t[t["benchmark method"] == decisions.NOT_MEASURED]
    assert len(unmeasured) and unmeasured["cases"].isna().all()
    not_run = t[t["benchmark method"].str.endswith(decisions.NOT_RUN)]
    assert "suffice against magnitude: " + decisions.NOT_RUN in set(not_run["benchmark method"])
    assert not_run["cases"].isna().all()
    assert "2 measured in these results" in decisions.measured_share(t)


def test_an_alternative_is_measured_once_a_run_holds_it():
    base = [_row("a", "suffice", 30, 3)]
    label = "no pass (`verify=False`)"
    before = decisions.decision_table(pd.DataFrame(base)).set_index("alternative").loc[label]
    assert before["benchmark method"] == "suffice against suffice-no-verify: " + decisions.NOT_RUN
    after = decisions.decision_table(pd.DataFrame(base + [_row("a", "suffice-no-verify", 20, 3, False)]))
    row = after.set_index("alternative").loc[label]
    assert row["benchmark method"] == "suffice against suffice-no-verify" and row["calls (alternative)"] == 20


def test_the_view_names_each_decision_once_and_pairs_default_with_alternative():
    results = pd.DataFrame([_row("a", "suffice", 30, 3), _row("a", "suffice-no-bands", 30, 4, None)])
    view = decisions.decision_view(decisions.decision_table(results))
    assert (view["decision"] != "").sum() == len(decisions.DECISIONS)
    bands = view[view["compared by"] == "suffice against suffice-no-bands"].iloc[0]
    assert bands["bins"] == "3 → 4" and bands["verified 1-minimal"] == "100% → ?"
    assert (view.loc[view["compared by"] == decisions.NOT_MEASURED, "model calls"] == "").all()


def test_every_alternative_with_a_method_is_one_the_benchmark_runs():
    from suffice.bench.methods import METHODS
    from suffice.toys import ToneClassifier, tone_clip
    model, clip = ToneClassifier(freqs=[300.0]), tone_clip([75, 200], 4000, [0.1, 0.4], seed=0)
    named = {a.method for d in decisions.DECISIONS for a in d.alternatives if a.method}
    assert named <= set(ALL_METHODS)
    for name in ("suffice-prior-none", "suffice-no-verify", "suffice-no-restart"):
        res = METHODS[name](model, clip, 0)
        assert res.found and res.n_model_calls > 0, name
