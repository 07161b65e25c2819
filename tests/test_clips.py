"""Clips of a study (suffice.study.clips): a clip that cannot be read or is not valid audio is recorded as
a failure, and the study runs on the others."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from suffice import OptionError
from suffice.study import Clip, clips_from_arrays, load_clips, run, run_params

import _hostile_models as hm

SR = 16000


def test_bad_clips_in_a_manifest_are_recorded_and_the_others_run(tmp_path):
    def wav(name, x):
        sf.write(tmp_path / name, x, SR)
        return tmp_path / name
    good = wav("good.wav", np.random.default_rng(0).normal(0, 0.2, SR))
    trunc = wav("trunc.wav", 0.3 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR))
    trunc.write_bytes(trunc.read_bytes()[:20000])
    silent = wav("silent.wav", np.zeros(SR))
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


def test_only_regular_files_are_opened(tmp_path):
    fifo = tmp_path / "fifo.wav"
    os.mkfifo(fifo)
    man = pd.DataFrame({"clip_id": ["f", "d"], "path": [str(fifo), str(tmp_path)], "label": ["spoof"] * 2})
    clips, fails = load_clips(man, 16000)
    assert not clips
    assert "is a FIFO" in fails[0]["reason"] and "is a folder" in fails[1]["reason"]


@pytest.mark.parametrize("data", [b"", "clip_id,path,label\ncaf\xe9,a.wav,spoof\n".encode("latin-1")])
def test_unreadable_manifests_are_one_line_errors(tmp_path, data):
    m = tmp_path / "m.csv"
    m.write_bytes(data)
    with pytest.raises(OptionError, match="cannot read the manifest"):
        run_params({"task": "deepfake", "manifest": str(m), "models": ["x"], "cache_dir": str(tmp_path / "c")},
                   progress=False)


def test_invalid_clips_are_recorded(tmp_path):
    """Arrays that are not valid audio (clips_from_arrays) and invalid Clip objects (run) are failures of
    stage ``load``; the valid clip is explained."""
    ok = hm.clip_items(1)[0]
    clips, failures = clips_from_arrays([ok, ("silent", np.zeros(8000, np.float32), "spoof"),
                                         ("nan-array", np.full(8000, np.nan, np.float32), "spoof")], SR)
    bad = [Clip("nan", np.full(8000, np.nan, np.float32)), Clip("short", np.ones(10, np.float32)),
           Clip("stereo", np.ones((8000, 2), np.float32))]
    res = run("deepfake", hm.models()[:1], clips + bad, cache_dir=tmp_path, failures=failures, progress=False)
    f = res.failures
    assert set(f.clip_id) == {"silent", "nan-array", "nan", "short", "stereo"} and set(f.stage) == {"load"}
    assert f[f.clip_id.isin(["silent", "nan-array"])].reason.str.contains("silent|NaN").all()
    assert set(res.table.clip_id) == {"c0"}
