"""The deepfake corpus's processing chain: one chain, in the documented order, for both classes."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from suffice.corpora import deepfake, speech
from suffice.corpora.jobs import ClipJob
from suffice.corpora.signal import (SR, brick_wall, cap_pauses, cut_on_speech, db_to_gain, g722_roundtrip, set_level,
                                    start_on_speech, taper)


def test_readme_lists_the_chain_in_order() -> None:
    cfg = deepfake.config("smoke")
    flat = " ".join(deepfake.describe(cfg).split())
    at = [flat.index(" ".join(f"({i}) {step}".split())) for i, step in enumerate(deepfake.chain(cfg), 1)]
    assert at == sorted(at)


def test_bona_fide_render_is_the_documented_chain(tmp_path) -> None:
    pytest.importorskip("scipy")
    t = np.arange(int(1.2 * SR)) / SR
    wav = tmp_path / "p.wav"
    sf.write(wav, (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), SR)
    cfg = deepfake.config("smoke")
    job = ClipJob("df-bona-test-en-000", "bonafide", "test", "asterisk", params={"kind": "bonafide", "wavs": [str(wav)]})
    got = deepfake.render(job, cfg, {}, seed=3)
    rng = job.rng(3)  # the same draws in the same order as render
    x = speech.join_prompts([str(wav)], rng)
    n = int(round(deepfake.DURATION * SR))
    pad = int(round(cfg["pad_s"] * SR))
    low, high = cfg["band_hz"]
    x = start_on_speech(brick_wall(x, low, high), cfg["speech_db"])
    x = cut_on_speech(cap_pauses(x, cfg["max_pause_s"], top_db=cfg["pause_db"]), n - 2 * pad, cfg["speech_db"])
    level = cfg["level_dbfs"] + rng.uniform(-cfg["level_spread_db"], cfg["level_spread_db"])
    x = taper(set_level(brick_wall(g722_roundtrip(set_level(x, level)), low, high), level), cfg["taper_s"])
    want = np.zeros(n, dtype=np.float32)
    want[pad: n - pad] = x
    want += rng.normal(0, db_to_gain(cfg["noise_floor_dbfs"]), n).astype(np.float32)
    np.testing.assert_allclose(got, want, atol=1e-6)
    # the speech (1.2 s) is shorter than the clip's 2.52 s: the rest of the middle is the noise floor alone,
    # and so is the padding
    floor = float(np.std(got[-pad:]))
    assert 20 * np.log10(floor) == pytest.approx(cfg["noise_floor_dbfs"], abs=0.5)
