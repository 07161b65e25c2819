"""The flip study and its analysis on analytic classifiers whose flips, and their transfer, are known.

``a`` and ``c`` need the 300 Hz tone, ``b`` the 1100 Hz one; each clip has both tones and a louder
irrelevant one.  Each model's minimal flip is its own tone's bin, so the flip of ``a`` changes ``c``
and not ``b``: the flip-transfer matrix is known exactly (1 for a<->c, 0 for every cell with b).
A random one-bin removal hits a needed tone with probability 1/8,001 per draw.
"""
from __future__ import annotations

import numpy as np
import pytest

from suffice.errors import OptionError
from suffice.flips import analysis, study
from suffice.study import clips_from_arrays
from suffice.toys import ToneClassifier, tone_clip

A = ToneClassifier(freqs=[300], name="toy/a")
B = ToneClassifier(freqs=[1100], name="toy/b")
C = ToneClassifier(freqs=[300], min_amplitude=0.03, name="toy/c")
NAMES = ["toy/a", "toy/b", "toy/c"]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    items = [(f"clip{i}", tone_clip([300, 700, 1100, 150], 16000, [0.1, 0.1, 0.1, 0.4], noise=0.002, seed=i), "x")
             for i in range(4)]
    clips, _ = clips_from_arrays(items, 16000)
    cache = tmp_path_factory.mktemp("cache")
    first = study.run("genre", [A, B, C], clips, {"max_size": 5, "screen": 64}, n_null=3, sizes=[1, 2, 5],
                      cache_dir=cache, progress=False)
    again = study.run("genre", [A, B, C], clips, {"max_size": 5, "screen": 64}, n_null=3, sizes=[1, 2, 5],
                      cache_dir=cache, progress=False)
    return first, again


def test_flips_and_their_transfer_are_the_known_ones(result):
    r, _ = result
    assert r.flips["found"].all() and (r.flips["size"] == 1).all()
    hz = {m: set(g["removed_hz"].map(tuple)) for m, g in r.flips.groupby("model")}
    assert hz == {"toy/a": {(300.0,)}, "toy/b": {(1100.0,)}, "toy/c": {(300.0,)}}
    ft = analysis.flip_transfer(r.flips, r.evaluations, NAMES, n_boot=50)
    expect = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)
    assert np.array_equal(ft.rate.to_numpy(), expect)
    assert ft.task["rate"] == pytest.approx(2 / 6)
    assert ft.task["null"] == 0.0 and ft.task["loudest"] == 0.0  # the loudest bin is the irrelevant tone
    assert ft.task["above_null"]
    assert r.flip("toy/a", "clip0").new_label == "other"


def test_the_rerun_comes_from_the_cache(result):
    r, again = result
    assert again.stats["flips_now"] == 0 and again.stats["other_model_calls_now"] == 0
    assert again.flips.equals(r.flips) and again.evaluations.equals(r.evaluations)


def test_flip_curve_and_its_baselines(result):
    r, _ = result
    curve = analysis.flip_curve(r.flips, r.evaluations, [1, 2, 5], n_boot=50).set_index(["model", "size"])
    assert (curve["rate"] == 1.0).all()
    assert curve.loc[("toy/b", 1), "random"] == 0.0 and curve.loc[("toy/b", 1), "loudest"] == 0.0
    # the two loudest bins are 150 Hz and the loudest of the equal-amplitude tones (noise decides)
    second = [study.loudest_removal(c, 2) for c in r._clips.values()]
    assert all(150 in s for s in second)
    assert curve.loc[("toy/a", 2), "loudest"] == np.mean([300 in s for s in second])
    assert curve.loc[("toy/b", 2), "loudest"] == np.mean([1100 in s for s in second])


def test_random_removals_are_seeded_by_clip_and_size(result):
    r, _ = result
    c = r._clips["clip0"]
    assert study.random_removal(c, 5, 0, 0) == study.random_removal(c, 5, 0, 0)
    assert study.random_removal(c, 5, 0, 0) != study.random_removal(c, 5, 1, 0)
    assert len(set(study.random_removal(c, 5, 0, 0))) == 5


def test_agree_condition_counts_only_agreeing_pairs(result):
    r, _ = result
    ft = analysis.flip_transfer(r.flips, r.evaluations, NAMES, condition="agree", n_boot=20)
    assert ft.n.to_numpy().min() == 4  # every model says "tones" on every clip
    with pytest.raises(OptionError):
        analysis.flip_transfer(r.flips, r.evaluations, NAMES, condition="some")


def test_bad_study_options_are_clear_errors(result):
    r, _ = result
    clips = list(r._clips.values())
    with pytest.raises(OptionError, match="n_null"):
        study.run("genre", [A], clips, n_null=0, progress=False)
    with pytest.raises(OptionError, match=r"unknown option.*for the flip search"):
        study.run("genre", [A], clips, {"size": 3}, progress=False)


def test_calibration_false_positive_rate_and_power():
    """Null: transfer outcomes and random draws share each clip's susceptibility; the decision
    (interval of rate - null above 0) should fire rarely under it and mostly at +0.3."""
    res = analysis.calibrate(20, 3, 4, base=0.1, effect=0.3, n_sim=100, n_boot=200, seed=1)
    assert res["fpr"] <= 0.10
    assert res["power"] >= 0.8


def test_max_clips_takes_clips_in_turn_from_each_label():
    import pandas as pd
    sel = pd.DataFrame({"clip_id": [f"{lab}{i}" for lab in "abc" for i in range(3)],
                        "label": [lab for lab in "abc" for _ in range(3)]})
    assert study.in_turn(sel, 4)["clip_id"].tolist() == ["a0", "a1", "b0", "c0"]
    assert study.in_turn(sel, 2)["clip_id"].tolist() == ["a0", "b0"]
    with pytest.raises(OptionError):
        study.in_turn(sel, 0)


def test_the_reading_is_computed_from_the_tables(result):
    from suffice.flips import report
    r, _ = result
    curve = analysis.flip_curve(r.flips, r.evaluations, [1, 2, 5], n_boot=20)
    ft = analysis.flip_transfer(r.flips, r.evaluations, NAMES, n_boot=20)
    cal = {"n_clips": 4, "n_models": 3, "fpr": 0.05, "nominal": 0.025, "effect": 0.2, "power": 0.8}
    text = report.task_reading("toy", r.flips, curve, ft, calibration=cal)
    assert "**100%**" in text  # every toy clip is flipped by one bin
    assert "**33%** of the pairs" in text  # a <-> c of the six off-diagonal cells
    assert "no claim is made" in text and "5.0%" in text  # 4 clips: below the claim's minimum
    row = report.summary_row("toy", r.flips, curve, ft)
    assert row["flipped by 1 bin"] == 1.0 and row["flip transfer"] == pytest.approx(1 / 3)


def _task(**kw):
    base = {"n_clips": 30, "diff": 0.1, "diff_lo": 0.05, "diff_hi": 0.15, "diff_loudest": 0.02,
            "diff_loudest_lo": -0.01, "diff_loudest_hi": 0.05}
    return {**base, **kw}


def test_the_flip_verdict_leads_with_the_loudest_bins_and_bounds_an_absence():
    from suffice.flips.report import transfer_verdict
    text = transfer_verdict(_task(), n_found=40)
    assert text.index("loudest") < text.index("random")
    assert "not shown different from removing the same number of loudest bins" in text
    assert "an excess above 5.0 pp is ruled out" in text
    assert "above random removals of the same size (+10.0 pp" in text
    assert "below removing" in transfer_verdict(_task(diff_loudest=-0.05, diff_loudest_hi=-0.01), n_found=40)


@pytest.mark.parametrize("clips,found", [(20, 19), (19, 40), (6, 6)])
def test_the_flip_verdict_makes_no_claim_on_few_clips_or_flips(clips, found):
    from suffice.flips.report import transfer_verdict
    text = transfer_verdict(_task(n_clips=clips), n_found=found)
    assert "no claim is made" in text and "above" not in text.split("no claim")[1].split(":")[0]


def _forge_flip_entries(cache_dir) -> int:
    """Rewrite every cached flip to claim another class index (the checksum kept valid): a sound-looking
    entry that disagrees with the model."""
    import hashlib
    import json
    n = 0
    for path in sorted((cache_dir / "flip").rglob("*.json")):
        body = json.loads(path.read_text())
        body["payload"]["flip"]["label_index"] += 1
        body["sha256"] = hashlib.sha256(json.dumps(body["payload"], sort_keys=True).encode()).hexdigest()
        path.write_text(json.dumps(body, sort_keys=True))
        n += 1
    return n


def test_a_forged_flip_in_the_cache_is_recomputed(tmp_path):
    """The flips run on the study's grid: cache entries pass its payload check or are recomputed."""
    items = [(f"clip{i}", tone_clip([300, 1100, 150], 16000, [0.1, 0.1, 0.4], noise=0.002, seed=i), "x")
             for i in range(2)]
    clips, _ = clips_from_arrays(items, 16000)
    kw = dict(n_null=1, sizes=[1], cache_dir=tmp_path, progress=False)
    first = study.run("genre", [A, B], clips, {"max_size": 3, "screen": 16}, **kw)
    assert _forge_flip_entries(tmp_path) == 4
    with pytest.warns(UserWarning, match="corrupt cache entry"):
        again = study.run("genre", [A, B], clips, {"max_size": 3, "screen": 16}, **kw)
    assert again.stats["flips_now"] == 4
    assert again.flips.drop(columns="seconds").equals(first.flips.drop(columns="seconds"))


def test_models_by_name_on_workers_give_the_tables_of_one_process(tmp_path):
    """Names resolve as everywhere (resolve_model: here toy names); a thread pool stands in for workers."""
    from concurrent.futures import ThreadPoolExecutor
    items = [(f"clip{i}", tone_clip([300, 1100, 150], 16000, [0.1, 0.1, 0.4], noise=0.002, seed=i), "x")
             for i in range(2)]
    clips, _ = clips_from_arrays(items, 16000)
    names = ["toy/tones:300", "toy/tones:1100"]
    kw = dict(n_null=1, sizes=[1], progress=False)
    here = study.run("genre", names, clips, {"max_size": 3, "screen": 16}, cache_dir=tmp_path / "a", **kw)
    with ThreadPoolExecutor(2) as ex:
        there = study.run("genre", names, clips, {"max_size": 3, "screen": 16}, cache_dir=tmp_path / "b",
                          executor=ex, **kw)
    assert here.params["models"] == names and here.failures.empty
    assert there.flips.drop(columns="seconds").equals(here.flips.drop(columns="seconds"))
    assert there.evaluations.equals(here.evaluations)


def test_a_model_call_past_the_timeout_is_a_failure_and_the_study_goes_on(tmp_path):
    import time

    class Slow(ToneClassifier):
        def predict_proba(self, waveforms):
            time.sleep(0.5)
            return super().predict_proba(waveforms)

        def identity(self) -> str:
            return "slow tone"

    items = [("clip0", tone_clip([300, 1100, 150], 16000, [0.1, 0.1, 0.4], noise=0.002, seed=0), "x")]
    clips, _ = clips_from_arrays(items, 16000)
    res = study.run("genre", [A, Slow(freqs=[300], name="toy/slow")], clips, {"max_size": 3, "screen": 16},
                    n_null=1, sizes=[1], cache_dir=tmp_path, progress=False, model_timeout_s=0.1)
    assert res.failures[["model", "stage"]].values.tolist() == [["toy/slow", "predict"]]
    assert "0.1" in res.failures["reason"].iloc[0] and res.flips["model"].tolist() == ["toy/a"]
    with pytest.raises(OptionError, match="model_timeout_s"):
        study.run("genre", [A], clips, model_timeout_s=-1, cache_dir=tmp_path, progress=False)
