"""Hostile input, one case at a time: each gets a clear error or a documented, tested handling.

Files: truncated, corrupt, wrong extension, zero-length, all-zero, NaN/inf, clipped, DC-only, very
short, 8/16/24/32-bit, float, µ-law, stereo and 6/8 channels, 8 to 96 kHz.  Models: NaN, wrong
shape, too few rows, negative scores, crashes.  Studies: bad clips and bad models recorded per
(model, clip) while everything else completes exactly as in a clean run; mismatched label sets and
bad parameter files refused before any work.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import suffice
from suffice import AudioError, OptionError, load_audio
from suffice.errors import ModelOutputError, SufficeError, UnknownNameError
from suffice.toys import BandEnergyClassifier
from suffice.study import Clip, clips_from_arrays, load_clips, load_params, run

import _hostile_models as hm

SR = 16000


def _tone(rate: int = SR, seconds: float = 1.0, freq: float = 440.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def _peak_hz(x: np.ndarray) -> float:
    return float(np.argmax(np.abs(np.fft.rfft(x)))) * SR / len(x)


# ---- files ------------------------------------------------------------------------------------
def _wav(tmp_path, name="a.wav", x=None, rate=SR, **kw):
    p = tmp_path / name
    sf.write(p, _tone() if x is None else x, rate, **kw)
    return p


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


# ---- arrays -----------------------------------------------------------------------------------
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


def test_integer_arrays_are_scaled_by_their_dtype_range():
    """Integer PCM is scaled by its dtype's range (int16 32767 -> 0.99997), as a sound file would be."""
    x = suffice.validate_waveform((_tone() * 32767).astype(np.int16), SR)
    assert x.dtype == np.float32 and np.abs(x).max() <= 1.0
    np.testing.assert_allclose(x, (_tone() * 32767).astype(np.int16) / 32768, atol=1e-6)


# ---- models that misbehave -------------------------------------------------------------------
@pytest.mark.parametrize("mode,msg", [("nan", "NaN"), ("shape", "shape"), ("short", "shape"),
                                      ("negative", "probabilities"), ("logits", "softmax"),
                                      ("strings", "not an array of numbers"), ("none", "shape")])
def test_bad_model_output_is_a_clear_error(mode, msg):
    m = hm.Poisoned("bad", mode)
    x = _tone().astype(np.float32)
    x[0] = 0.0625  # the poison marker
    with pytest.raises(ModelOutputError, match=msg):
        suffice.explain(m, x)


def test_model_crash_propagates_from_explain():
    m = hm.Poisoned("bad", "raise")
    x = _tone().astype(np.float32)
    x[0] = 0.0625
    with pytest.raises(RuntimeError, match="simulated model crash"):
        suffice.explain(m, x)


# ---- studies: one bad clip or model never stops the others -----------------------------------
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


def test_bad_clips_in_a_manifest_are_recorded_and_the_others_run(tmp_path):
    good = _wav(tmp_path, "good.wav", x=np.random.default_rng(0).normal(0, 0.2, SR))
    trunc = _wav(tmp_path, "trunc.wav")
    trunc.write_bytes(trunc.read_bytes()[:20000])
    silent = _wav(tmp_path, "silent.wav", x=np.zeros(SR))
    text = tmp_path / "text.wav"
    text.write_text("not audio")
    man = pd.DataFrame({"clip_id": ["good", "trunc", "silent", "text", "missing", "blank"],
                        "path": [good, trunc, silent, text, tmp_path / "missing.wav", None],
                        "label": ["bonafide"] * 6})
    clips, failures = load_clips(man, SR)
    assert [c.clip_id for c in clips] == ["good"]
    reasons = {f["clip_id"]: f["reason"] for f in failures}
    assert "truncated" in reasons["trunc"] and "silent" in reasons["silent"]
    assert "cannot read" in reasons["text"] and "no such audio file" in reasons["missing"]
    assert "cannot load" in reasons["blank"]
    res = run("deepfake", hm.models()[:2], clips, cache_dir=tmp_path / "c", failures=failures, progress=False)
    assert set(res.table.clip_id) == {"good"} and len(res.failures) == 5


def test_invalid_clip_objects_are_recorded(tmp_path):
    ok = hm.clip_items(1)[0]
    bad = [Clip("nan", np.full(8000, np.nan, np.float32)), Clip("short", np.ones(10, np.float32)),
           Clip("stereo", np.ones((8000, 2), np.float32))]
    clips, _ = clips_from_arrays([ok], SR)
    res = run("deepfake", hm.models()[:1], clips + bad, cache_dir=tmp_path, progress=False)
    assert set(res.failures.clip_id) == {"nan", "short", "stereo"} and set(res.failures.stage) == {"load"}
    assert set(res.table.clip_id) == {"c0"}


# ---- configuration mistakes stop the study before any work ------------------------------------
class _Model(hm.Relabelled):
    def __init__(self, name="m", labels=hm.LABELS, rate=SR):
        super().__init__(name, 100, 2000, 0.05)
        self.labels, self.sample_rate = tuple(labels), rate


@pytest.mark.parametrize("models,msg", [
    ([_Model(labels=("real", "fake"))], "outside the 'deepfake' vocabulary"),
    ([_Model(labels=("spoof", "spoof"))], "duplicate labels"),
    ([_Model(labels=())], "no labels"),
    ([_Model("a"), _Model("b", rate=22050)], "one sample rate"),
    ([_Model("a"), _Model("a")], "unique"),
    ([], "at least one model"),
])
def test_mismatched_models_are_refused(tmp_path, models, msg):
    clips, _ = clips_from_arrays(hm.clip_items(1), SR)
    with pytest.raises(OptionError, match=msg):
        run("deepfake", models, clips, cache_dir=tmp_path, progress=False)
    assert not list(tmp_path.rglob("*.json"))  # nothing computed


def test_label_subset_is_allowed_with_nan_probability(tmp_path):
    """Documented: a model may know only some task labels; p(c) of a class it lacks is NaN."""
    clips, _ = clips_from_arrays(hm.clip_items(2), SR)

    class OnlyBonafide(_Model):
        labels = ("bonafide",)

        def predict_proba(self, w):
            return np.ones((len(w), 1))

    res = run("deepfake", [hm.models()[0], OnlyBonafide("one")], clips, cache_dir=tmp_path, progress=False)
    rows = res.table[(res.table.target == "one") & (res.table.source_pred == "spoof")]
    assert rows.target_prob_original.isna().all() and (rows.target_pred_sufficient == "bonafide").all()


def test_other_bad_study_arguments(tmp_path):
    clips, _ = clips_from_arrays(hm.clip_items(2), SR)
    with pytest.raises(OptionError, match="unique"):
        run("deepfake", hm.models()[:1], clips + clips[:1], cache_dir=tmp_path, progress=False)
    with pytest.raises(UnknownNameError, match="unknown task"):
        run("birds", hm.models()[:1], clips, cache_dir=tmp_path, progress=False)
    with pytest.raises(OptionError, match="executor"):
        run("deepfake", hm.models()[:1], clips, cache_dir=tmp_path, executor=object(), progress=False)
    with pytest.raises(OptionError, match="seed"):
        run("deepfake", hm.models()[:1], clips, cache_dir=tmp_path, seed="0", progress=False)
    with pytest.raises(UnknownNameError, match="unknown strategy"):
        run("deepfake", hm.models()[:1], clips, cache_dir=tmp_path, strategy="magic", progress=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_cache_is_refused_up_front(tmp_path):  # pragma: no cover - CI runs as root
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    clips, _ = clips_from_arrays(hm.clip_items(1), SR)
    with pytest.raises(OptionError, match="not writable"):
        run("deepfake", hm.models()[:1], clips, cache_dir=ro, progress=False)


def test_cache_folder_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    clips, _ = clips_from_arrays(hm.clip_items(1), SR)
    with pytest.raises(OptionError, match="exists and is not a folder"):
        run("deepfake", hm.models()[:1], clips, cache_dir=f, progress=False)


@pytest.mark.parametrize("text,msg", [
    ("task: deepfake\nclips: 3\n", "unknown parameter"),
    ("task: deepfake\nseeed: 1\n", "unknown parameter"),
    ("task: [deepfake\n", "not valid YAML"),
    ("- task\n- deepfake\n", "mapping"),
    ("task: birds\n", "unknown task"),
    ("task: deepfake\nclips_per_class: three\n", "integer"),
    ("task: deepfake\nclips_per_class: 0\n", ">= 1"),
    ("task: deepfake\nseed: 1.5\n", "integer"),
    ("task: deepfake\ndelta: 2\n", r"\[0, 1\]"),
    ("task: deepfake\nmodels: []\n", "non-empty list"),
    ("task: deepfake\nmodels: [1, 2]\n", "list of names"),
    ("task: deepfake\ncriterion: vibes\n", "criterion"),
    ("task: deepfake\noptions: [1]\n", "mapping"),
])
def test_bad_parameter_files(tmp_path, text, msg):
    p = tmp_path / "p.yaml"
    p.write_text(text)
    with pytest.raises(SufficeError, match=msg):
        load_params(p)


def test_binary_and_missing_parameter_files(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(OptionError, match="YAML|text"):
        load_params(p)
    with pytest.raises(OptionError, match="no such parameter file"):
        load_params(tmp_path / "nope.yaml")


def test_unknown_search_option_in_a_parameter_set_is_refused(tmp_path):
    clips, _ = clips_from_arrays(hm.clip_items(1), SR)
    params = load_params({"task": "deepfake", "options": {"iterz": 3}})
    with pytest.raises(OptionError, match="unknown option"):
        run("deepfake", hm.models()[:1], clips, params["options"], cache_dir=tmp_path, progress=False)


@pytest.mark.parametrize("rate", [0, -16000, 44100.5, "44100", None])
def test_nonsense_sample_rates_are_refused(rate):
    with pytest.raises(AudioError, match="positive integer"):
        suffice.prepare_waveform(_tone(), rate, SR)


def test_a_tiny_file_sample_rate_is_read_and_resampled(tmp_path):
    """Documented: any positive rate in the header is honoured (7 Hz: 100 samples become ~228,572)."""
    x = load_audio(_wav(tmp_path, x=_tone()[:100], rate=7))
    assert len(x) == pytest.approx(100 * SR / 7, abs=2)


# ---- extremely long clips: a documented limit (suffice.audio.MAX_DURATION_S) ------------------
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


def test_a_long_clip_is_masked_exactly_in_chunks():
    """Under the limit, the oracle synthesises a 2-minute clip's masks chunk by chunk, exactly."""
    from suffice.search.evaluator import MaskEvaluator
    x = np.random.default_rng(1).normal(0, 0.1, 120 * SR).astype(np.float32)
    m = BandEnergyClassifier(300, 3000, 0.02)
    o = MaskEvaluator(m, suffice.validate_waveform(x, SR), batch_size=2)
    masks = np.random.default_rng(2).random((3, o.n_bins)) < 0.5
    got = o.probs(masks)
    want = m.predict_proba(suffice.keep_bins(x, masks))
    assert o.n_batches == 1 + 2 and np.allclose(got, want, atol=1e-6)
