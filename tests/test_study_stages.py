"""The study's stage modules, each on its own, with analytic models written for the test.

Band-energy models in the deepfake vocabulary (``bonafide`` iff the band's RMS reaches the level) give
known answers: silence is ``spoof`` for every one of them, a clip quieter than the level is ``spoof``.
"""
from __future__ import annotations

import shutil
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from suffice.search import explain
from suffice.study import TABLE_COLUMNS, clips_from_arrays, run, select_clips
from suffice.study.assemble import COLUMNS, EXTRA_COLUMNS, flags
from suffice.study.cache import DiskCache
from suffice.study.keys import model_identity, source_digest
from suffice.study.nulls import null_rng, null_signals, random_keeps, topmag_keep
from suffice.study.predict import ModelTimeoutError, TimedModel, predict_many, predict_stage

import _hostile_models as hm


def _clips(n=3, **kw):
    return clips_from_arrays(hm.clip_items(n, **kw), 16000)[0]


# ---- keys ---------------------------------------------------------------------------------------
def test_source_digest_changes_with_result_code_not_with_leaves(tmp_path):
    import suffice
    from pathlib import Path
    root = tmp_path / "suffice"
    shutil.copytree(Path(suffice.__file__).parent, root, ignore=shutil.ignore_patterns("__pycache__"))
    d0 = source_digest(root)
    (root / "book" / "__init__.py").write_text((root / "book" / "__init__.py").read_text() + "\n# edit\n")
    assert source_digest(root) == d0          # the book only reads results
    f = root / "search" / "strategies" / "suffice.py"
    f.write_text(f.read_text() + "\n# an edit of the search\n")
    assert source_digest(root) != d0          # the search makes them


def test_the_digest_list_is_derived_from_the_source():
    """The modules the digest covers are found by reading the source: the search and every strategy
    (loaded by name) are in, the command line (a folder now), the book, plotting and the benchmark are
    not, and the set is closed under import."""
    from pathlib import Path
    import suffice
    from suffice.study.keys import _imports, _module_file, result_modules
    root = Path(suffice.__file__).parent
    files = set(result_modules(root))
    rel = {p.relative_to(root).as_posix() for p in files}
    assert {"search/strategies/suffice.py", "search/strategies/rex.py", "masking.py", "study/explain.py",
            "models/resolve.py", "flips/study.py"} <= rel
    assert not {r for r in rel if r.split("/")[0] in ("cli", "book", "plotting", "bench")}
    for f in files:
        for mod in _imports(root, f):
            assert _module_file(root, mod) in files, (f, mod)


def test_every_module_a_payload_runs_is_in_the_digest(tmp_path):
    """Traced: every library function that runs while a clip is predicted and explained (the default and
    the rex strategy) lives in a module the digest covers (package faces excepted)."""
    import sys
    from pathlib import Path
    import suffice
    from suffice.study.cache import DiskCache
    from suffice.study.explain import explain_job
    from suffice.study.keys import result_modules
    from suffice.study.predict import TimedModel, predict_stage
    root = Path(suffice.__file__).parent.resolve()
    ran: set[str] = set()

    def tracer(frame, event, arg):
        if event == "call":
            ran.add(frame.f_code.co_filename)
    clip = _clips(1)[0]
    model = hm.models()[0]
    sys.setprofile(tracer)
    try:
        predict_stage([TimedModel(model)], [clip], {model.name: "m"}, DiskCache(tmp_path), 8, [])
        for strategy in ("suffice", "rex"):
            explain_job(model, "default", clip.waveform, 0, strategy, {}, DiskCache(tmp_path),
                        {"s": strategy}, None, lookup=False)
    finally:
        sys.setprofile(None)
    lib = {Path(f).resolve() for f in ran if Path(f).resolve().is_relative_to(root)}
    missing = {p.relative_to(root).as_posix() for p in lib - set(result_modules(root)) if p.name != "__init__.py"}
    assert not missing, sorted(missing)


@pytest.mark.parametrize("path", ["cli/explain.py", "transfer/relations.py", "transfer/contrast.py", "stats.py",
                                  "corpora/builder.py", "deepfake_info.py"])
def test_an_edit_of_what_only_reads_results_keeps_the_cache(tmp_path, path):
    """The command line and the analyses (re-exported by package faces that result-making modules import
    from, such as ``suffice.transfer``) do not make payloads: editing them keeps every cached result."""
    import suffice
    from pathlib import Path
    root = tmp_path / "suffice"
    shutil.copytree(Path(suffice.__file__).parent, root, ignore=shutil.ignore_patterns("__pycache__"))
    d0 = source_digest(root)
    f = root / path
    f.write_text(f.read_text() + "\n# an edit that makes no payload\n")
    assert source_digest(root) == d0


def test_a_name_from_a_package_face_counts_as_its_defining_module():
    from pathlib import Path
    import suffice
    from suffice.study.keys import _imports, _origin
    root = Path(suffice.__file__).parent
    assert _origin(root, "suffice.transfer", "validate_table") == "suffice.transfer.table"
    assert _origin(root, "suffice.transfer", "no_such_name") == "suffice.transfer"  # unknown: the face itself
    imports = _imports(root, root / "study" / "assemble.py")
    assert "suffice.transfer" not in imports and "suffice.transfer.table" in imports


def test_model_without_identity_is_keyed_on_its_name_with_a_warning():
    class Plain:
        name, labels, sample_rate = "plain-model-for-test", ("bonafide", "spoof"), 16000

        def predict_proba(self, w):
            return np.tile([0.5, 0.5], (len(w), 1))
    with pytest.warns(UserWarning, match="no identity"):
        ident = model_identity(Plain())
    assert ident.endswith(":plain-model-for-test")
    assert model_identity(hm.models()[0]) == "low:100.0-2000.0:0.05"


def test_toy_models_are_keyed_on_their_parameters():
    from suffice.toys import BandEnergyClassifier
    a, b = BandEnergyClassifier(300, 3000, name="x"), BandEnergyClassifier(300, 3000, 0.5, name="x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model_identity(a) != model_identity(b)


# ---- predict ------------------------------------------------------------------------------------
def test_a_call_that_overruns_its_timeout_is_a_failure_and_not_retried_one_by_one():
    m = TimedModel(hm.Sleepy("s", 100, 2000, 0.05, hang=2.0), timeout_s=0.2)
    with pytest.raises(ModelTimeoutError, match="did not return within 0.2 s"):
        m.predict_proba(np.zeros((1, 7000), np.float32))
    t0 = time.perf_counter()
    out, why = predict_many(m, [np.ones(7000, np.float32)] * 4, 64)
    assert time.perf_counter() - t0 < 1.5        # one batch timed out, not four more single calls
    assert out == [None] * 4 and all("model_timeout_s" in w for w in why)
    ok, why = predict_many(m, [np.ones(8000, np.float32) * 0.1], 64)
    assert why == [None] and ok[0].shape == (2,)


def test_predict_stage_evaluates_each_content_once_and_caches(tmp_path):
    items = hm.clip_items(2)
    clips = clips_from_arrays(items + [("copy", items[0][1].copy(), "bonafide")], 16000)[0]
    m = TimedModel(hm.models()[0], None)
    cache, fails = DiskCache(tmp_path), []
    probs = predict_stage([m], clips, {"low": "id-low"}, cache, 64, fails)
    assert m.calls == 2 and len(probs) == 2 and not fails
    again = TimedModel(hm.models()[0], None)
    assert predict_stage([again], clips, {"low": "id-low"}, cache, 64, fails).keys() == probs.keys()
    assert again.calls == 0


def test_models_get_copies_and_cannot_change_the_clips(tmp_path):
    class Writer(hm.Relabelled):
        def predict_proba(self, w):
            p = super().predict_proba(w)
            w *= 0.01  # vandalises its input after answering
            return p
    clips = clips_from_arrays(hm.clip_items(3), 16000)[0]
    clips = [type(c)(c.clip_id, c.waveform[: 8000 - 500 * i], c.label) for i, c in enumerate(clips)]
    before = [c.waveform.copy() for c in clips]
    res = run("deepfake", [Writer("low", 100, 2000, 0.05), hm.models()[1]], clips, cache_dir=tmp_path,
              progress=False, null_random_n=0)
    for c, b in zip(clips, before):
        np.testing.assert_array_equal(c.waveform, b)
    ref = hm.models()[1]
    want = [ref.labels[int(np.argmax(ref.predict_proba(b[None])[0]))] for b in before]
    assert list(res.predictions[res.predictions.model == "mid"].pred) == want
    assert not clips[0].waveform.flags.writeable


# ---- nulls ----------------------------------------------------------------------------------------
def test_random_keep_sets_have_the_size_and_are_seeded_by_seed_clip_and_source():
    a = random_keeps(101, 7, 5, null_rng(0, "d1", "f"))
    assert a.shape == (5, 101) and (a.sum(1) == 7).all()
    np.testing.assert_array_equal(a, random_keeps(101, 7, 5, null_rng(0, "d1", "f")))
    for other in (null_rng(1, "d1", "f"), null_rng(0, "d2", "f"), null_rng(0, "d1", "g")):
        assert not np.array_equal(a, random_keeps(101, 7, 5, other))
    # uniform: each bin is drawn with probability 7/101
    many = random_keeps(101, 7, 4000, np.random.default_rng(0)).mean(0)
    assert np.abs(many - 7 / 101).max() < 0.02


def test_topmag_keep_takes_the_loudest_bins():
    t = np.arange(1600) / 16000
    x = 0.5 * np.sin(2 * np.pi * 1000 * t) + 0.2 * np.sin(2 * np.pi * 3000 * t) + 0.1 * np.sin(2 * np.pi * 500 * t)
    assert np.flatnonzero(topmag_keep(x, 2)).tolist() == [100, 300]   # 1000 Hz and 3000 Hz at 10 Hz per bin
    assert np.flatnonzero(topmag_keep(x, 3)).tolist() == [50, 100, 300]


def test_null_columns_on_analytic_models(tmp_path):
    clips = _clips(4)
    res = run("deepfake", hm.models(), clips, cache_dir=tmp_path, progress=False)
    t = res.table
    assert list(t.columns) == list(COLUMNS) and set(EXTRA_COLUMNS) <= set(t.columns)
    assert (t.target_pred_silence == "spoof").all()        # no band energy in silence
    assert (t.null_random_n == 3).all() and t.null_random_accept.isin([0, 1 / 3, 2 / 3, 1]).all()
    assert (t.strategy == "suffice").all() and t.target_pred_topmag.isin(["bonafide", "spoof"]).all()
    # the nulls really are g on the synthesised signals
    e = res.explanation("low", "c2")
    sig = null_signals(e, seed=0, digest=clips[2].digest, source="low", n=3)
    g = hm.models()[2]
    p = g.predict_proba(sig)
    row = t[(t.source == "low") & (t.target == "wide") & (t.clip_id == "c2")].iloc[0]
    assert row.null_random_accept == pytest.approx(np.mean([g.labels[i] == e.target for i in p[:3].argmax(1)]))
    assert row.target_pred_topmag == g.labels[int(p[3].argmax())]
    assert row.null_energy_accept == pytest.approx(np.mean([g.labels[i] == e.target for i in p[4:].argmax(1)]))
    assert len(p) == 7 and t.null_energy_accept.isin([0, 1 / 3, 2 / 3, 1]).all()
    # cached: a rerun calls no model; no draws: NaN and 0
    models = hm.models()
    again = run("deepfake", models, clips, cache_dir=tmp_path, progress=False)
    assert sum(m.calls for m in models) == 0
    pd.testing.assert_frame_equal(again.table, t)
    none = run("deepfake", hm.models(), clips, cache_dir=tmp_path, progress=False, null_random_n=0)
    assert none.table.null_random_accept.isna().all() and (none.table.null_random_n == 0).all()
    assert none.table.null_energy_accept.isna().all() and none.table.target_pred_topmag.notna().all()


@pytest.mark.parametrize("batch", [1, 5, 64])
def test_the_table_does_not_depend_on_the_batch_size(tmp_path, batch):
    clips = _clips(3)
    ref = run("deepfake", hm.models(), clips, cache_dir=tmp_path / "ref", progress=False)
    res = run("deepfake", hm.models(), clips, {"batch_size": batch}, cache_dir=tmp_path / str(batch),
              progress=False)
    pd.testing.assert_frame_equal(res.table, ref.table)


# ---- assemble -------------------------------------------------------------------------------------
def test_explanation_flags_default_to_false_and_stats_count_them_apart(tmp_path):
    m = hm.models()[0]
    e = explain(m, _clips(1)[0].waveform)
    assert flags(e) == (bool(getattr(e, "budget_exhausted", False)), bool(getattr(e, "verified_minimal", False)))
    res = run("deepfake", hm.models(), _clips(2), cache_dir=tmp_path, progress=False)
    assert {"budget_exhausted", "verified_minimal"} <= set(res.explanations.columns)
    assert res.stats["not_found"] == int((~res.explanations.found & ~res.explanations.budget_exhausted).sum())
    assert res.stats["budget_exhausted"] == int(res.explanations.budget_exhausted.sum())
    assert list(res.table.columns[:len(TABLE_COLUMNS)]) == list(TABLE_COLUMNS)


# ---- clips ----------------------------------------------------------------------------------------
def test_smaller_selections_are_subsets_of_larger_ones_with_the_same_seed():
    rng = np.random.default_rng(0)
    man = pd.DataFrame({"clip_id": [f"k{i:02d}" for i in range(40)], "path": "x",
                        "label": rng.choice(["a", "b", "c"], 40), "split": "test"})
    sets = [set(select_clips(man, r, seed=7).clip_id) for r in range(1, 8)]
    assert all(a < b for a, b in zip(sets, sets[1:]))
    for label, grp in man.groupby("label"):   # the same clips as pandas' own sample of that size
        want = set(grp.sample(n=3, random_state=7).clip_id)
        assert want == set(select_clips(man, 3, seed=7).query("label == @label").clip_id)


def test_duplicate_content_is_explained_once_and_reported(tmp_path):
    items = hm.clip_items(2)
    dup = items + [(f"copy{i}", items[i % 2][1].copy(), items[i % 2][2]) for i in range(4)]
    clips = clips_from_arrays(dup, 16000)[0]
    models = hm.models()[:2]
    with pytest.warns(UserWarning, match="4 of 6 clips repeat the content"):
        res = run("deepfake", models, clips, cache_dir=tmp_path, progress=False)
    assert res.stats["explained_now"] == 4 and res.stats["duplicate_clips"] == 4
    assert len(res.table) == 6 * 2 * 2
    ref = run("deepfake", hm.models()[:2], clips_from_arrays(items, 16000)[0], cache_dir=tmp_path / "r",
              progress=False)
    c0 = res.table[res.table.clip_id == "copy0"].drop(columns=["clip_id"]).reset_index(drop=True)
    r0 = ref.table[ref.table.clip_id == "c0"].drop(columns=["clip_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(c0, r0)
