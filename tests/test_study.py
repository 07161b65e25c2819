"""The study grid end to end on analytic models: tables, caching, resuming, failures, executors."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from suffice.study import TABLE_COLUMNS, clips_from_arrays, run
from suffice.study.assemble import COLUMNS

import _hostile_models as hm


def _clips(n=4):
    return clips_from_arrays(hm.clip_items(n), 16000)[0]


def test_grid_table_is_complete_and_consistent(tmp_path):
    clips = _clips()
    res = run("deepfake", hm.models(), clips, seed=0, cache_dir=tmp_path, progress=False)
    t = res.table
    assert list(t.columns)[:len(TABLE_COLUMNS)] == list(TABLE_COLUMNS)
    assert list(t.columns) == list(COLUMNS)  # the contract's, then the study's extensions
    assert len(t) == 3 * 3 * len(clips)
    diag = t[t.source == t.target]
    assert (diag.target_pred_sufficient == diag.source_pred).all()  # sufficient for its own model
    assert set(res.predictions.model) == {"low", "mid", "wide"}
    assert (res.explanations.n_model_calls > 0).all()
    e = res.explanation("low", "c0")
    assert e.model == "low" and e.size == res.explanations.query("model=='low' and clip_id=='c0'").set_size.item()
    # the cross evaluation really is g on f's sufficient signal
    row = t[(t.source == "low") & (t.target == "wide") & (t.clip_id == "c0")].iloc[0]
    p = hm.models()[2].predict_proba(e.sufficient_signal[None])[0]
    assert row.target_prob_sufficient == pytest.approx(p[["bonafide", "spoof"].index(row.source_pred)])
    out = res.save(tmp_path / "out")
    assert pd.read_csv(out / "table.csv").shape == t.shape
    # robust acceptance by default: every found set was checked, and a robust one keeps its class when
    # saved as 16-bit PCM (what a player or --out writes)
    from suffice.renderings import render
    assert res.params["options"]["robustness"] == "repair"
    found = res.explanations[res.explanations.found]
    assert found.robust.notna().all() and found.margin.notna().all()
    assert res.stats["not_robust"] == int((found.robust == False).sum())  # noqa: E712
    for m in hm.models():
        for c in clips:
            e = res.explanation(m.name, c.clip_id)
            if e.found and e.robust:
                saved = render(e.waveform, e.keep, "pcm16", 16000)
                assert m.labels[int(np.argmax(m.predict_proba(saved[None])[0]))] == e.target


def test_rerun_recomputes_nothing(tmp_path):
    clips = _clips()
    first = run("deepfake", hm.models(), clips, cache_dir=tmp_path, progress=False)
    assert first.stats["model_calls"] > 0
    models = hm.models()
    again = run("deepfake", models, clips, cache_dir=tmp_path, progress=False)
    assert again.stats["model_calls"] == 0 and sum(m.calls for m in models) == 0
    pd.testing.assert_frame_equal(first.table, again.table)


def test_interrupted_study_resumes_where_it_stopped(tmp_path):
    clips = _clips(6)
    full_models = hm.models()
    run("deepfake", full_models, clips, cache_dir=tmp_path / "ref", progress=False)
    full_calls = sum(m.calls for m in full_models)
    models = hm.models()
    models[1].fail_after = 150  # dies part-way through its explanations
    with pytest.raises(KeyboardInterrupt):
        run("deepfake", models, clips, cache_dir=tmp_path / "run", progress=False)
    spent = sum(m.calls for m in models)
    resumed_models = hm.models()
    res = run("deepfake", resumed_models, clips, cache_dir=tmp_path / "run", progress=False)
    resumed = sum(m.calls for m in resumed_models)
    assert 0 < resumed < full_calls                      # finished work was not redone
    assert spent + resumed <= full_calls + 150 + 64      # at most the interrupted explanation (and batch) is lost
    ref = run("deepfake", hm.models(), clips, cache_dir=tmp_path / "ref", progress=False)
    pd.testing.assert_frame_equal(res.table, ref.table)  # identical to the uninterrupted run


def test_changed_options_recompute_only_what_they_affect(tmp_path):
    clips = _clips()
    run("deepfake", hm.models(), clips, cache_dir=tmp_path, progress=False)
    models = hm.models()
    res = run("deepfake", models, clips, {"min_confidence": 0.9}, cache_dir=tmp_path, progress=False)
    assert res.stats["explained_now"] == 3 * len(clips)
    # predictions on the originals and silence came from the cache: every call was an explanation, a
    # cross-evaluation or one of the 3 random, 1 top-magnitude and 3 energy-matched null signals
    assert res.stats["model_calls"] == res.explanations.n_model_calls.sum() + 9 * len(clips) * (1 + 3 + 1 + 3)


def test_executor_gives_the_same_tables(tmp_path):
    clips = _clips()
    local = run("deepfake", hm.models(), clips, cache_dir=tmp_path / "a", progress=False)
    with ThreadPoolExecutor(2) as ex:
        par = run("deepfake", hm.models(), clips, cache_dir=tmp_path / "b", executor=ex, progress=False)
    pd.testing.assert_frame_equal(local.table, par.table)


@pytest.mark.slow
def test_contrastive_budget_cuts_reach_the_explanations_table(tmp_path):
    """``necessary_budget_cut`` in the explanations table: the explanation's flag where the study asked
    for contrastive sets (True for a budget too small to finish them), missing where it did not."""
    clips = _clips()
    plain = run("deepfake", hm.models(), clips, seed=0, cache_dir=tmp_path / "a", progress=False)
    assert plain.explanations["necessary_budget_cut"].isna().all()
    for max_calls, cut in ((10 ** 5, False), (None, None)):
        opts = {"contrastive": True} if max_calls is None else {"contrastive": True, "max_calls": max_calls}
        res = run("deepfake", hm.models(), clips, options=opts, seed=0, cache_dir=tmp_path / str(max_calls),
                  progress=False)
        ex = res.explanations
        flags = [res.explanation(r.model, r.clip_id).necessary_budget_cut for r in ex.itertuples()]
        assert ex["necessary_budget_cut"].tolist() == flags
        if cut is False:
            assert not any(flags)
    small = {"contrastive": True, "max_calls": int(res.explanations.eval("n_model_calls - extra_calls").max()) + 2}
    res = run("deepfake", hm.models(), clips, options=small, seed=0, cache_dir=tmp_path / "small", progress=False)
    ex = res.explanations
    assert ex["necessary_budget_cut"].any()
    assert (ex.loc[ex["necessary_budget_cut"].astype(bool), "budget_exhausted"]).all()
