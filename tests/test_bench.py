"""Tests of the benchmark: baselines, the rex-xai bridge, the runner and the report tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suffice.bench import cases as bc
from suffice.bench import report, run
from suffice import explain
from suffice.bench.methods import METHODS
from suffice.search.strategies.magnitude import shortest_sufficient_prefix
from suffice.search.strategies.occlusion import mel_band_edges, occlusion_order
from suffice.bench.rexxai import RexXai, default_env_dir
from suffice.toys import ToneClassifier, tone_clip
from suffice.search.evaluator import MaskEvaluator
from suffice.search.result import rank_bins

N = 16000


def test_magnitude_baseline_finds_loudest_needed_bin_in_log_calls():
    x = tone_clip([1000, 250], N, [0.05, 0.02], noise=0.002, seed=0)
    model = ToneClassifier(bins=[1000])
    r = METHODS["magnitude"](model, x, 0)
    assert r.found and np.flatnonzero(r.keep).tolist() == [1000]
    # the original, the gallop 1, 2, ..., 4096 (13 masks; 8001 bins is the original), the silence label
    assert r.n_model_calls == 1 + 13 + 1


@pytest.mark.parametrize("method,strategy,opts", [("magnitude", "magnitude", {}), ("occlusion", "occlusion", {}),
                                                  ("rex-linear", "rex", {"extraction": "linear"})])
def test_bench_methods_run_through_explain(method, strategy, opts):
    x = tone_clip([500, 3000], 4000, [0.05, 0.05], noise=0.002, seed=2)
    model = ToneClassifier(bins=[750])
    r = METHODS[method](model, x, 0)
    e = explain(model, x, strategy=strategy, seed=0, **opts)
    assert np.array_equal(r.keep, e.keep) and r.n_model_calls == e.n_model_calls and r.found == e.found


def test_prefix_baseline_is_shortest_sufficient_prefix():
    x = tone_clip([300, 700, 2000], N, [0.1, 0.05, 0.03], noise=0.002, seed=1)
    oracle = MaskEvaluator(ToneClassifier(bins=[2000]), x)
    order = rank_bins(oracle.magnitude)
    keep, found = shortest_sufficient_prefix(oracle, order)
    assert found and keep.sum() == 3 and keep[[300, 700, 2000]].all()  # the third loudest is needed


def test_occlusion_ranks_the_needed_band_first():
    x = tone_clip([500, 3000], N, [0.05, 0.05], noise=0.002, seed=2)
    oracle = MaskEvaluator(ToneClassifier(bins=[3000]), x)
    order = occlusion_order(oracle, 16)
    assert order[0] == 3000 and oracle.n_calls == 1 + 16


def test_mel_band_edges_cover_all_bins():
    e = mel_band_edges(8001, 32, 16000, 16000)
    assert e[0] == 0 and e[-1] == 8001 and np.all(np.diff(e) > 0) and len(e) <= 33
    assert np.diff(e)[0] < np.diff(e)[-1]  # mel: narrow low bands, wide high bands


def test_oracle_cases_have_true_minimum():
    cs = bc.oracle_cases()
    assert len({c.name for c in cs}) == len(cs)
    for c in cs:
        if c.expect_found:
            assert c.true_min >= 1
            # the true minimum really is sufficient for tone oracles: keep exactly the required bins
            if isinstance(c.model, ToneClassifier):
                keep = np.zeros(c.n_bins, bool)
                keep[c.model.required_bins(len(c.waveform))] = True
                ok, _ = run.recheck(c, keep, 0)
                assert ok
    assert [c.n_bins for c in bc.scaling_cases()] == [8001, 32001, 240001]


def test_pick_models_spreads():
    assert bc.pick_models(list("abcdefg"), 3) == ["a", "d", "g"]
    assert bc.pick_models(["a", "b"], 3) == ["a", "b"]


def test_run_all_and_reports(tmp_path):
    cases = [c for c in bc.oracle_cases(quick=True) if c.name in ("tones1-loudest", "whole-spectrum")]
    df = run.run_all(tmp_path, methods=("suffice", "magnitude"), cases=cases, log=lambda s: None)
    assert set(df["method"]) == {"suffice", "magnitude"} and (df["error"] == "").all()
    assert df["recheck_sufficient"].all()
    whole = df[df["case"] == "whole-spectrum"]
    assert not whole["found"].any() and (whole["fraction"] == 1.0).all()
    tables = report.write_reports(df, tmp_path)
    assert (tmp_path / "summary.md").exists() and (tmp_path / "results.csv").exists()
    back = report.load(tmp_path)
    assert len(back["results"]) == len(df)
    t = tables["targets"].set_index("target")
    assert t.loc["median suffice oracle size / true minimum <= 1.2", "value"] == 1.0


def test_ratios_and_targets_on_a_made_up_table():
    rows = []
    for i, (cx, sx, cs, ss) in enumerate([(1000, 500, 20, 2), (2000, 100, 50, 10), (1500, 300, 30, 3)]):
        for m, c, s in (("rex-xai", cx, sx), ("suffice", cs, ss), ("magnitude", 15, ss * 2)):
            rows.append({"kind": "oracle", "case": f"c{i}", "method": m, "calls": c, "size": s, "found": True,
                         "seconds": c / 100, "model_seconds": c / 200, "synth_seconds": 0.0,
                         "other_seconds": c / 200, "fraction": s / 8001, "recheck_sufficient": True,
                         "ratio_to_min": s / 2, "error": ""})
    df = pd.DataFrame(rows)
    r = report.ratios(df)
    s = r[r["method"] == "suffice"].set_index("case")
    assert s.loc["c0", "speedup_calls"] == 50 and s.loc["c1", "size_ratio"] == 0.1
    t = report.targets(df).set_index("target")
    assert t.loc["median rex-xai calls / suffice calls >= 10", "value"] == 50
    assert bool(t.loc["median suffice size / magnitude size <= 1 (both found)", "met"])
    assert not bool(t.loc["median suffice oracle size / true minimum <= 1.2", "met"])
    md = report.markdown_table(report.time_profile(df))
    assert md.startswith("| method |") and "rex-xai" in md


def _bench_env_built() -> bool:
    env = default_env_dir()
    return (env / "bin" / "python").exists() and any(env.glob("lib/python*/site-packages/rex_xai/__init__.py"))


@pytest.mark.slow
@pytest.mark.skipif(not _bench_env_built(), reason="the rex-xai benchmark environment (.venv-bench) is not built")
def test_real_rexxai_bridge_counts_every_call_and_shows_its_prefix_defect():
    class Counting(ToneClassifier):
        calls = 0

        def predict_proba(self, w):
            Counting.calls += len(w)
            return super().predict_proba(w)

    n = 4000
    x = tone_clip([100, 900], n, [0.05, 0.05], noise=0.002, seed=3)
    model = Counting(bins=[900])
    with RexXai() as rx:
        r = rx.explain(model, x, seed=0, iters=2)
    assert r.n_model_calls == Counting.calls > 0 and r.found
    ks = np.flatnonzero(r.keep)
    assert r.keep[900] and ks[0] == 0 and np.all(np.diff(ks) == 1)  # ReX marks 0:j, a low-pass band


@pytest.mark.slow
@pytest.mark.skipif(not _bench_env_built(), reason="the rex-xai benchmark environment (.venv-bench) is not built")
def test_real_rexxai_reports_not_found_when_nothing_short_of_the_whole_spectrum_passes():
    """A classifier that keeps its class only on the whole spectrum: no mutant passes, rex-xai has no
    responsibility map, and the bridge says "not found" (the whole spectrum) instead of failing."""
    from suffice.toys import WholeSpectrumClassifier
    x = (0.05 * np.random.default_rng(0).standard_normal(2000)).astype(np.float32)
    with RexXai() as rx:
        r = rx.explain(WholeSpectrumClassifier(x), x, seed=0, iters=2)
    assert not r.found and r.keep.all() and r.n_model_calls > 0


def test_interleave_puts_rex_cases_first_round_robin_over_tasks():
    class M:
        def __init__(self, name):
            self.name = name
    cs = [bc.Case("real", f"{t}/{m}/{c}", M(f"{t}/{m}"), np.zeros(10, np.float32), task=t, clip=str(c),
                  rex_ok=c == 0) for t in ("genre", "emotion", "deepfake") for m in "ab" for c in range(2)]
    names = [c.name for c in bc.interleave(cs)]
    assert names[:4] == ["genre/a/0", "emotion/a/0", "deepfake/a/0", "genre/b/0"]
    assert all(n.endswith("/1") for n in names[6:])


def test_extraction_agreement_table():
    rows = [{"kind": "real", "case": c, "method": m, "calls": k, "size": z, "found": True, "error": "", "skipped": ""}
            for c, m, k, z in (("a", "rex", 1300, 20), ("a", "rex-linear", 1500, 20),
                               ("b", "rex", 1310, 40), ("b", "rex-linear", 3800, 30))]
    t = report.extraction_agreement(pd.DataFrame(rows)).set_index("case")
    assert t.loc["a", "same_size"] and not t.loc["b", "same_size"]
    assert t.loc["b", "size_ratio"] == pytest.approx(40 / 30) and t.loc["b", "calls_saved"] == 2490


def test_empty_set_notes():
    df = pd.DataFrame([{"case": "a", "method": "suffice", "found": True, "size": 0, "error": "", "skipped": ""},
                       {"case": "b", "method": "suffice", "found": True, "size": 3, "error": "", "skipped": ""}])
    notes = report.empty_set_notes(df)
    assert len(notes) == 1 and "1 case(s) (a)" in notes[0]


def test_outcomes_table_on_a_made_up_results_frame():
    """Estimand: per (task, family, method) over real clips, the shares of each search ending and
    the call / size spread; expected values are counted by hand from the rows below."""
    def r(model, method, found, cut, vmin, calls, size, kind="real", error="", skipped=""):
        return {"kind": kind, "case": f"{model}/{calls}", "task": model.split("/")[0], "model": model,
                "family": model.split("/")[1].split("-")[0], "method": method, "found": found,
                "budget_exhausted": cut, "verified_minimal": vmin, "calls": calls, "size": size,
                "error": error, "skipped": skipped}
    w, a = "genre/whisper-tiny-probe", "genre/ast-tiny"
    rows = [r(w, "suffice", True, False, True, 10, 2), r(w, "suffice", True, True, False, 20, 40),
            r(w, "suffice", True, True, False, 40, 30), r(w, "suffice", False, False, False, 30, 8001),
            r(w, "suffice", False, True, False, 1000, 8001),
            r(a, "suffice", True, False, True, 50, 3), r(a, "suffice", True, False, True, 70, 5),
            r(a, "suffice", True, True, True, 60, 4),   # verified; the budget ran out later (extra sets)
            r(w, "rex-xai", True, np.nan, np.nan, 2500, 400),
            r(w, "suffice", True, True, False, 5, 5, kind="oracle"),           # not a real clip
            r(a, "suffice", True, True, False, 5, 5, error="ValueError: x"),   # failed
            r(a, "suffice", True, True, False, 5, 5, skipped="budget")]        # not run
    df = pd.DataFrame(rows)
    t = report.outcomes(df).set_index(["task", "family", "method"])
    ws = t.loc[("genre", "whisper", "suffice")]
    assert ws["n"] == 5 and ws["verified_minimal_share"] == 1 / 5 and ws["budget_cut_share"] == 2 / 5
    assert ws["not_found_share"] == 1 / 5 and ws["cut_not_found_share"] == 1 / 5
    assert (ws["calls_median"], ws["calls_max"], ws["size_median"], ws["size_max"]) == (30, 1000, 40, 8001)
    at = t.loc[("genre", "ast", "suffice")]
    assert at["n"] == 3 and at["verified_minimal_share"] == 1.0 and at["budget_cut_share"] == 0.0
    assert at["not_found_share"] == 0.0 and at["cut_not_found_share"] == 0.0 and at["calls_median"] == 60
    rx = t.loc[("genre", "whisper", "rex-xai")]
    assert rx["n"] == 1 and np.isnan(rx["budget_cut_share"]) and np.isnan(rx["verified_minimal_share"])
    assert np.isnan(rx["not_found_share"]) and rx["calls_max"] == 2500
    assert len(t) == 3
    s = report.outcome_sentence(report.outcomes(df))
    assert s == ("Of `suffice`'s 8 explanations of real clips, 4 (50%) ended verified 1-minimal and 3 (38%) "
                 "were cut by the call budget (by family: ast 0 of 3, whisper 3 of 5); mostly (over half) "
                 "budget-cut: whisper.")
    assert "did not record" in report.outcome_sentence(report.outcomes(df), "rex-xai")
    # without the family column (older results.csv) it is derived from the model name
    assert report.outcomes(df.drop(columns="family")).equals(report.outcomes(df))
    # booleans read back from a CSV as text or 0/1 count the same; anything else is an error, not a 0
    as_text = df.assign(found=df["found"].map(str), budget_exhausted=df["budget_exhausted"].map(
        lambda b: "" if pd.isna(b) else int(b)).replace("", np.nan))
    assert report.outcomes(as_text).equals(report.outcomes(df))
    with pytest.raises(ValueError, match="found.*yes"):
        report.outcomes(df.assign(found="yes"))


def test_bench_rows_carry_how_the_search_ended(tmp_path):
    """A toy tone classifier needing bins 300 and 700 of a 4,000-sample clip (true minimum 2): the
    default search completes (found, 1-minimal, not budget-cut); with ``max_calls=3`` it cannot
    finish (budget-cut, not 1-minimal, at most 3 calls); rex through ``explain()`` has no budget and
    no 1-minimality pass; a model only the whole spectrum satisfies is 'not found', not budget-cut, by
    the magnitude prefix search (the default search records whatever ``explain()`` says there).
    The rows go through results.csv and the outcomes table unchanged."""
    from suffice.bench.methods import via_explain
    from suffice.toys import WholeSpectrumClassifier
    x = tone_clip([300, 700, 2000], 4000, [0.05, 0.05, 0.05], noise=0.002, seed=1)
    tones = ToneClassifier(bins=[300, 700], name="genre/tones-toy")
    whole = WholeSpectrumClassifier(x, name="genre/whole-toy")
    cases = [bc.Case("real", "tones", tones, x, task="genre", clip="c0", true_min=2),
             bc.Case("real", "whole", whole, x, task="genre", clip="c0", expect_found=False)]
    runners = {"suffice": METHODS["suffice"], "suffice-cut": via_explain("suffice", max_calls=3),
               "rex": METHODS["rex"], "magnitude": METHODS["magnitude"]}
    df = run.run_all(tmp_path, methods=(), cases=cases, runners=runners, log=lambda s: None)
    assert (df["error"] == "").all() and (df["skipped"] == "").all()
    d = df.set_index(["case", "method"])
    full, cut, rex = d.loc[("tones", "suffice")], d.loc[("tones", "suffice-cut")], d.loc[("tones", "rex")]
    assert full["family"] == "tones" and full["found"] and not full["budget_exhausted"]
    assert full["verified_minimal"] and full["size"] == 2
    assert cut["budget_exhausted"] and not cut["verified_minimal"] and cut["calls"] <= 3
    assert rex["found"] and not rex["budget_exhausted"] and not rex["verified_minimal"]
    assert full["silence_label"] == tones.labels[1]  # silence has no tone: the other class
    nf = d.loc[("whole", "magnitude")]  # the prefix search ends: nothing short of the whole spectrum
    assert not nf["found"] and not nf["budget_exhausted"] and not nf["verified_minimal"]
    e = explain(whole, x, seed=0)  # the default search records what explain() says, whichever ending
    sw = d.loc[("whole", "suffice")]
    assert (sw["found"], sw["budget_exhausted"], sw["verified_minimal"], sw["calls"]) == \
        (e.found, e.budget_exhausted, e.verified_minimal, e.n_model_calls)
    report.write_reports(df, tmp_path)
    back = report.load(tmp_path)
    t = back["outcomes"].set_index(["family", "method"])
    assert t.loc[("tones", "suffice"), "verified_minimal_share"] == 1.0
    assert t.loc[("tones", "suffice-cut"), "budget_cut_share"] + \
        t.loc[("tones", "suffice-cut"), "cut_not_found_share"] == 1.0
    assert report.outcomes(back["results"]).equals(report.outcomes(df))
    assert "How the searches ended on real clips" in (tmp_path / "summary.md").read_text()


def test_spread_families_gives_every_family_to_exactly_one_task_that_has_it():
    from suffice.bench.cases import model_family, spread_families
    names = {"genre": ["genre/ast-tiny", "genre/wav2vec2-tiny", "genre/yamnet-probe", "genre/yamnet-zeroshot",
                       "genre/musicnn-probe"],
             "emotion": ["emotion/ast-tiny", "emotion/wav2vec2-tiny", "emotion/yamnet-probe"],
             "deepfake": ["deepfake/ast-tiny", "deepfake/whisper-tiny-cls", "deepfake/whisper-tiny-probe"]}
    spread = spread_families(names)
    # one-task families first (musicnn -> genre, whisper -> deepfake), then two-task ones (wav2vec2 ->
    # emotion, which has none; yamnet -> genre, a tie broken by task order), then ast (in all three:
    # emotion and deepfake tie at one, emotion comes first)
    assert spread == {"genre": {"musicnn", "yamnet"}, "emotion": {"wav2vec2", "ast"}, "deepfake": {"whisper"}}
    every = sorted(f for fams in spread.values() for f in fams)
    assert every == sorted({model_family(n) for ns in names.values() for n in ns})  # each family once
    for task, fams in spread.items():
        assert fams <= {model_family(n) for n in names[task]}  # only families the task has
    assert max(map(len, spread.values())) - min(map(len, spread.values())) <= 1  # balanced here


def test_the_resolution_section_puts_bins_the_default_and_a_coarser_width_side_by_side(tmp_path):
    """One run: a regions model on a noise clip (a "real" case, family ``regions``) searched at single
    bins and over atoms of the studies' default width and twice it, each verified at its own width; the
    analytic case at single bins only, its ratio to the known minimum reported beside them."""
    from suffice.bench.methods import RESOLUTION_METHODS
    from suffice.study.run import STUDY_SEARCH_DEFAULTS
    from suffice.toys import RegionsClassifier
    x = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    regions = RegionsClassifier([(300.0, 700.0), (1500.0, 2300.0)], x, share=0.3, name="genre/regions-toy")
    oracle = [c for c in bc.oracle_cases(quick=True) if c.name == "tones1-loudest"]
    cases = [bc.Case("real", "regions", regions, x, task="genre", clip="c0"), *oracle]
    hz = STUDY_SEARCH_DEFAULTS["resolution_hz"]
    assert list(RESOLUTION_METHODS) == [f"suffice@{hz:g}Hz", f"suffice@{2 * hz:g}Hz"]
    runners = {"suffice": METHODS["suffice"], **RESOLUTION_METHODS}
    df = run.run_all(tmp_path, methods=(), cases=cases, runners=runners, log=lambda s: None)
    assert (df["error"] == "").all() and df["recheck_sufficient"].all()
    assert set(df[df["kind"] == "oracle"]["method"]) == {"suffice"}  # atoms: real clips only
    report.write_reports(df, tmp_path)
    t = report.load(tmp_path)["resolutions"].set_index(["family", "method"])
    assert set(t.index) == {("regions", "suffice"), ("regions", f"suffice@{hz:g}Hz"),
                            ("regions", f"suffice@{2 * hz:g}Hz"), ("analytic", "suffice")}
    assert (t["verified_minimal_share"] == 1.0).all() and (t["budget_cut_share"] == 0.0).all()
    assert t.loc[("analytic", "suffice"), "ratio_to_min_median"] == 1.0
    sizes = [t.loc[("regions", m), "size_median"] for m in runners]
    assert sizes == sorted(sizes), "coarser atoms hold at least as many bins here"
    assert "at each resolution" in (tmp_path / "summary.md").read_text()
