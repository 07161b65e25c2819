"""Corpus generation: tiny real builds (limit=1 clip per label), signal utilities, checks, errors."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf

from suffice.corpora import build, manifest
from suffice.corpora.builder import config_hash, task_module
from suffice.corpora.signal import (SR, active_rms, brick_wall, cap_pauses, cut_on_speech, fit_length, g722_roundtrip,
                                    set_level, start_on_speech, taper, trim_silence)
from suffice.corpora.tools import MissingToolError, require_module, require_program
from suffice.errors import OptionError, UnknownNameError


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Tiny real builds (one clip per label) of the three corpora, made once for this module (the tests
    that use them are marked slow)."""
    root = tmp_path_factory.mktemp("corpora")
    old = os.environ.get("SUFFICE_DATA")
    os.environ["SUFFICE_DATA"] = str(root / "a")
    try:
        paths = {task: build(task, "smoke", jobs=1, limit=1) for task in ("deepfake", "emotion", "genre")}
        frames = {task: manifest(task, "smoke") for task in paths}
        mtimes = {task: os.path.getmtime(p) for task, p in paths.items()}
        again = {task: build(task, "smoke", jobs=1, limit=1) for task in paths}  # unchanged: not rebuilt
        os.environ["SUFFICE_DATA"] = str(root / "b")
        twin_path = build("deepfake", "smoke", jobs=2, limit=1)  # a pool this time: same clips
        twin = manifest("deepfake", "smoke")
    finally:
        if old is None:
            os.environ.pop("SUFFICE_DATA", None)
        else:
            os.environ["SUFFICE_DATA"] = old
    return {"paths": paths, "frames": frames, "mtimes": mtimes, "again": again, "twin": twin,
            "twin_path": twin_path}


def _clips(df):
    return {cid: sf.read(p, dtype="float32") for cid, p in zip(df.clip_id, df.path)}


@pytest.mark.slow
@pytest.mark.parametrize("task,seconds,n_labels", [("deepfake", 3.0, 2), ("emotion", 3.0, 8), ("genre", 4.0, 10)])
def test_tiny_build_writes_a_valid_corpus(built, task, seconds, n_labels):
    path, df = built["paths"][task], built["frames"][task]
    d = path.parent
    assert len(df) == n_labels and df.label.nunique() == n_labels
    clips = _clips(df)
    for x, sr in clips.values():
        assert sr == SR and x.ndim == 1 and len(x) == int(seconds * SR)
        assert np.abs(x).max() > 0.01 and np.isfinite(x).all()
    first, second = list(clips.values())[:2]
    assert not np.allclose(first[0], second[0])
    assert (df.duration == seconds).all() and (df.sample_rate == SR).all()
    log = (d / "build.log").read_text()
    assert log.startswith(f"# {task}/smoke")
    if task != "genre":  # short or missing Asterisk prompts are listed, with the reason, never dropped silently
        assert "SOURCE-SKIP" in log and "left out" in log
    readme = (d / "README.md").read_text()
    assert "How it was made" in readme and "Clips per label and split" in readme
    info = json.loads((d / "build.json").read_text())
    assert info["built"] == n_labels and info["config"]["limit_per_label"] == 1
    # an unchanged configuration is not rebuilt
    assert built["again"][task] == path and os.path.getmtime(path) == built["mtimes"][task]


@pytest.mark.slow
def test_deepfake_pairs_share_transcripts_and_levels(built):
    df = built["frames"]["deepfake"]
    bona, spoof = df[df.label == "bonafide"].iloc[0], df[df.label == "spoof"].iloc[0]
    assert bona.text == spoof.text and bona.split == spoof.split
    levels = [20 * np.log10(active_rms(x)) for x, _ in _clips(df).values()]
    assert all(-27 < v < -19 for v in levels)          # -23 dBFS +- 3 dB, before 16-bit rounding


@pytest.mark.slow
def test_deepfake_chain_leaves_the_noise_floor_alone_in_the_pads_and_outside_the_band(built):
    """Both classes: the padding holds white noise at the configured floor and nothing else; outside the
    band, the whole clip's spectrum is that floor too (same level in both classes, whatever the voice)."""
    from suffice.corpora import deepfake
    cfg = deepfake.config("smoke")
    pad = int(round(cfg["pad_s"] * SR))
    low, high = cfg["band_hz"]
    for x, _ in _clips(built["frames"]["deepfake"]).values():
        x = x.astype(np.float64)
        for edge in (x[:pad], x[-pad:]):
            assert 20 * np.log10(np.sqrt(np.mean(edge ** 2))) == pytest.approx(cfg["noise_floor_dbfs"], abs=0.5)
        f = np.fft.rfftfreq(len(x), 1.0 / SR)
        power = np.abs(np.fft.rfft(x)) ** 2 / len(x)  # white noise of variance s2 gives s2 per bin, on average
        floor = 10 ** (cfg["noise_floor_dbfs"] / 10)
        for band in (f < 100.0, f > 7000.0):  # the audit's out-of-band measures, next to the band's edges
            assert 10 * np.log10(power[band].mean() / floor) == pytest.approx(0.0, abs=2.0)


@pytest.mark.slow
def test_build_is_deterministic_for_a_seed(built):
    a, b = _clips(built["frames"]["deepfake"]), _clips(built["twin"])
    assert a.keys() == b.keys()
    for cid in a:
        np.testing.assert_array_equal(a[cid][0], b[cid][0])
    # one worker in one folder, a pool of two in another: the same fingerprint (manifest + clips)
    fa = json.loads((built["paths"]["deepfake"].parent / "build.json").read_text())["fingerprint"]
    fb = json.loads((built["twin_path"].parent / "build.json").read_text())["fingerprint"]
    assert fa == fb


@pytest.mark.slow
@pytest.mark.parametrize("task", ["deepfake", "emotion", "genre"])
def test_build_facts_record_fingerprint_and_versions(built, task):
    """build.json: the fingerprint of the files on disk and what they were made with; README: both."""
    from suffice.corpora.builder import corpus_fingerprint
    d = built["paths"][task].parent
    info = json.loads((d / "build.json").read_text())
    assert info["fingerprint"] == corpus_fingerprint(d)
    env = info["environment"]
    assert {"espeak-ng"} <= set(env["programs"]) and {"numpy", "scipy"} <= set(env["python_packages"])
    assert env["threads"]["OMP_NUM_THREADS"] == "1"
    readme = (d / "README.md").read_text()
    assert f"`{info['fingerprint']}`" in readme and "## Made with" in readme and "espeak-ng" in readme


def test_neural_tts_is_reproducible():
    from suffice.corpora import tts
    for synth in (tts.piper, tts.hibari):
        a = synth("Please enter your password.", np.random.default_rng(5))
        b = synth("Please enter your password.", np.random.default_rng(5))
        assert len(a) > SR // 2
        np.testing.assert_array_equal(a, b)


def test_config_hash_changes_with_seed_and_profile():
    mod = task_module("emotion")
    h = config_hash(mod, mod.config("smoke"), 0)
    assert h == config_hash(mod, mod.config("smoke"), 0)
    assert h != config_hash(mod, mod.config("smoke"), 1)
    assert h != config_hash(mod, mod.config("default"), 0)


def test_default_sizes_and_durations():
    sizes = {"genre": (1000, 4.0), "emotion": (1040, 3.0), "deepfake": (1000, 3.0)}
    for task, (n, seconds) in sizes.items():
        mod = task_module(task)
        cfg = mod.config("default")
        assert mod.DURATION == seconds
        if task == "genre":
            assert len(cfg["genres"]) * sum(cfg["per_genre_split"]) == n
        elif task == "emotion":
            assert len(cfg["emotions"]) * (5 * cfg["world_per_speaker_emotion"]
                                           + sum(cfg["espeak_per_emotion_split"])) == n
        else:  # pairs per language are rounded: within 1% of the nominal size
            pairs = sum(max(1, round(k * share)) for k in cfg["pairs_per_split"] for share in cfg["lang_share"].values())
            assert abs(2 * pairs - n) <= n // 100


def test_bad_arguments():
    with pytest.raises(OptionError):
        build("genre", "huge")
    with pytest.raises(OptionError):
        build("genre", "smoke", jobs=0)
    with pytest.raises(UnknownNameError):
        build("speech", "smoke")


def test_missing_tools_name_the_package(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MissingToolError, match="apt-get install -y fluidsynth"):
        require_program("fluidsynth", "fluidsynth")
    with pytest.raises(MissingToolError, match="pip install nosuchpkg==1"):
        require_module("nosuchpkg_xyz", "nosuchpkg==1")


def test_signal_utilities(rng):
    t = np.arange(SR) / SR
    x = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    y = set_level(x, -30.0)
    assert abs(20 * np.log10(active_rms(y)) + 30.0) < 0.1
    assert np.abs(set_level(x, 0.0)).max() <= 0.98          # limited, not clipped
    padded = np.concatenate([np.zeros(8000, np.float32), x, np.zeros(8000, np.float32)])
    assert abs(len(trim_silence(padded)) - SR) <= 320
    f = fit_length(x, 20000)
    assert len(f) == 20000 and f[0] == 0 and f[-1] == 0
    assert len(fit_length(x, 3 * SR)) == 3 * SR
    low = (0.5 * np.sin(2 * np.pi * 40 * t)).astype(np.float32)
    assert active_rms(brick_wall(low, 150.0, 6900.0)) < 1e-3 * active_rms(low)
    assert active_rms(brick_wall(x, 150.0, 6900.0)) > 0.99 * active_rms(x)
    g = g722_roundtrip(x)
    assert len(g) == len(x) and active_rms(g) > 0.5 * active_rms(x)


def test_brick_wall_leaves_nothing_outside_the_band(rng):
    x = rng.normal(size=3 * SR).astype(np.float32)
    y = brick_wall(x, 120.0, 7000.0)
    spec = np.abs(np.fft.rfft(y.astype(np.float64))) ** 2
    f = np.fft.rfftfreq(len(y), 1.0 / SR)
    outside, inside = spec[(f < 120) | (f > 7000)].sum(), spec[(f >= 120) & (f <= 7000)].sum()
    assert outside < 1e-9 * inside
    assert np.allclose(brick_wall(y, 120.0, 7000.0), y, atol=1e-5)  # idempotent


def test_taper_fades_both_ends_smoothly():
    x = np.ones(SR, np.float32)
    y = taper(x, 0.05)
    k = int(0.05 * SR)
    assert y[0] == 0.0 and y[-1] == pytest.approx(0.0, abs=1e-6) and np.all(y[k:-k] == 1.0)
    assert np.all(np.diff(y[:k]) >= 0) and np.all(np.diff(y[-k:]) <= 0)
    assert np.array_equal(taper(x, 0.0), x) and len(taper(x[:10], 1.0)) == 10


def _frames(*levels: float) -> np.ndarray:
    """One 20 ms frame of a 200 Hz tone per amplitude (0 gives a silent frame)."""
    t = np.arange(320) / SR
    return np.concatenate([a * np.sin(2 * np.pi * 200 * t) for a in levels]).astype(np.float32)


def test_start_and_cut_on_speech_end_a_clip_on_two_loud_frames():
    loud, soft = 0.5, 0.5 * 10 ** (-30 / 20)  # soft: 30 dB below the loudest
    x = _frames(0, soft, loud, soft, loud, loud, loud, soft, 0, 0, loud, loud, loud, loud)
    # the first pair of loud frames is frames 4-5: the single loud frame 2 is a set-in, dropped
    assert np.array_equal(start_on_speech(x), x[4 * 320:])
    # a cut after 8 frames would end on frame 7 (soft): frames 6-9 go, frames 10-11 end the clip
    y = cut_on_speech(x, 8 * 320)
    assert np.array_equal(y, np.concatenate([x[: 6 * 320], x[10 * 320: 12 * 320]]))
    assert np.array_equal(cut_on_speech(x, 6 * 320), x[: 6 * 320])  # frames 4-5 are loud: cut as is
    short = cut_on_speech(x[: 3 * 320], 8 * 320)  # too short, no loud pair after: zero-padded
    assert len(short) == 8 * 320 and not short[3 * 320:].any()
    with pytest.raises(OptionError, match="multiple"):
        cut_on_speech(x, 1000)


def test_cap_pauses_shortens_only_long_pauses():
    frame = 320
    tone = (0.5 * np.sin(2 * np.pi * 200 * np.arange(10 * frame) / SR)).astype(np.float32)
    gap = lambda k: np.zeros(k * frame, np.float32)  # noqa: E731
    x = np.concatenate([tone, gap(3), tone, gap(20), tone])
    y = cap_pauses(x, 0.12)  # 6 frames of 20 ms
    assert len(y) == len(x) - 14 * frame  # the 3-frame pause is kept, the 20-frame one cut to 6
    assert np.array_equal(y[: 23 * frame], x[: 23 * frame])
    assert np.array_equal(y[-13 * frame:], x[-13 * frame:])
    assert np.array_equal(cap_pauses(tone, 0.12), tone)
    odd = np.concatenate([x, np.ones(17, np.float32)])  # a tail shorter than a frame is kept
    assert len(cap_pauses(odd, 0.12)) == len(y) + 17


class _FixedTagger:
    """A model written for the test: the same probabilities for every clip (blues .5, jazz .3, rock .2)."""

    labels = ("blues", "jazz", "rock")

    def predict_proba(self, x):
        return np.tile([0.5, 0.3, 0.2], (len(x), 1))


def test_tagger_check_takes_any_model(tmp_path):
    """The corpora layer's tagger check needs no model import: with a fixed tagger on one blues, one jazz
    and one metal clip, top-1 agreement is exactly 1/3 (the blues clip) and top-3 2/3 (not metal)."""
    import pandas as pd
    from suffice.corpora.checks import tagger_check
    rows = []
    for i, lab in enumerate(("blues", "jazz", "metal")):
        p = tmp_path / f"{lab}.wav"
        sf.write(str(p), 0.1 * np.sin(np.arange(16000) * (i + 1) * 0.05).astype(np.float32), 16000)
        rows.append({"path": str(p), "label": lab})
    res = tagger_check(pd.DataFrame(rows), _FixedTagger(), what="fixed tagger")
    assert res["details"]["top1"] == round(1 / 3, 4) and res["details"]["top3"] == round(2 / 3, 4)
    assert res["details"]["per_genre_top1"] == {"blues": 1.0, "jazz": 0.0, "metal": 0.0}
    assert res["summary"].startswith("fixed tagger agrees with the label on 33.3% of 3 clips")
