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


def test_integer_samples_are_scaled_by_their_dtype_range():
    """int16 32767 is full scale (0.99997), not 32767.0; uint8 is centred on 128; bools are refused."""
    from suffice.audio import as_float
    x16 = np.array([0, 16384, -32768, 32767], np.int16)
    np.testing.assert_allclose(as_float(x16), [0.0, 0.5, -1.0, 32767 / 32768], rtol=0, atol=1e-7)
    x32 = np.array([2 ** 30, -(2 ** 31)], np.int32)
    np.testing.assert_allclose(as_float(x32), [0.5, -1.0], rtol=0, atol=1e-7)
    np.testing.assert_allclose(as_float(np.array([128, 0, 192], np.uint8)), [0.0, -1.0, 0.5], atol=1e-7)
    with pytest.raises(AudioError, match="real-valued"):
        as_float(np.array([True, False]))
    tone = (0.25 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000))
    as_int = np.round(tone * 32767).astype(np.int16)
    y = validate_waveform(as_int, 16000)
    assert y.dtype == np.float32 and abs(np.abs(y).max() - 0.25) < 1e-3


def test_an_int16_clip_is_explained_as_its_float_twin():
    """The same decision and set whether the clip comes as int16 PCM or as floats in [-1, 1)."""
    from suffice import explain
    from suffice.toys import BandEnergyClassifier
    x = tone_clip([440, 1000], 16000, [0.2, 0.05])
    as_int = np.round(x * 32768).clip(-32768, 32767).astype(np.int16)
    m = BandEnergyClassifier(300, 3000, min_rms=0.1)   # 440 Hz alone passes; 1000 Hz alone does not
    a, b = explain(m, as_int, seed=0), explain(m, as_int.astype(np.float32) / 32768, seed=0)
    assert a.target == b.target and np.array_equal(a.keep, b.keep)


def test_the_clip_length_limit_can_be_raised_for_a_block():
    from suffice.audio import MAX_DURATION_S, duration_limit
    x = 0.1 * np.ones(16000 * 3, np.float32)
    with duration_limit(2.0):
        with pytest.raises(AudioError, match="too long"):
            validate_waveform(x, 16000)
    with duration_limit(5.0):
        assert len(validate_waveform(x, 16000)) == len(x)
    import suffice.audio as audio
    assert audio.MAX_DURATION_S == MAX_DURATION_S


def test_concurrent_length_limits_never_leak_into_each_other():
    """Blocks in threads (a Dask worker's explanations) set and undo only their own limit."""
    import threading
    from suffice.audio import duration_limit
    x = 0.1 * np.ones(16000 * 3, np.float32)
    barrier = threading.Barrier(8)

    def block():
        with duration_limit(float("inf")):
            barrier.wait()
            validate_waveform(x, 16000, max_duration=None)
    threads = [threading.Thread(target=block) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with duration_limit(2.0):
        with pytest.raises(AudioError, match="too long"):
            validate_waveform(x, 16000)
    big = np.zeros(16000 * 121, np.float32)
    big[0] = 0.1
    with pytest.raises(AudioError, match="the limit is 120 s"):
        validate_waveform(big, 16000)
