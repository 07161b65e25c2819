"""Robustness of a sufficient set (suffice.renderings, issue #40): its margin and whether its class
survives float64 synthesis, 24- and 16-bit PCM and a little noise, with analytic models built to fail
one rendering each, at several batch sizes; and the CLI says when a saved file changes the answer."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from suffice import explain
from suffice.renderings import RENDERINGS, margin, pcm_round_trip, render
from suffice.toys import FloorClassifier, QuantisedClassifier, ToneClassifier, tone_clip

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
    ok = explain(ToneClassifier(freqs=[440, 1000]), x, seed=0, batch_size=batch_size, check_renderings=True)
    assert ok.robust is True and ok.margin > 0.5 and set(ok.renderings) == set(RENDERINGS)
    quant = explain(QuantisedClassifier(), tone_clip([440], amplitude=0.2, noise=0.01), seed=0,
                    batch_size=batch_size, check_renderings=True)
    assert quant.found and quant.robust is False and quant.renderings["pcm16"] == "pcm16"
    assert quant.renderings["float64"] == "float"
    floor = explain(FloorClassifier(400, 500), tone_clip([440], amplitude=0.9), seed=0, batch_size=batch_size,
                    check_renderings=True)
    assert floor.found and floor.robust is False
    assert floor.renderings == {"float64": "clean", "pcm24": "clean", "pcm16": "clean", "noise": "other"}
    # the check costs len(RENDERINGS) calls, counted; off (the default) the search is the same
    off = explain(ToneClassifier(freqs=[440, 1000]), x, seed=0, batch_size=batch_size)
    assert off.robust is None and off.margin is None and np.array_equal(off.keep, ok.keep)
    assert ok.check_calls == len(RENDERINGS) and ok.n_model_calls == off.n_model_calls + len(RENDERINGS)
    # a fixed max_calls covers the check: it runs only when it fits
    tight = explain(ToneClassifier(freqs=[440, 1000]), x, seed=0, batch_size=batch_size, check_renderings=True,
                    max_calls=off.n_model_calls)
    assert tight.robust is None and tight.n_model_calls <= off.n_model_calls


def test_the_robust_result_does_not_depend_on_the_batch_size():
    x = tone_clip([440], amplitude=0.2, noise=0.01)
    runs = [explain(QuantisedClassifier(), x, seed=1, batch_size=b, check_renderings=True) for b in (1, 7, 64)]
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
