"""A study's run (suffice.study.run): one bad clip or model never stops the others, models or arguments
that do not fit together stop the study before any work, and the study's clip length limit is its own."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suffice import OptionError
from suffice.errors import UnknownNameError
from suffice.study import clips_from_arrays, load_params, run

import _hostile_models as hm

SR = 16000


# ---- one bad clip or model never stops the others ------------------------------------------------
def _items_with_poison(n=4):
    items = hm.clip_items(n)
    cid, x, lab = items[1]
    x = x[:6000].copy()  # its own length, so the length-triggered models hit only this clip
    x[0] = 0.0625
    items[1] = (cid, x, lab)
    return items


@pytest.fixture(scope="module")
def clean_study(tmp_path_factory):
    """The study with a well-behaved model in the bad one's place (same name, same numbers)."""
    clips, _ = clips_from_arrays(_items_with_poison(3), SR)
    return run("deepfake", hm.models()[:2] + [hm.Relabelled("bad", 100, 4000, 0.05)], clips,
               cache_dir=tmp_path_factory.mktemp("clean"), progress=False)


@pytest.mark.parametrize("bad_model,stage", [
    (hm.Poisoned("bad", "nan"), "predict"),
    (hm.Poisoned("bad", "shape"), "predict"),
    (hm.Poisoned("bad", "raise"), "predict"),
    (hm.Poisoned("bad", "nan", length=6000), "explain"),
    (hm.Poisoned("bad", "raise", length=6000), "explain"),
])
def test_bad_model_on_one_clip_is_recorded_and_the_rest_is_complete(tmp_path, clean_study, bad_model, stage):
    clips, _ = clips_from_arrays(_items_with_poison(3), SR)
    res = run("deepfake", hm.models()[:2] + [bad_model], clips, cache_dir=tmp_path, progress=False)
    f = res.failures
    assert (f.clip_id == "c1").all() and (f.model == "bad").all()
    assert stage in set(f.stage)
    if stage == "explain":  # the others' sufficient and null signals of c1 fail in the bad model too
        assert set(f.stage) == {"explain", "transfer", "null"}
        assert f[f.stage == "transfer"].reason.str.contains("sufficient signal of").all()
    # every other cell is there, and equals the clean study's
    t, c = res.table, clean_study.table
    assert not ((t.clip_id == "c1") & ((t.source == "bad") | (t.target == "bad"))).any()
    keep = ~((c.clip_id == "c1") & ((c.source == "bad") | (c.target == "bad")))
    pd.testing.assert_frame_equal(t.reset_index(drop=True), c[keep].reset_index(drop=True))
    assert len(t) == len(c) - 5  # its 3 rows as source on c1, and 2 as target


def test_failures_are_retried_on_rerun_not_cached(tmp_path):
    clips, _ = clips_from_arrays(_items_with_poison(), SR)
    bad = hm.Poisoned("bad", "nan")
    run("deepfake", [hm.models()[0], bad], clips, cache_dir=tmp_path, progress=False)
    bad2 = hm.Poisoned("bad", "nan")
    res = run("deepfake", [hm.models()[0], bad2], clips, cache_dir=tmp_path, progress=False)
    assert bad2.calls == 1 and len(res.failures) == 1  # only the failed prediction was tried again


def test_a_hanging_model_is_a_failure_and_the_study_goes_on(tmp_path):
    items = hm.clip_items(2)
    items[1] = (items[1][0], items[1][1][:7000].copy(), items[1][2])  # the length it hangs on
    clips, _ = clips_from_arrays(items, SR)
    res = run("deepfake", [hm.models()[0], hm.Sleepy("mid", 500, 4000, 0.05)], clips, cache_dir=tmp_path,
              progress=False, model_timeout_s=0.3, null_random_n=0)
    assert set(res.failures.model) == {"mid"} and set(res.failures.clip_id) == {"c1"}
    assert res.failures.reason.str.contains("model_timeout_s").all()
    assert len(res.table[res.table.clip_id == "c0"]) == 4   # the other clip is complete


# ---- models and arguments that do not fit stop the study before any work -------------------------
def _model(name="m", labels=hm.LABELS, rate=SR):
    return hm.Relabelled(name, 100, 2000, 0.05, labels=labels, sample_rate=rate)


@pytest.mark.parametrize("models,msg", [
    ([_model(labels=("real", "fake"))], "outside the 'deepfake' vocabulary"),
    ([_model(labels=("spoof", "spoof"))], "duplicate labels"),
    ([_model(labels=())], "no labels"),
    ([_model("a"), _model("b", rate=22050)], "one sample rate"),
    ([_model("a"), _model("a")], "unique"),
    ([], "at least one model"),
    (["toy/band:300-3000"], "toy/... models speak their own"),  # with a pointer to explain
])
def test_mismatched_models_are_refused(tmp_path, models, msg):
    clips, _ = clips_from_arrays(hm.clip_items(1), SR)
    with pytest.raises(OptionError, match=msg):
        run("deepfake", models, clips, cache_dir=tmp_path, progress=False)
    assert not list(tmp_path.rglob("*.json"))  # nothing computed


def test_label_subset_is_allowed_with_nan_probability(tmp_path):
    """Documented: a model may know only some task labels; p(c) of a class it lacks is NaN."""
    clips, _ = clips_from_arrays(hm.clip_items(2), SR)

    class OnlyBonafide(hm.Relabelled):
        labels = ("bonafide",)

        def predict_proba(self, w):
            return np.ones((len(w), 1))

    res = run("deepfake", [hm.models()[0], OnlyBonafide("one", 100, 2000, 0.05)], clips, cache_dir=tmp_path,
              progress=False)
    assert res.failures.empty
    rows = res.table[(res.table.target == "one") & (res.table.source_pred == "spoof")]
    assert len(rows) and rows.target_prob_original.isna().all() and (rows.target_pred_sufficient == "bonafide").all()


@pytest.mark.parametrize("kw,error,msg", [
    ({"options": {"prior": "bogus"}}, OptionError, "'prior' must be one of"),
    ({"options": {"min_block": 0}}, OptionError, "'min_block' must be >= 1"),
    ({"options": {"max_calls": -5}}, OptionError, "'max_calls' must be >= 1"),
    ({"options": {"resolution_hz": 8.0, "refine_to_hz": 16.0}}, OptionError, "must not exceed"),
    ({"options": {"refine_to_hz": 16.0}}, OptionError, "needs resolution_hz"),
    ({"strategy": "rex", "options": {"min_margin": 0.1}}, OptionError, "own rule"),
    ({"strategy": "occlusion"}, OptionError, "single bins only"),
    ({"strategy": "magic"}, UnknownNameError, "unknown strategy"),
    ({"cache_dir": ""}, OptionError, "cache_dir is empty"),
    ({"seed": -1}, OptionError, "seed must be an integer in"),
    ({"seed": "0"}, OptionError, "seed"),
    ({"task": ["deepfake"]}, OptionError, "task must be a task name"),
    ({"task": "birds"}, UnknownNameError, "unknown task"),
    ({"model_timeout_s": -1}, OptionError, "model_timeout_s"),
    ({"null_random_n": 1000}, OptionError, "null_random_n must be an integer in"),
    ({"executor": object()}, OptionError, "executor"),
    ({"repeat_a_clip": True}, OptionError, "unique"),
])
def test_bad_study_arguments_fail_before_any_model_call(tmp_path, kw, error, msg):
    models = hm.models()[:1]
    clips, _ = clips_from_arrays(hm.clip_items(2), SR)
    args = {"task": "deepfake", "cache_dir": tmp_path, **kw}
    task, options = args.pop("task"), args.pop("options", None)
    if args.pop("repeat_a_clip", False):
        clips = clips + clips[:1]
    with pytest.raises(error, match=msg):
        run(task, models, clips, options, progress=False, **args)
    assert models[0].calls == 0


def test_unwritable_output_dir_fails_before_the_study(tmp_path):
    f = tmp_path / "a-file"
    f.write_text("x")
    models = hm.models()[:1]
    clips, _ = clips_from_arrays(hm.clip_items(1), SR)
    with pytest.raises(OptionError, match="output_dir"):
        run("deepfake", models, clips, cache_dir=tmp_path / "c", output_dir=f / "out", progress=False)
    assert models[0].calls == 0


def test_unknown_search_option_in_a_parameter_set_is_refused(tmp_path):
    clips, _ = clips_from_arrays(hm.clip_items(1), SR)
    params = load_params({"task": "deepfake", "options": {"iterz": 3}})
    with pytest.raises(OptionError, match="unknown option"):
        run("deepfake", hm.models()[:1], clips, params["options"], cache_dir=tmp_path, progress=False)


# ---- the study's own clip length limit -----------------------------------------------------------
def test_a_study_has_its_own_clip_length_limit(tmp_path):
    clips, _ = clips_from_arrays(hm.clip_items(2), SR)
    res = run("deepfake", hm.models()[:1], clips, cache_dir=tmp_path / "c", progress=False, max_clip_seconds=0.25)
    assert len(res.failures) == 2 and res.failures.reason.str.contains("max_clip_seconds").all()
    ok = run("deepfake", hm.models()[:1], clips, cache_dir=tmp_path / "c", progress=False, max_clip_seconds=1)
    assert ok.failures.empty
    assert load_params({"task": "deepfake"})["max_clip_seconds"] == 120
    for bad in (0, -1, "long", True):
        with pytest.raises(OptionError, match="max_clip_seconds"):
            load_params({"task": "deepfake", "max_clip_seconds": bad})


def test_a_longer_clip_is_explained_when_the_study_allows_it(tmp_path, monkeypatch):
    """The study's limit reaches the search (explain_job, which workers run too), not the library default."""
    import suffice.audio as audio
    clips, _ = clips_from_arrays(hm.clip_items(2), SR)
    monkeypatch.setattr(audio, "MAX_DURATION_S", 0.25)  # stands for the 120 s default, on short clips
    res = run("deepfake", hm.models()[:1], clips, cache_dir=tmp_path / "c", progress=False, max_clip_seconds=1)
    assert res.failures.empty and len(res.explanations) == 2
