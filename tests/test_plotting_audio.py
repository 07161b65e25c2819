"""suffice.plotting.audio: .wav players referenced by relative path, and the explanation figures."""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402

import suffice  # noqa: E402
from suffice.errors import AudioError, SufficeError  # noqa: E402
from suffice.toys import ToneClassifier, tone_clip  # noqa: E402
from suffice.plotting import audio as pa  # noqa: E402

N = 4000  # 0.25 s at 16 kHz
TONE_BINS = [40, 100, 300]


@pytest.fixture(scope="module")
def explanation():
    x = tone_clip(TONE_BINS + [20, 500], n_samples=N, amplitude=[0.05, 0.05, 0.05, 0.2, 0.2], noise=0.002)
    return suffice.explain(ToneClassifier(TONE_BINS), x, seed=0, contrastive=True, complete=True)


def _srcs(html: str) -> list[str]:
    return re.findall(r"<audio[^>]*src='([^']+)'", html)


def test_write_wav_round_trip_keeps_level(tmp_path):
    x = 0.25 * np.sin(2 * np.pi * 440 * np.arange(1600) / 16000)
    p = pa.write_wav(tmp_path / "a" / "x.wav", x, 16000)
    y, sr = sf.read(p)
    info = sf.info(p)
    assert sr == 16000 and info.subtype == "PCM_16" and info.channels == 1
    np.testing.assert_allclose(y, x, atol=1 / 32767)


def test_write_wav_scales_only_what_would_clip(tmp_path):
    y, _ = sf.read(pa.write_wav(tmp_path / "loud.wav", np.array([0.0, 2.0, -4.0]), 8000))
    np.testing.assert_allclose(y, [0.0, 0.5, -1.0], atol=1e-4)


@pytest.mark.parametrize("bad", [np.array([0.0, np.nan]), np.zeros((2, 3)), np.zeros(0)])
def test_write_wav_rejects_bad_waveforms(tmp_path, bad):
    with pytest.raises(AudioError):
        pa.write_wav(tmp_path / "bad.wav", bad, 16000)


def test_players_write_files_and_reference_them_relatively(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(pa.AUDIO_DIR_ENV, "audio/run1")
    html = pa.audio_players({"original": np.zeros(800), "Sufficient (3 bins)": np.ones(800) * 0.1}, 16000,
                            name="Clip A").data
    srcs = _srcs(html)
    assert srcs == ["audio/run1/clip-a-original.wav", "audio/run1/clip-a-sufficient-3-bins.wav"]
    for s in srcs:
        assert (tmp_path / s).is_file() and sf.info(tmp_path / s).frames == 800
    assert "base64" not in html and "0.05 s" in html


def test_players_embed_without_an_audio_folder(monkeypatch):
    monkeypatch.delenv(pa.AUDIO_DIR_ENV, raising=False)
    html = pa.audio_players({"x": np.zeros(160)}, 16000, name="n").data
    assert _srcs(html)[0].startswith("data:audio/wav;base64,")
    with pytest.raises(SufficeError):
        pa.audio_players({}, 16000, name="n")


def test_explanation_players(tmp_path, explanation):
    e = explanation
    html = pa.explanation_players(e, name="tones", audio_dir=tmp_path, listening_copy=False).data
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files[0] == "tones-original.wav" and any(f.startswith("tones-sufficient-3-of") for f in files)
    # the necessary set equals the sufficient one here, so it gets no second player
    assert len(_srcs(html)) == len(files) == 2 + (not np.array_equal(e.complete_keep, e.keep))
    y, _ = sf.read(tmp_path / [f for f in files if "sufficient" in f][0])
    np.testing.assert_allclose(y, e.sufficient_signal, atol=1 / 32767)


def test_the_sufficient_player_holds_what_the_model_heard_and_a_labelled_listening_copy(tmp_path):
    from suffice.renderings import render
    x = tone_clip(TONE_BINS + [20, 500], n_samples=N, amplitude=[0.01, 0.01, 0.01, 0.2, 0.2], noise=0.002)
    e = suffice.explain(ToneClassifier(TONE_BINS, min_amplitude=0.005), x, seed=0, robustness="check")
    html = pa.explanation_players(e, name="quiet", audio_dir=tmp_path).data
    assert f"the model&#x27;s class on this file: {e.renderings['pcm16']}" in html and "for listening" in html
    files = {p.name: p for p in tmp_path.iterdir()}
    suff = next(p for n, p in files.items() if n.startswith("quiet-sufficient-3") and "listening" not in n)
    played, _ = sf.read(suff, dtype="float32")
    assert np.array_equal(played, render(x, e.keep, "pcm16", 16000))  # the 16-bit file the check judged
    loud = next(p for n, p in files.items() if "listening" in n)
    rms = lambda a: float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))
    assert rms(sf.read(loud)[0]) == pytest.approx(rms(x), rel=0.01) and rms(played) < rms(x) / 10
    assert np.array_equal(pa.level_matched(np.zeros(8), x), np.zeros(8))


def test_spectrum_marks_exactly_the_kept_bins(explanation):
    e = explanation
    ax = pa.plot_spectrum(e)
    (kept,) = ax.collections
    hz = kept.get_offsets()[:, 0]
    np.testing.assert_allclose(np.sort(hz), np.array(TONE_BINS) * 16000 / N)
    assert np.array_equal(np.flatnonzero(e.keep), TONE_BINS)
    plt.close("all")


def test_responsibility_and_signal_figures(explanation):
    e = explanation
    ax = pa.plot_responsibility(e)
    assert ax.get_ylabel() == "responsibility" and str(e.n_model_calls) in ax.get_title()
    fig = pa.plot_signals(e)
    waves = [a.lines[0].get_ydata() for a in fig.axes[:2]]
    np.testing.assert_allclose(waves[0], e.waveform, rtol=1e-6)
    np.testing.assert_allclose(waves[1], e.sufficient_signal, rtol=1e-5, atol=1e-7)
    assert len(fig.axes) == 5  # two waveforms, two spectrograms, one colour bar
    plt.close("all")
