"""Robustness of a sufficient set (suffice.renderings, issue #40): its margin and whether its class
survives float64 synthesis, 24- and 16-bit PCM and a little noise, with analytic models built to fail
one rendering each, at several batch sizes; and the CLI says when a saved file changes the answer."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from suffice import explain
from suffice.masking import keep_bins
from suffice.renderings import RENDERINGS, margin, pcm_round_trip, render
from suffice.errors import OptionError
from suffice.toys import (FloorClassifier, KnifeEdgeClassifier, QuantisedClassifier, RegionsClassifier,
                          ToneClassifier, tone_clip)

SR = 16000


def test_renderings_are_what_a_file_on_disk_holds(tmp_path):
    x = tone_clip([440, 1000], amplitude=0.3, noise=0.01)
    keep = np.zeros(len(x) // 2 + 1, bool)
    keep[[440, 1000]] = True
    for kind, subtype in (("pcm16", "PCM_16"), ("pcm24", "PCM_24")):
        path = tmp_path / f"{kind}.wav"
        from suffice.masking import keep_bins
        sf.write(path, keep_bins(x, keep), SR, subtype=subtype)
        on_disk, _ = sf.read(path, dtype="float32")
        assert np.array_equal(render(x, keep, kind, SR), on_disk)
    f64 = render(x, keep, "float64", SR)
    assert 0 < np.max(np.abs(f64 - render(x, keep, "pcm24", SR))) < 1e-6
    assert margin(np.array([0.5, 0.3, 0.2]), 0) == pytest.approx(0.2) and margin(np.array([0.2, 0.8]), 0) < 0
    with pytest.raises(ValueError, match="unknown rendering"):
        render(x, keep, "mp3", SR)


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_a_robust_set_and_two_knife_edges(batch_size):
    x = tone_clip([440, 1000], amplitude=0.2)
    ok = explain(ToneClassifier(freqs=[440, 1000]), x, seed=0, batch_size=batch_size, robustness="check")
    assert ok.robust is True and ok.margin > 0.5 and set(ok.renderings) == set(RENDERINGS)
    quant = explain(QuantisedClassifier(), tone_clip([440], amplitude=0.2, noise=0.01), seed=0,
                    batch_size=batch_size, robustness="check")
    assert quant.found and quant.robust is False and quant.renderings["pcm16"] == "pcm16"
    assert quant.renderings["float64"] == "float"
    floor = explain(FloorClassifier(400, 500), tone_clip([440], amplitude=0.9), seed=0, batch_size=batch_size,
                    robustness="check")
    assert floor.found and floor.robust is False
    assert floor.renderings == {"float64": "clean", "pcm24": "clean", "pcm16": "clean", "noise": "other"}
    assert quant.repaired_bins == 0 and floor.repaired_bins == 0  # "check" records, never repairs
    # the check costs len(RENDERINGS) calls, counted; off (the default) the search is the same
    off = explain(ToneClassifier(freqs=[440, 1000]), x, seed=0, batch_size=batch_size)
    assert off.robust is None and off.margin is None and np.array_equal(off.keep, ok.keep)
    assert ok.check_calls == len(RENDERINGS) and ok.n_model_calls == off.n_model_calls + len(RENDERINGS)
    # a fixed max_calls covers the check: it runs only when it fits
    tight = explain(ToneClassifier(freqs=[440, 1000]), x, seed=0, batch_size=batch_size, robustness="check",
                    max_calls=off.n_model_calls)
    assert tight.robust is None and tight.n_model_calls <= off.n_model_calls and tight.budget_exhausted


@pytest.mark.parametrize("n_samples", [16000, 24000])
@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_repair_grows_a_knife_edge_set_until_it_is_robust(batch_size, n_samples):
    # two tones (at bins 440 and 1000) of RMS 0.141 each: one bin passes in float synthesis, its 16-bit copy needs RMS >= 0.17
    x = tone_clip([440, 1000], n_samples=n_samples, amplitude=0.2)
    model = KnifeEdgeClassifier(level=0.17)
    checked = explain(model, x, seed=0, batch_size=batch_size, robustness="check")
    assert checked.found and checked.robust is False and checked.renderings["pcm16"] == "pcm16"
    fixed = explain(model, x, seed=0, batch_size=batch_size, robustness="repair")
    assert fixed.robust is True and fixed.repaired_bins >= 1
    # the repaired set was pruned to 1-minimal under robust acceptance: no bin of it can go, checked
    # independently (each removal loses the class in float synthesis or in its 16-bit copy)
    assert fixed.verified_minimal
    for b in np.flatnonzero(fixed.keep):
        less = fixed.keep.copy()
        less[b] = False
        waves = [keep_bins(x, less)] + [render(x, less, r, SR) for r in RENDERINGS]
        labels = {model.labels[int(np.argmax(p))] for p in model.predict_proba(np.stack(waves))}
        assert labels != {"float"}
    assert np.all(fixed.keep[checked.keep]) and fixed.size == checked.size + fixed.repaired_bins
    assert set(fixed.renderings.values()) == {"float"} and fixed.margin > 0
    # the repaired signal, saved as 16-bit PCM, still gives the model's class
    saved = render(x, fixed.keep, "pcm16", SR)
    assert model.labels[int(np.argmax(model.predict_proba(saved[None])[0]))] == "float"
    assert fixed.n_model_calls == checked.n_model_calls + fixed.check_calls - checked.check_calls
    # both tones are needed: the repair added the other one, by the search's ranking then energy
    assert fixed.keep[[440, 1000]].all()  # tone_clip places its tones at these bins at any length


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_a_set_no_repair_can_save_is_reported_not_robust(batch_size):
    # every 16-bit copy of every set loses the class: the search's set is kept and said not robust
    x = tone_clip([440], amplitude=0.2, noise=0.01)
    e = explain(QuantisedClassifier(), x, seed=0, batch_size=batch_size, robustness="repair")
    plain = explain(QuantisedClassifier(), x, seed=0, batch_size=batch_size, robustness="check")
    assert e.found and e.robust is False and e.repaired_bins == 0 and np.array_equal(e.keep, plain.keep)
    assert e.check_calls > plain.check_calls and "not robust" in repr(e)
    # a budget too small for the repair ends it, said as budget_exhausted, never as robust
    cut = explain(QuantisedClassifier(), x, seed=0, batch_size=batch_size, robustness="repair",
                  max_calls=plain.n_model_calls + 2)
    assert cut.robust is False and cut.budget_exhausted and cut.n_model_calls <= plain.n_model_calls + 2


def test_repair_is_the_same_at_every_batch_size():
    x = tone_clip([440, 1000, 1500], amplitude=[0.2, 0.15, 0.1], noise=0.005)
    runs = [explain(KnifeEdgeClassifier(level=0.16), x, seed=3, batch_size=b, robustness="repair") for b in (1, 5, 64)]
    assert all(runs[0].same_result(r) and r.margin == runs[0].margin for r in runs[1:])


@pytest.mark.parametrize("batch_size", [1, 7])
def test_min_margin_keeps_the_target_clear_of_the_next_class(batch_size):
    # a model that needs half the power of two regions: a minimal set sits just past the boundary
    x = np.random.default_rng(0).normal(0.0, 0.1, 4000).astype(np.float32)
    model = RegionsClassifier([(300, 400), (1000, 1100)], x, share=0.5)
    loose = explain(model, x, seed=0, batch_size=batch_size, robustness="check")
    strict = explain(model, x, seed=0, batch_size=batch_size, robustness="check", min_margin=0.5)
    assert strict.found and strict.verified_minimal and strict.margin >= 0.5 > loose.margin
    assert strict.size > loose.size
    with pytest.raises(OptionError, match="min_margin"):
        explain(model, x, min_margin=1.5)
    with pytest.raises(OptionError, match="robustness"):
        explain(model, x, robustness="maybe")
    with pytest.raises(OptionError, match="own rule"):
        explain(model, x, strategy="rex", min_margin=0.1)


def test_the_robust_result_does_not_depend_on_the_batch_size():
    x = tone_clip([440], amplitude=0.2, noise=0.01)
    runs = [explain(QuantisedClassifier(), x, seed=1, batch_size=b, robustness="check") for b in (1, 7, 64)]
    assert len({(r.robust, r.margin, tuple(sorted(r.renderings.items()))) for r in runs}) == 1


def test_the_cli_says_when_the_saved_file_changes_the_answer(tmp_path, capsys):
    from suffice.cli import main
    clip = tmp_path / "clip.wav"
    sf.write(clip, tone_clip([440, 1000], amplitude=0.2), SR, subtype="FLOAT")
    assert main(["explain", str(clip), "--model", "toy/tones:440,1000", "--out", str(tmp_path / "s.flac")]) == 0
    out = capsys.readouterr().out
    assert "robust          yes" in out and "changes the model's answer" not in out


def test_the_cli_warns_when_a_16_bit_file_is_not_what_the_model_heard(tmp_path, capsys, monkeypatch):
    import suffice.cli.outputs as outputs
    from suffice.cli import main
    from suffice.models import resolve
    monkeypatch.setitem(outputs.AUDIO_FORMATS, ".wav", ("WAV", "PCM_16"))  # a player's 16-bit copy
    real = resolve.resolve_model
    monkeypatch.setattr(resolve, "resolve_model", lambda name, *a, **k: QuantisedClassifier()
                        if name == "toy/quantised" else real(name, *a, **k))
    clip = tmp_path / "clip.wav"
    sf.write(clip, tone_clip([440], amplitude=0.2, noise=0.01), SR, subtype="FLOAT")
    assert main(["explain", str(clip), "--model", "toy/quantised", "--out", str(tmp_path / "s.wav")]) == 0
    out = capsys.readouterr().out
    assert "robust          no" in out and "pcm16" in out
    assert "the saved file (WAV PCM_16) changes the model's answer: 'pcm16', not 'float'" in out
