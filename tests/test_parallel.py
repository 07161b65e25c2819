"""Local worker processes: the study's explanations and the zoo's training give what one process gives."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from suffice import OptionError
from suffice.parallel import available_cpus, resolve_workers

import _hostile_models as hm

LIB = str(Path(__file__).resolve().parents[1] / "lib")


def test_resolve_workers():
    assert resolve_workers(3) == 3
    assert resolve_workers(3, jobs=2) == 2
    assert resolve_workers(5, jobs=0) == 1
    assert 1 <= resolve_workers("auto") <= available_cpus()
    assert resolve_workers(None, jobs=1) == 1
    for bad in (0, -1, "two", True, 1.5):
        with pytest.raises(OptionError, match="workers must be"):
            resolve_workers(bad)


def test_study_parameters_check_workers():
    from suffice.study import load_params
    assert load_params({"task": "genre"})["workers"] == "auto"
    with pytest.raises(OptionError, match="workers must be"):
        load_params({"task": "genre", "workers": 0})


def _manifest(tmp_path) -> str:
    rows = []
    for cid, x, label in hm.clip_items(4, length=16000):
        path = tmp_path / f"{cid}.wav"
        sf.write(path, x, 16000, subtype="FLOAT")
        rows.append({"clip_id": cid, "path": str(path), "label": label, "split": "test"})
    pd.DataFrame(rows).to_csv(tmp_path / "manifest.csv", index=False)
    return str(tmp_path / "manifest.csv")


@pytest.mark.slow
def test_study_with_worker_processes_equals_one_process(tmp_path):
    """Two spawned workers (one thread each) explain the clips; the tables equal the in-process run's."""
    from suffice.errors import SufficeError
    from suffice.study import run_params
    name = "deepfake/yamnet-zeroshot"  # loaded by name inside each worker
    from suffice.models.resolve import resolve_model  # outside the guard: a moved name is a failure, not a skip
    try:
        resolve_model(name, "smoke")
    except (SufficeError, ImportError) as exc:  # pragma: no cover - the backbone's package is missing
        pytest.skip(f"{name} unavailable: {exc}")
    common = {"task": "deepfake", "models": [name], "manifest": _manifest(tmp_path), "clips_per_class": 2}
    one = run_params({**common, "workers": 1, "cache_dir": str(tmp_path / "a")}, progress=False)
    two = run_params({**common, "workers": 2, "cache_dir": str(tmp_path / "b")}, progress=False)
    assert len(one.explanations) == 4 and two.stats["explained_now"] == 4
    # the workers' model calls are counted apart from this process's (predictions, cross-evaluation)
    assert one.stats["model_calls_in_workers"] == 0
    assert two.stats["model_calls_in_workers"] == one.explanations.n_model_calls.sum() > 0
    assert two.stats["model_calls"] + two.stats["model_calls_in_workers"] == one.stats["model_calls"]
    pd.testing.assert_frame_equal(two.table, one.table, check_exact=True)
    pd.testing.assert_frame_equal(two.explanations.drop(columns="seconds"),
                                  one.explanations.drop(columns="seconds"), check_exact=True)


@pytest.mark.slow
def test_zoo_built_by_two_workers_equals_one_worker(tmp_path, monkeypatch):
    """The same cards (weights identity and metrics) whether one process or two trained the models."""
    from suffice.corpora import data_root
    from suffice.models import build as build_mod
    corpora = data_root() / "corpora"
    if not (corpora / "smoke").is_dir():
        pytest.skip("smoke corpora not built (make smoke-data)")
    names = ["genre/yamnet-probe", "deepfake/yamnet-probe"]
    cards = {}
    for jobs in (1, 2):
        root = tmp_path / f"jobs{jobs}"
        root.mkdir()
        (root / "corpora").symlink_to(corpora)
        monkeypatch.setenv("SUFFICE_DATA", str(root))
        build_mod._task_data.cache_clear()
        cards[jobs] = build_mod.build("smoke", only=names, jobs=jobs, progress=False)
    assert [c["name"] for c in cards[1]] == [c["name"] for c in cards[2]] == ["genre/yamnet-probe",
                                                                              "deepfake/yamnet-probe"]
    for a, b in zip(cards[1], cards[2]):
        assert a["identity"] == b["identity"] and a["test"] == b["test"] and a["build_key"] == b["build_key"]
    # nothing changed: a rebuild only reads the cards
    again = build_mod.build("smoke", only=names, jobs=2, progress=False)
    assert [c["training_seconds"] for c in again] == [c["training_seconds"] for c in cards[2]]
    assert np.all([c["test"]["accuracy"] > c["test"]["chance"] for c in again])


def test_a_model_that_fails_to_build_does_not_stop_the_others(tmp_path, monkeypatch):
    """One model's error is reported at the end, with its name and reason; the rest are built and saved."""
    from suffice.errors import SufficeError
    from suffice.models import build as build_mod
    from suffice.models.data import Split

    rng = np.random.default_rng(0)

    def split(n):
        x = rng.normal(0, 0.1, (n * 10, 16000)).astype(np.float32)
        return Split(x, [lab for lab in ("blues", "classical") for _ in range(n * 5)],
                     [f"c{i}" for i in range(n * 10)])

    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    monkeypatch.setattr(build_mod, "_task_data", lambda task, profile: (
        {"train": split(2), "val": split(1), "test": split(1)}, "hash"))
    real = build_mod.build_one

    def flaky(spec, *args, **kwargs):
        if spec.short == "ast-tiny":
            raise RuntimeError("simulated crash while training")
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(build_mod, "build_one", flaky)
    with pytest.raises(SufficeError, match=r"1 of 2 models failed.*genre/ast-tiny: RuntimeError: simulated"):
        build_mod.build("smoke", only=["genre/ast-tiny", "genre/yamnet-probe"], tasks=["genre"], jobs=1,
                        progress=False)
    assert (tmp_path / "models/smoke/genre/yamnet-probe/card.json").is_file()
    assert not (tmp_path / "models/smoke/genre/ast-tiny").exists()


@pytest.mark.slow
def test_a_script_without_a_main_guard_still_gets_its_study(tmp_path):
    """Spawned workers import the caller's script; without ``if __name__ == '__main__':`` they cannot
    start.  The study then explains the clips in its own process, warns how to fix it, and loses nothing."""
    import subprocess
    import sys
    script = tmp_path / "study.py"
    script.write_text(
        "from suffice.study import run_params\n"
        f"r = run_params({{'task': 'deepfake', 'models': ['deepfake/yamnet-zeroshot'], 'manifest': "
        f"{_manifest(tmp_path)!r}, 'clips_per_class': 1, 'workers': 2, 'cache_dir': {str(tmp_path / 'c')!r}}}, "
        "progress=False)\n"
        "print('RESULT', len(r.explanations), len(r.failures))\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "RESULT 2 0" in out.stdout
    assert "__name__ == '__main__'" in out.stderr


def _one_detector_or_skip() -> str:
    """The smoke zoo's zero-shot detector that the variant tests explain with (skip where it cannot load)."""
    from suffice.errors import SufficeError
    name = "deepfake/yamnet-zeroshot"
    from suffice.models.resolve import resolve_model  # outside the guard: a moved name is a failure, not a skip
    try:
        resolve_model(name, "smoke")
    except (SufficeError, ImportError) as exc:  # pragma: no cover - the backbone's package is missing
        pytest.skip(f"{name} unavailable: {exc}")
    return name


@pytest.mark.slow
def test_the_single_bin_variant_explains_a_subset_of_the_clips_at_bins(tmp_path):
    """run_bins_variant: the first clips per class of the same selection, at single bins, while the study
    itself searches atoms; None without bins_clips_per_class; a bad value is a clear error."""
    from suffice.errors import OptionError
    from suffice.study import run_bins_variant, run_params
    name = _one_detector_or_skip()
    common = {"task": "deepfake", "models": [name], "manifest": _manifest(tmp_path), "clips_per_class": 2,
              "workers": 1, "cache_dir": str(tmp_path / "c"), "null_random_n": 0}
    assert run_bins_variant(common, progress=False) is None
    main = run_params(common, progress=False)
    bins = run_bins_variant({**common, "bins_clips_per_class": 1}, progress=False)
    assert set(bins.explanations.clip_id) < set(main.explanations.clip_id)
    assert (bins.explanations.resolution_bins == 1).all() and (main.explanations.resolution_bins > 1).all()
    with pytest.raises(OptionError, match="bins_clips_per_class"):
        run_bins_variant({**common, "bins_clips_per_class": 0}, progress=False)


@pytest.mark.slow
def test_the_fill_variant_explains_a_subset_of_the_clips_under_its_fill(tmp_path):
    """run_fill_variant: the first clips per class of the same selection under fill_variant, while the study
    itself zeroes; its zero-fill side is the study's rows on those clips; None without fill_clips_per_class;
    a silent or unknown fill and a bad count are clear errors."""
    from suffice.errors import OptionError
    from suffice.study import run_fill_variant, run_params
    from suffice.transfer import compare_fills
    name = _one_detector_or_skip()
    common = {"task": "deepfake", "models": [name], "manifest": _manifest(tmp_path), "clips_per_class": 2,
              "workers": 1, "cache_dir": str(tmp_path / "c"), "null_random_n": 0,
              "output_dir": str(tmp_path / "out")}
    assert run_fill_variant(common, progress=False) is None
    main = run_params(common, progress=False)
    filled = run_fill_variant({**common, "fill_clips_per_class": 1, "fill_variant": "envelope-noise"}, progress=False)
    assert set(filled.explanations.clip_id) < set(main.explanations.clip_id)
    assert (filled.explanations.fill == "envelope-noise").all() and (main.explanations.fill == "zero").all()
    assert (tmp_path / "out-fill").is_dir()
    with pytest.raises(OptionError, match="fill_clips_per_class"):
        run_fill_variant({**common, "fill_clips_per_class": 0}, progress=False)
    for bad in ("zero", "pink"):
        with pytest.raises(OptionError, match="fill_variant"):
            run_fill_variant({**common, "fill_clips_per_class": 1, "fill_variant": bad}, progress=False)
    with pytest.raises(OptionError, match="two tables"):
        compare_fills({"zero": main.table})


def test_workers_end_when_their_parent_is_killed(tmp_path):
    """SIGKILL and SIGTERM of a process holding a pool of busy workers: the workers exit too."""
    code = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {LIB!r})
        from suffice.parallel import local_executor
        ex = local_executor(2)
        pids = {{ex.submit(os.getpid).result() for _ in range(8)}}
        for _ in range(2):
            ex.submit(time.sleep, 600)
        print(" ".join(map(str, pids)), flush=True)
        time.sleep(600)
    """)
    kids = {s: subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
            for s in (signal.SIGKILL, signal.SIGTERM)}
    workers = {s: [int(x) for x in p.stdout.readline().split()] for s, p in kids.items()}
    for s, p in kids.items():
        assert workers[s], "the pool did not start"
        os.kill(p.pid, s)
        p.wait()

    def alive(pid):
        try:
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except OSError:
            return False
    t0 = time.time()
    while any(alive(q) for w in workers.values() for q in w) and time.time() - t0 < 20:
        time.sleep(0.1)
    left = [q for w in workers.values() for q in w if alive(q)]
    for q in left:
        os.kill(q, signal.SIGKILL)
    assert not left
