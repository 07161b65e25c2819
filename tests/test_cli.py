"""The command line, as a user runs it."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import soundfile as sf

from suffice.cli import main
from suffice.toys import tone_clip


def _wav(tmp_path, rate=16000):
    p = tmp_path / "tones.wav"
    sf.write(p, tone_clip([440, 1000, 2500, 300], rate, [0.05, 0.05, 0.05, 0.3]), rate)
    return p


def test_explain_prints_summary_and_writes_signal(tmp_path, capsys):
    p = _wav(tmp_path)
    out = tmp_path / "suff.wav"
    assert main(["explain", str(p), "--model", "toy/tones:440,1000,2500", "--out", str(out),
                 "--contrastive", "--complete"]) == 0
    text = capsys.readouterr().out
    assert "set size        3 of 8001 bins" in text and "model calls" in text
    y, sr = sf.read(out)
    assert sr == 16000 and len(y) == 16000
    spec = np.abs(np.fft.rfft(y))
    assert set(np.argsort(spec)[-3:]) == {440, 1000, 2500}


def test_explain_json_and_options(tmp_path, capsys):
    p = _wav(tmp_path)
    assert main(["explain", str(p), "--model", "toy/tones:440", "--json", "--seed", "3",
                 "-o", "max_calls=50", "--save", str(tmp_path / "e.json")]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["found"] and s["size"] == 1 and s["seed"] == 3
    assert (tmp_path / "e.json").exists()


def test_errors_are_clear_and_exit_2(tmp_path, capsys):
    assert main(["explain", str(tmp_path / "missing.wav"), "--model", "toy/tones:440"]) == 2
    assert "no such audio file" in capsys.readouterr().err
    p = _wav(tmp_path)
    assert main(["explain", str(p), "--model", "toy/tones:440", "-o", "bogus=1"]) == 2
    assert "unknown option" in capsys.readouterr().err
    assert main(["explain", str(p), "--model", "toy/wat"]) == 2
    assert "unknown oracle" in capsys.readouterr().err


def test_console_script_runs(tmp_path):
    p = _wav(tmp_path)
    r = subprocess.run([sys.executable, "-m", "suffice", "explain", str(p), "--model", "toy/band:300-3000",
                        "--json"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["target"] in ("band", "other")
