"""Reproducible builds: a tiny corpus built twice, under different thread and worker settings, gives the
same fingerprint; build facts record it with the tool versions; provenance reads it back."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from suffice.corpora import build
from suffice.corpora.builder import corpus_fingerprint
from suffice.fingerprint import fingerprint

ROOT = Path(__file__).resolve().parents[1]


def _build_in_subprocess(data: Path, threads: int, jobs: int) -> dict:
    """A tiny genre build (one clip per genre) in a fresh interpreter with ``threads`` in the thread
    variables and ``jobs`` workers; returns its build.json."""
    env = {**os.environ, "SUFFICE_DATA": str(data), "PYTHONPATH": str(ROOT / "lib"),
           **{v: str(threads) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
    code = f"from suffice.corpora import build; build('genre', 'smoke', jobs={jobs}, limit=1)"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads((data / "corpora" / "smoke" / "genre" / "build.json").read_text())


@pytest.mark.slow
def test_tiny_build_is_identical_under_other_threads_and_workers(tmp_path):
    """Null: the clips do not depend on the thread or worker count. Two tiny genre builds (fluidsynth,
    espeak-ng, numpy/scipy) with 1 thread and 1 worker vs 2 threads and 2 workers must have the same
    fingerprint, and the fingerprint recorded must be the one of the files on disk."""
    a = _build_in_subprocess(tmp_path / "a", threads=1, jobs=1)
    b = _build_in_subprocess(tmp_path / "b", threads=2, jobs=2)
    assert a["jobs"] == 1 and b["jobs"] == 2
    assert a["fingerprint"] == b["fingerprint"]
    for d, info in ((tmp_path / "a", a), (tmp_path / "b", b)):
        folder = d / "corpora" / "smoke" / "genre"
        assert corpus_fingerprint(folder) == info["fingerprint"]
        assert info["environment"]["threads"]["OMP_NUM_THREADS"] == "1"  # pinned during the build
        readme = (folder / "README.md").read_text()
        assert info["fingerprint"] in readme and "FluidSynth" in readme and "## Made with" in readme


@pytest.mark.slow
def test_build_facts_carry_fingerprint_and_versions(tmp_path, monkeypatch):
    """One tiny genre build in this process: build.json holds the fingerprint of manifest.csv + clips/
    (not of the build facts), the programs and packages the clips were made with, and a relocatable
    manifest (paths relative to the corpus folder)."""
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    path = build("genre", "smoke", jobs=1, limit=1)
    d = path.parent
    info = json.loads((d / "build.json").read_text())
    assert info["fingerprint"] == fingerprint(d, exclude=("build.json", "build.log", "README.md", "checks.json"))
    env = info["environment"]
    assert "fluidsynth" in env["programs"] and "numpy" in env["python_packages"]
    assert len(env["files_sha256"]["soundfont"]) == 16
    assert env["threads"]["OMP_NUM_THREADS"] == "1" and os.environ["OMP_NUM_THREADS"] == "3"  # restored
    first = (d / "manifest.csv").read_text().splitlines()[1].split(",")[1]
    assert first.startswith("clips/")
    moved = tmp_path / "moved"
    d.rename(moved)  # a relocated corpus keeps its fingerprint
    assert fingerprint(moved, exclude=("build.json", "build.log", "README.md", "checks.json")) == info["fingerprint"]


def test_pin_threads_sets_and_restores_the_variables(monkeypatch):
    from suffice.corpora.tools import THREAD_VARIABLES, pin_threads, unpin_threads
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    before = pin_threads(1)
    assert all(os.environ[v] == "1" for v in THREAD_VARIABLES)
    unpin_threads(before)
    assert os.environ["OMP_NUM_THREADS"] == "7" and "MKL_NUM_THREADS" not in os.environ


def test_provenance_lists_corpus_and_model_fingerprints(tmp_path, monkeypatch):
    from suffice.book.provenance import build_fingerprints, provenance
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    c = tmp_path / "corpora" / "smoke" / "genre"
    c.mkdir(parents=True)
    (c / "build.json").write_text(json.dumps({"fingerprint": "abc123", "built": 10, "hash": "h1"}))
    m = tmp_path / "models" / "smoke" / "genre" / "tiny"
    m.mkdir(parents=True)
    (m / "card.json").write_text(json.dumps({"name": "genre/tiny", "fingerprint": "def456", "build_key": "k"}))
    rows = dict(build_fingerprints("smoke", ["genre"]))
    assert rows == {"corpus smoke/genre": "fingerprint abc123, 10 clips, configuration h1",
                    "model genre/tiny": "fingerprint def456, build key k"}
    assert dict(build_fingerprints("smoke", ["emotion"])) == {"corpus smoke/emotion": "(not built)"}
    table = provenance({"profile": "smoke", "task": "genre"})
    assert table.loc["corpus smoke/genre", "value"].startswith("fingerprint abc123")
    assert table.loc["model genre/tiny", "value"].startswith("fingerprint def456")


def _tone_data(seed: int = 0):
    """A tiny genre data set: 1.2 s tones whose pitch band depends on the label (three labels)."""
    import numpy as np
    from suffice.models.data import Split
    rng = np.random.default_rng(seed)
    t = np.arange(int(1.2 * 16000)) / 16000
    out = {}
    for split, n in (("train", 6), ("val", 3), ("test", 3)):
        xs, ys, ids = [], [], []
        for i in range(n):
            for k, lab in enumerate(("blues", "jazz", "rock")):
                f = 200 * (k + 1) * (1 + 0.05 * rng.standard_normal())
                xs.append((0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32))
                ys.append(lab)
                ids.append(f"{split}-{lab}-{i}")
        out[split] = Split(np.stack(xs), ys, ids)
    return out


@pytest.mark.slow
def test_model_card_carries_the_fingerprint_of_the_saved_files(tmp_path, monkeypatch):
    """A YAMNet-probe head trained twice on the same tiny data, once with one torch thread and once with
    two: each card records the fingerprint of its saved files, and the two fingerprints agree."""
    torch = pytest.importorskip("torch")
    from suffice.models.build import build_one, model_dir
    from suffice.models.zoo import SPECS
    data = _tone_data()
    fps = []
    before = torch.get_num_threads()
    try:
        for threads, folder in ((1, "a"), (2, "b")):
            monkeypatch.setenv("SUFFICE_DATA", str(tmp_path / folder))
            torch.set_num_threads(threads)
            card = build_one(SPECS["genre/yamnet-probe"], "smoke", data, "tones", progress=False)
            d = model_dir("genre/yamnet-probe", "smoke")
            assert card["fingerprint"] == fingerprint(d, exclude=("card.json",))
            assert json.loads((d / "card.json").read_text())["fingerprint"] == card["fingerprint"]
            fps.append(card["fingerprint"])
    finally:
        torch.set_num_threads(before)
    assert fps[0] == fps[1]
