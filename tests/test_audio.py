"""Input handling: every bad input gets a clear error; good input comes out mono at the model rate."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

import suffice
from suffice import AudioError, load_audio, prepare_waveform, validate_waveform
from suffice.toys import ToneClassifier, tone_clip


def test_reads_stereo_and_resamples(tmp_path):
    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 440 * t)], axis=1)
    p = tmp_path / "stereo.wav"
    sf.write(p, stereo, 44100, subtype="PCM_24")
    x = load_audio(p, 16000)
    assert x.ndim == 1 and x.dtype == np.float32 and abs(len(x) - 16000) <= 1
    peak_freq = np.argmax(np.abs(np.fft.rfft(x))) * 16000 / len(x)
    assert abs(peak_freq - 440) < 2


@pytest.mark.parametrize("rate,subtype", [(8000, "PCM_U8"), (22050, "PCM_16"), (48000, "FLOAT")])
def test_odd_rates_and_formats(tmp_path, rate, subtype):
    p = tmp_path / "a.wav"
    sf.write(p, 0.3 * np.sin(np.arange(rate) * 0.05), rate, subtype=subtype)
    x = load_audio(p, 16000)
    assert abs(len(x) - 16000) <= 1


def test_missing_unreadable_empty(tmp_path):
    with pytest.raises(AudioError, match="no such audio file"):
        load_audio(tmp_path / "nope.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....WAVEfmt garbage")
    with pytest.raises(AudioError, match="cannot read"):
        load_audio(bad)
    txt = tmp_path / "notes.wav"
    txt.write_text("this is not audio")
    with pytest.raises(AudioError, match="cannot read"):
        load_audio(txt)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0), 16000)
    with pytest.raises(AudioError, match="empty"):
        load_audio(empty)
    with pytest.raises(AudioError, match="folder"):
        load_audio(tmp_path)


def test_truncated_file(tmp_path):
    p = tmp_path / "t.wav"
    sf.write(p, 0.1 * np.ones(16000), 16000)
    data = p.read_bytes()
    p.write_bytes(data[:30])
    with pytest.raises(AudioError):
        load_audio(p)


@pytest.mark.parametrize("x,msg", [
    (np.zeros(0, np.float32), "empty"),
    (np.full(16000, np.nan, np.float32), "NaN"),
    (np.r_[np.ones(100), np.inf, np.ones(16000)].astype(np.float32), "NaN or infinite"),
    (np.zeros(16000, np.float32), "silent"),
    (np.ones(10, np.float32), "too short"),
    (np.ones((2, 16000), np.float32), "mono"),
    (np.array(["a"] * 2000), "real-valued"),
])
def test_validate_rejects(x, msg):
    with pytest.raises(AudioError, match=msg):
        validate_waveform(x, 16000)


def test_explain_rejects_bad_waveforms():
    m = ToneClassifier([10])
    for bad in (np.zeros(16000, np.float32), np.full(16000, np.nan, np.float32), np.ones(3, np.float32)):
        with pytest.raises(AudioError):
            suffice.explain(m, bad)


def test_explain_resamples_when_told_the_rate():
    x = tone_clip([1000], 48000, 0.2)  # 1 kHz: 1000 cycles in 1 s at 48 kHz
    m = ToneClassifier(freqs=[1000.0])
    e = suffice.explain(m, x, sample_rate=48000)
    assert len(e.waveform) == 16000 and e.found and e.target == "tones"


def test_prepare_channels_first():
    x = np.stack([np.ones(1600), -np.ones(1600)]) * 0.1 + np.sin(np.arange(1600))[None] * 0.1
    y = prepare_waveform(x, 16000, 16000, channels_last=False)
    assert y.shape == (1600,)
