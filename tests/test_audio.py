"""Input handling (suffice.audio): every bad input gets a clear error or a documented, tested handling;
good input comes out mono at the model rate.

Files: truncated, corrupt, wrong extension, zero-length, all-zero, NaN/inf, clipped, DC-only, very
short, 8/16/24/32-bit, float, µ-law, stereo and 6/8 channels, 8 to 96 kHz.  Arrays: odd shapes and
types, integer PCM, nonsense rates.  Clips over the length limit (suffice.audio.MAX_DURATION_S).
"""
from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

import suffice
from suffice import AudioError, load_audio, prepare_waveform, validate_waveform
from suffice.study import clips_from_arrays, run
from suffice.toys import BandEnergyClassifier, ToneClassifier, tone_clip

import _hostile_models as hm

SR = 16000


def _tone(rate: int = SR, seconds: float = 1.0, freq: float = 440.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def _peak_hz(x: np.ndarray) -> float:
    return float(np.argmax(np.abs(np.fft.rfft(x)))) * SR / len(x)


def _wav(tmp_path, name="a.wav", x=None, rate=SR, **kw):
    p = tmp_path / name
    sf.write(p, _tone() if x is None else x, rate, **kw)
    return p


# ---- files ---------------------------------------------------------------------------------------
def test_reads_stereo_and_resamples(tmp_path):
    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 440 * t)], axis=1)
    p = tmp_path / "stereo.wav"
    sf.write(p, stereo, 44100, subtype="PCM_24")
    x = load_audio(p, 16000)
    assert x.ndim == 1 and x.dtype == np.float32 and abs(len(x) - 16000) <= 1
    peak_freq = np.argmax(np.abs(np.fft.rfft(x))) * 16000 / len(x)
    assert abs(peak_freq - 440) < 2


def test_missing_empty_and_folder(tmp_path):
    with pytest.raises(AudioError, match="no such audio file"):
        load_audio(tmp_path / "nope.wav")
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0), 16000)
    with pytest.raises(AudioError, match="empty"):
        load_audio(empty)
    with pytest.raises(AudioError, match="folder"):
        load_audio(tmp_path)


@pytest.mark.parametrize("cut", [30, 44, 46, 16022])
def test_truncated_wav_is_refused(tmp_path, cut):
    """Cut in the header (unreadable) or in the data (libsndfile would read half a clip: we refuse)."""
    p = _wav(tmp_path)
    p.write_bytes(p.read_bytes()[:cut])
    with pytest.raises(AudioError, match="truncated|cannot read"):
        load_audio(p)


@pytest.mark.parametrize("fmt,ext", [("FLAC", "flac"), ("OGG", "ogg")])
def test_truncated_compressed_file_is_refused(tmp_path, fmt, ext):
    p = _wav(tmp_path, f"a.{ext}", format=fmt)
    data = p.read_bytes()
    p.write_bytes(data[:len(data) // 2])
    with pytest.raises(AudioError, match="cannot read"):
        load_audio(p)


def test_streamed_wav_without_size_is_read(tmp_path):
    """A WAV whose data size field was left 0xFFFFFFFF (streaming writers) is not called truncated."""
    p = _wav(tmp_path)
    b = bytearray(p.read_bytes())
    i = b.index(b"data")
    b[i + 4:i + 8] = (0xFFFFFFFF).to_bytes(4, "little")
    p.write_bytes(bytes(b))
    assert suffice.audio.wav_truncation(p) is None


@pytest.mark.parametrize("payload", [b"", os.urandom(4096), b"this is not audio\n" * 50,
                                     b"RIFF\x00\x00\x00\x00WAVEfmt "])
def test_garbage_and_zero_length_files(tmp_path, payload):
    p = tmp_path / "x.wav"
    p.write_bytes(payload)
    with pytest.raises(AudioError, match="cannot read|truncated"):
        load_audio(p)


def test_corrupt_pcm_samples_are_read_as_they_are(tmp_path):
    """Documented: PCM has no checksum, so overwritten samples are read (as noise), not detected."""
    p = _wav(tmp_path)
    b = bytearray(p.read_bytes())
    b[1000:3000] = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    p.write_bytes(bytes(b))
    x = load_audio(p)
    assert len(x) == SR and np.isfinite(x).all()


@pytest.mark.parametrize("fmt,name", [("FLAC", "flac-named.wav"), ("WAV", "wav-named.mp3"),
                                      ("WAV", "wav-named.flac"), ("WAV", "no-extension"),
                                      ("OGG", "vorbis.ogg")])
def test_format_comes_from_content_not_extension(tmp_path, fmt, name):
    x = load_audio(_wav(tmp_path, name, format=fmt))
    assert len(x) == SR and abs(_peak_hz(x) - 440) < 2


@pytest.mark.parametrize("x,subtype,msg", [
    (np.zeros(SR), "PCM_16", "silent"),
    (np.full(SR, np.nan), "FLOAT", "NaN or infinite"),
    (np.r_[_tone()[:100], np.inf, _tone()[:100]], "FLOAT", "NaN or infinite"),
    (np.r_[_tone()[:100], -np.inf], "DOUBLE", "NaN or infinite"),
    (_tone()[:1], "PCM_16", "too short"),
    (_tone()[:799], "PCM_16", "too short"),
])
def test_bad_sample_values_in_files(tmp_path, x, subtype, msg):
    with pytest.raises(AudioError, match=msg):
        load_audio(_wav(tmp_path, x=x, subtype=subtype))


def test_shortest_accepted_clip_is_50_ms(tmp_path):
    assert len(load_audio(_wav(tmp_path, x=_tone()[:800]))) == 800


def test_clipped_and_overrange_audio_is_kept_as_is(tmp_path):
    """Documented: clipping is not repaired and float data above 1.0 is not rescaled."""
    clipped = load_audio(_wav(tmp_path, "c.wav", x=np.clip(5 * _tone(), -1, 1)))
    assert np.abs(clipped).max() == pytest.approx(1.0, abs=1e-4)
    over = load_audio(_wav(tmp_path, "o.wav", x=5 * _tone(), subtype="FLOAT"))
    assert np.abs(over).max() == pytest.approx(1.5, rel=1e-5)


def test_dc_only_clip_is_accepted_and_explained(tmp_path):
    x = load_audio(_wav(tmp_path, x=np.full(SR, 0.5)))
    assert np.allclose(x, 0.5, atol=1e-3)
    e = suffice.explain(BandEnergyClassifier(0, 50, 0.1), x)
    assert e.found and np.flatnonzero(e.keep).tolist() == [0]  # all the energy is in bin 0


@pytest.mark.parametrize("subtype,tol", [("PCM_U8", 1e-2), ("PCM_16", 1e-4), ("PCM_24", 1e-6),
                                         ("PCM_32", 1e-6), ("FLOAT", 1e-6), ("DOUBLE", 1e-6),
                                         ("ULAW", 3e-2), ("ALAW", 3e-2)])
def test_sample_formats(tmp_path, subtype, tol):
    x = load_audio(_wav(tmp_path, subtype=subtype))
    assert x.dtype == np.float32 and len(x) == SR
    assert np.abs(x - _tone()).max() < tol


@pytest.mark.parametrize("channels", [2, 6, 8])
def test_multichannel_is_down_mixed_by_mean(tmp_path, channels):
    gains = np.linspace(1.0, 0.2, channels)
    x = load_audio(_wav(tmp_path, x=_tone()[:, None] * gains[None], subtype="FLOAT"))
    assert x.shape == (SR,)
    assert np.allclose(x, _tone() * gains.mean(), atol=1e-5)


def test_antiphase_stereo_cancels_to_silence(tmp_path):
    """Documented hazard of the mean down-mix: channels in antiphase cancel, and the clip is silent."""
    with pytest.raises(AudioError, match="silent"):
        load_audio(_wav(tmp_path, x=np.stack([_tone(), -_tone()], 1), subtype="FLOAT"))


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 44100, 48000, 96000])
def test_sample_rates_are_resampled_to_16k(tmp_path, rate):
    x = load_audio(_wav(tmp_path, x=_tone(rate), rate=rate))
    assert abs(len(x) - SR) <= 1 and abs(_peak_hz(x) - 440) < 2


def test_a_tiny_file_sample_rate_is_read_and_resampled(tmp_path):
    """Documented: any positive rate in the header is honoured (7 Hz: 100 samples become ~228,572)."""
    x = load_audio(_wav(tmp_path, x=_tone()[:100], rate=7))
    assert len(x) == pytest.approx(100 * SR / 7, abs=2)


# ---- arrays --------------------------------------------------------------------------------------
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


@pytest.mark.parametrize("x,msg", [
    (np.zeros((0, 2)), "empty"),
    (np.ones((4, 4, 4)), "dimensions"),
    (np.array([1 + 1j] * SR), "real-valued"),
    (np.array(["a"] * SR), "real-valued"),
    (np.array([None] * SR), "real-valued"),
])
def test_prepare_rejects_odd_arrays(x, msg):
    with pytest.raises(AudioError, match=msg):
        suffice.prepare_waveform(x, SR, SR)


@pytest.mark.parametrize("rate", [0, -16000, 44100.5, "44100", None])
def test_nonsense_sample_rates_are_refused(rate):
    with pytest.raises(AudioError, match="positive integer"):
        suffice.prepare_waveform(_tone(), rate, SR)


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
    x = tone_clip([440, 1000], 16000, [0.2, 0.05])
    as_int = np.round(x * 32768).clip(-32768, 32767).astype(np.int16)
    m = BandEnergyClassifier(300, 3000, min_rms=0.1)   # 440 Hz alone passes; 1000 Hz alone does not
    a, b = explain(m, as_int, seed=0), explain(m, as_int.astype(np.float32) / 32768, seed=0)
    assert a.target == b.target and np.array_equal(a.keep, b.keep)


# ---- extremely long clips: a documented limit (suffice.audio.MAX_DURATION_S) ---------------------
TEN_MINUTES = 600 * SR


def test_ten_minute_clip_is_refused_clearly_everywhere(tmp_path):
    x = np.random.default_rng(0).normal(0, 0.1, TEN_MINUTES).astype(np.float32)
    with pytest.raises(AudioError, match=r"too long: 600\.0 s; the limit is 120 s"):
        suffice.validate_waveform(x, SR)
    with pytest.raises(AudioError, match="too long"):
        suffice.explain(BandEnergyClassifier(300, 3000), x)
    with pytest.raises(AudioError, match="too long"):  # judged before resampling 28.8 M samples
        suffice.prepare_waveform(np.zeros((600 * 48000, 2), np.float32), 48000, SR)
    p = tmp_path / "long.wav"
    sf.write(p, x, SR, subtype="PCM_16")
    with pytest.raises(AudioError, match="too long"):  # judged from the header, before reading
        load_audio(p)
    clips, failures = clips_from_arrays([("long", x, "bonafide")] + hm.clip_items(1), SR)
    res = run("deepfake", hm.models()[:1], clips, cache_dir=tmp_path / "c", failures=failures, progress=False)
    assert res.failures.reason.str.contains("too long").any() and set(res.table.clip_id) == {"c0"}


def test_the_limit_can_be_raised_knowingly(monkeypatch):
    x = np.random.default_rng(0).normal(0, 0.1, 130 * SR).astype(np.float32)
    assert len(suffice.validate_waveform(x, SR, max_duration=np.inf)) == 130 * SR
    monkeypatch.setattr(suffice.audio, "MAX_DURATION_S", None)
    assert len(suffice.validate_waveform(x, SR)) == 130 * SR
    assert len(suffice.validate_waveform(x[:120 * SR], SR, max_duration=120)) == 120 * SR


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
