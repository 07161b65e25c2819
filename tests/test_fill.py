"""Fills (baselines): what the removed bins take.  Zero reproduces the exact masking bit for bit; a
non-silent fill is deterministic, batch-free, recorded, keyed, and decides the answer of analytic models
where it should (a model whose class for silence is the target; a model that needs a bin to stand out)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.fft as sfft
import soundfile as sf
from hypothesis import given, settings, strategies as st

from suffice import explain
from suffice.cli import main
from suffice.errors import OptionError
from suffice.explanation import Explanation
from suffice.fills import FILLS, envelope, fill_spectrum
from suffice.flips import flip
from suffice.flips.search import resolve_flip_options
from suffice.masking import floor_signal, keep_bins, spectrum, synthesise
from suffice.search import evaluator as evaluator_module
from suffice.search.explain import resolve_options
from suffice.study.explain import explanation_key
from suffice.study.nulls import floor_of
from suffice.toys import (BandEnergyClassifier, SoftmaxClassifier, StandOutClassifier, conjunction,
                          stand_out_clip, tone_clip)

NON_SILENT = tuple(f for f in FILLS if f != "zero")


def _old_synthesise(spec, keep, n_samples, fill=None):
    """The masking before fills existed (the reference of the zero fill)."""
    assert fill is None
    masked = np.where(np.asarray(keep).astype(bool), spec, np.complex64(0))
    return sfft.irfft(masked, n=n_samples, axis=-1).astype(np.float32, copy=False)


# ---- the masking ------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 300), seed=st.integers(0, 2**31 - 1), rows=st.integers(1, 4))
def test_zero_fill_is_the_old_masking_bit_for_bit(n, seed, rows):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n).astype(np.float32)
    keep = rng.random((rows, n // 2 + 1)) < 0.5
    old = _old_synthesise(spectrum(x), keep, n)
    assert np.array_equal(keep_bins(x, keep), old) and np.array_equal(keep_bins(x, keep, fill="zero"), old)
    assert np.array_equal(synthesise(spectrum(x), keep, n), old)
    assert keep_bins(x, keep).dtype == np.float32


@pytest.mark.parametrize("fill", NON_SILENT)
def test_a_fill_replaces_removed_bins_only_and_keeps_the_level(fill):
    x = tone_clip([300, 1000], 16000, 0.1, noise=0.01)
    spec = spectrum(x)
    f = fill_spectrum(spec, fill, 3)
    keep = np.zeros(len(spec), bool)
    keep[[300, 1000]] = True
    y = spectrum(keep_bins(x, keep, fill=fill, fill_seed=3))
    assert np.allclose(y[keep], spec[keep], atol=1e-2) and np.allclose(y[~keep][1:-1], f[~keep][1:-1], atol=1e-2)
    noise = np.random.default_rng(0).normal(0.0, 0.1, 16000).astype(np.float32)  # the level: in expectation
    level = np.sqrt(np.mean(floor_signal(noise, fill=fill, fill_seed=3).astype(np.float64) ** 2))
    assert level == pytest.approx(0.1, rel=0.05)
    assert np.array_equal(f, fill_spectrum(spec, fill, 3)) and not np.array_equal(f, fill_spectrum(spec, fill, 4))


@pytest.mark.parametrize("fill", NON_SILENT)
def test_a_pure_tone_has_a_finite_fill(fill):
    tone = (0.3 * np.sin(2 * np.pi * 500 * np.arange(1600) / 16000)).astype(np.float32)
    assert np.isfinite(fill_spectrum(spectrum(tone), fill)).all()
    assert np.isfinite(floor_signal(tone, fill=fill)).all()


def test_the_envelope_is_the_smoothed_power():
    spec = np.zeros(2561, np.complex64)
    spec[1000] = 100.0
    e = envelope(spec)
    assert e[1000] == pytest.approx(100.0 / np.sqrt(11)) and e[2000] == 0.0
    assert np.sum(e ** 2) == pytest.approx(100.0 ** 2)


# ---- the fill decides ---------------------------------------------------------------------------------
def test_a_model_whose_class_for_silence_is_the_target():
    x = stand_out_clip()
    m = StandOutClassifier(1000, silent_class=True)
    zero = explain(m, x)
    assert zero.found and zero.size == 0 and zero.floor_label == "stands out" and zero.fill == "zero"
    for fill in NON_SILENT:
        e = explain(m, x, fill=fill)
        assert e.found and e.verified_minimal and list(np.flatnonzero(e.keep)) == [1000]
        assert e.floor_label == "other" and e.fill == fill


def test_a_model_that_needs_a_bin_to_stand_out_above_the_fill():
    x = stand_out_clip()
    m = StandOutClassifier(1000, silent_class=False)
    for fill in FILLS:
        e = explain(m, x, fill=fill)
        assert list(np.flatnonzero(e.keep)) == [1000] and e.floor_label == "other"
    # a band-energy model: the level-keeping envelope fills already carry the band's energy
    band = BandEnergyClassifier(300, 3000, min_rms=0.02)
    x2 = tone_clip([500, 1000, 2000], amplitude=0.05, noise=0.01)
    assert explain(band, x2).size == band.minimum_size(x2) > 0
    for fill in ("smoothed-magnitude", "envelope-noise"):
        e = explain(band, x2, fill=fill)
        assert e.size == 0 and e.floor_label == "band"


@pytest.mark.parametrize("fill", NON_SILENT)
def test_a_fill_gives_the_same_explanation_at_every_batch_size(fill):
    m, x = conjunction(4, 4000, seed=2)
    ref = explain(m, x, seed=1, fill=fill, fill_seed=5, batch_size=64, contrastive=True)
    for b in (1, 7):
        e = explain(m, x, seed=1, fill=fill, fill_seed=5, batch_size=b, contrastive=True)
        assert e.same_result(ref)


@pytest.mark.parametrize("model,clip,opts", [
    (lambda: StandOutClassifier(1000, silent_class=False), stand_out_clip, {}),
    (lambda: SoftmaxClassifier([300, 1000, 2500]), lambda: tone_clip([300, 1000, 2500], 16000, 0.1),
     {"contrastive": True, "complete": True}),
    (lambda: conjunction(5, 6000, seed=1)[0], lambda: conjunction(5, 6000, seed=1)[1],
     {"resolution_hz": 40.0, "robustness": "check"}),
])
def test_zero_fill_reproduces_the_explanations_of_the_old_masking(monkeypatch, model, clip, opts):
    new = explain(model(), clip(), seed=2, **opts)
    assert explain(model(), clip(), seed=2, fill="zero", **opts).same_result(new)
    monkeypatch.setattr(evaluator_module, "synthesise", _old_synthesise)
    old = explain(model(), clip(), seed=2, **opts)
    assert new.same_result(old) and np.array_equal(new.responsibility, old.responsibility)
    assert new.sufficient_confidence == old.sufficient_confidence and new.silence_label == old.silence_label


# ---- recorded, keyed, validated ------------------------------------------------------------------------
def test_the_fill_is_recorded_and_survives_json(tmp_path):
    x = stand_out_clip()
    e = explain(StandOutClassifier(1000), x, fill="envelope-noise", fill_seed=4)
    back = Explanation.from_json(e.to_json())
    assert back.fill == "envelope-noise" and back.fill_seed == 4 and back.same_result(e)
    assert back.options["fill"] == "envelope-noise" and e.summary()["fill"] == "envelope-noise"
    assert np.array_equal(back.sufficient_signal, keep_bins(x, e.keep, fill="envelope-noise", fill_seed=4))
    old = e.to_dict()
    del old["fill"], old["fill_seed"]  # JSON written before fills existed
    assert Explanation.from_dict(json.loads(json.dumps(old))).fill == "zero"


def test_the_fill_is_part_of_every_cache_key():
    keys = {f: explanation_key("suffice", resolve_options("suffice", {"fill": f}), "m", "d", 0) for f in FILLS}
    assert len({json.dumps(k, sort_keys=True) for k in keys.values()}) == len(FILLS)
    seeded = explanation_key("suffice", resolve_options("suffice", {"fill": "level-noise", "fill_seed": 1}), "m", "d", 0)
    assert seeded != keys["level-noise"]
    assert keys["zero"] == explanation_key("suffice", resolve_options("suffice", {}), "m", "d", 0)
    x = stand_out_clip()
    zero = explain(StandOutClassifier(1000), x)
    part, signal = floor_of(zero)
    assert part == {"n_samples": len(x)} and not signal.any()  # silence: keyed on the length, as before
    part, signal = floor_of(explain(StandOutClassifier(1000), x, fill="smoothed-magnitude"))
    assert part["fill"] == "smoothed-magnitude" and np.array_equal(signal, floor_signal(x, fill="smoothed-magnitude"))
    # flips: the zero fill's options (and keys) are those of before; a non-silent fill is in them
    assert "fill" not in resolve_flip_options({}) and "fill" not in resolve_flip_options({"fill": "zero"})
    assert resolve_flip_options({"fill": "level-noise"})["fill"] == "level-noise"


@pytest.mark.parametrize("opts,word", [({"fill": "pink"}, "fill"), ({"fill": 0}, "fill"),
                                       ({"fill_seed": -1}, "fill_seed"), ({"fill_seed": "a"}, "fill_seed")])
def test_a_bad_fill_is_refused_in_one_line(opts, word):
    with pytest.raises(OptionError) as info:
        explain(StandOutClassifier(10), stand_out_clip(2000, b=10), **opts)
    assert word in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(OptionError):
        flip(StandOutClassifier(10), stand_out_clip(2000, b=10), **opts)


def test_a_flip_under_a_fill_removes_into_the_fill():
    x = stand_out_clip()
    m = StandOutClassifier(1000, silent_class=False)
    zero = flip(m, x, max_calls=300)
    assert zero.found and list(zero.removed) == [1000] and "fill" not in zero.options
    f = flip(m, x, fill="smoothed-magnitude", max_calls=300)
    assert f.options["fill"] == "smoothed-magnitude" and f.options["fill_seed"] == 0
    # the removed tone bin takes the clip's smoothed level there, which still stands out: no single-bin flip
    assert not (f.found and f.size == 1)
    y = keep_bins(x, zero.keep, fill="smoothed-magnitude")
    assert m.labels[int(np.argmax(m.predict_proba(y[None])[0]))] == "stands out"
    if f.found:
        assert np.array_equal(f.flipped_signal, keep_bins(x, f.keep, fill="smoothed-magnitude"))


def test_the_command_line_takes_a_fill(tmp_path, capsys):
    p = tmp_path / "clip.wav"
    sf.write(p, tone_clip([440, 1000], 16000, [0.05, 0.3], noise=0.001), 16000)
    assert main(["explain", str(p), "--model", "toy/tones:440", "--json", "--fill", "smoothed-magnitude",
                 "--fill-seed", "2"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["fill"] == "smoothed-magnitude" and s["fill_seed"] == 2 and s["size"] == 1
    assert main(["explain", str(p), "--model", "toy/tones:440", "--fill", "pink"]) == 2
    assert "fill" in capsys.readouterr().err


# ---- the study ------------------------------------------------------------------------------------------
def test_a_study_under_a_fill_records_it_and_judges_each_clips_floor(tmp_path):
    import _hostile_models as hm
    from suffice.study import clips_from_arrays, run
    from suffice.study.run import check_strategy_options
    clips = clips_from_arrays(hm.clip_items(3), 16000)[0]
    res = run("deepfake", hm.models(), clips, {"fill": "level-noise"}, cache_dir=tmp_path, progress=False)
    t, ex = res.table, res.explanations
    assert (t.fill == "level-noise").all() and (ex.fill == "level-noise").all()
    for g in hm.models():
        for c in clips:
            floor = g.labels[int(np.argmax(g.predict_proba(floor_signal(c.waveform, fill="level-noise")[None])[0]))]
            assert (t[(t.target == g.name) & (t.clip_id == c.clip_id)].target_pred_silence == floor).all()
    zero = run("deepfake", hm.models(), clips, cache_dir=tmp_path, progress=False)
    assert (zero.table.fill == "zero").all() and (zero.table.target_pred_silence == "spoof").all()
    with pytest.raises(OptionError) as info:
        check_strategy_options("suffice", {"fill": "pink"})
    assert "fill" in str(info.value) and "\n" not in str(info.value)
