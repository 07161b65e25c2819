"""Issue-16 attacks on a study, each answered: stale keys, orphaned workers, unsafe saving, late and
raw failures, unbounded time and size, forged or unreadable cache entries.  Small models for the test
(``_hostile_models``); each case states what it attacks."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from suffice import OptionError
from suffice.errors import SufficeError
from suffice.study import clips_from_arrays, load_clips, load_params, run
from suffice.study.cache import DiskCache
from suffice.study.result import check_stamp

import _hostile_models as hm

LIB = str(Path(__file__).resolve().parents[1] / "lib")


def _clips(n=2):
    return clips_from_arrays(hm.clip_items(n), 16000)[0]


# ---- item 2: workers die with their parent ------------------------------------------------------
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


# ---- item 4: atomic saving ------------------------------------------------------------------------
def test_a_failed_save_leaves_the_previous_complete_folder(tmp_path, monkeypatch):
    first = run("deepfake", hm.models()[:2], _clips(), cache_dir=tmp_path / "c", progress=False)
    out = first.save(tmp_path / "out")
    stamp = check_stamp(out)
    assert set(stamp["files"]) == {"table.csv", "predictions.csv", "explanations.csv", "failures.csv", "params.yaml"}
    second = run("deepfake", hm.models(), _clips(), cache_dir=tmp_path / "c", progress=False)
    orig = pd.DataFrame.to_csv

    def full_disk(self, path, *a, **k):
        if str(path).endswith("explanations.csv"):
            raise OSError(28, "No space left on device")
        return orig(self, path, *a, **k)
    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    with pytest.raises(SufficeError, match=f"could not write the study's tables to {out}: No space"):
        second.save(out)
    monkeypatch.undo()
    assert check_stamp(out) == stamp                          # the old study, whole
    assert set(pd.read_csv(out / "table.csv").source) == {"low", "mid"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".tmp-", ".old-"))]
    second.save(out)
    assert set(pd.read_csv(out / "table.csv").source) == {"low", "mid", "wide"}
    (out / "table.csv").write_text("edited\n")
    with pytest.raises(SufficeError, match="does not match the stamp"):
        check_stamp(out)


@pytest.mark.parametrize("data", [b"", "clip_id,path,label\ncaf\xe9,a.wav,spoof\n".encode("latin-1")])
def test_unreadable_manifests_are_one_line_errors(tmp_path, data):
    from suffice.study import run_params
    m = tmp_path / "m.csv"
    m.write_bytes(data)
    with pytest.raises(OptionError, match="cannot read the manifest"):
        run_params({"task": "deepfake", "manifest": str(m), "models": ["x"], "cache_dir": str(tmp_path / "c")},
                   progress=False)


def test_cli_study_exits_2_on_a_bad_parameter(tmp_path, capsys):
    from suffice.cli import main
    p = tmp_path / "p.yaml"
    p.write_text("task: deepfake\nseed: -1\n")
    assert main(["study", "--params", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("suffice: error:") and "\n" not in err


def test_failed_cache_writes_cost_a_warning_not_the_results(tmp_path, monkeypatch):
    clean = run("deepfake", hm.models(), _clips(3), cache_dir=tmp_path / "clean", progress=False)
    orig, n = DiskCache.put, [0]

    def put(self, kind, key, payload):
        n[0] += 1
        if n[0] > 10:
            raise OSError(28, "No space left on device")
        return orig(self, kind, key, payload)
    monkeypatch.setattr(DiskCache, "put", put)
    with pytest.warns(RuntimeWarning, match=r"could not store \d+ result\(s\) in the cache"):
        res = run("deepfake", hm.models(), _clips(3), cache_dir=tmp_path / "full", progress=False)
    pd.testing.assert_frame_equal(res.table, clean.table)
    assert res.stats["cache_write_failures"] > 0


# ---- item 6: bounds -------------------------------------------------------------------------------


def test_only_regular_files_are_opened(tmp_path):
    fifo = tmp_path / "fifo.wav"
    os.mkfifo(fifo)
    man = pd.DataFrame({"clip_id": ["f", "d"], "path": [str(fifo), str(tmp_path)], "label": ["spoof"] * 2})
    clips, fails = load_clips(man, 16000)
    assert not clips
    assert "is a FIFO" in fails[0]["reason"] and "is a folder" in fails[1]["reason"]


# ---- item 7: cache entries validated, shared, cleaned ---------------------------------------------
def _forge(path: Path, change) -> None:
    e = json.loads(path.read_text())
    e["payload"] = change(e["payload"])
    e["sha256"] = hashlib.sha256(json.dumps(e["payload"], sort_keys=True).encode()).hexdigest()
    path.write_text(json.dumps(e))


def _entries(folder: Path):
    return [p for p in folder.rglob("*.json") if not p.name.startswith(".")]


def test_forged_entries_that_break_their_schema_are_recomputed(tmp_path):
    ref = run("deepfake", hm.models()[:2], _clips(), cache_dir=tmp_path, progress=False)
    _forge(_entries(tmp_path / "prediction")[0], lambda p: [0.5, 0.25, 0.25])     # three classes
    _forge(_entries(tmp_path / "transfer")[0], lambda p: [1.5, -0.5])             # not probabilities

    def conf(p):
        p["explanation"]["confidence"] = 0.999  # not the model's confidence on the clip
        return p
    _forge(_entries(tmp_path / "explanation")[0], conf)
    with pytest.warns(UserWarning, match="corrupt cache entry"):
        res = run("deepfake", hm.models()[:2], _clips(), cache_dir=tmp_path, progress=False)
    assert res.stats["explained_now"] == 1
    pd.testing.assert_frame_equal(res.table, ref.table)


def test_entries_are_group_readable_and_stale_temporaries_are_cleaned(tmp_path):
    old = os.umask(0o022)
    try:
        run("deepfake", hm.models()[:1], _clips(1), cache_dir=tmp_path, progress=False)
    finally:
        os.umask(old)
    assert {p.stat().st_mode & 0o777 for p in _entries(tmp_path)} == {0o644}
    stale, fresh = tmp_path / "explanation" / ".tmp-stale.json", tmp_path / "explanation" / ".tmp-fresh.json"
    stale.write_text("{")
    fresh.write_text("{")
    os.utime(stale, (time.time() - 7200,) * 2)
    run("deepfake", hm.models()[:1], _clips(1), cache_dir=tmp_path, progress=False)
    assert not stale.exists() and fresh.exists()   # a fresh one may belong to a running writer


def test_a_killed_save_leaves_nothing_that_lasts(tmp_path):
    res = run("deepfake", hm.models()[:1], _clips(1), cache_dir=tmp_path / "c", progress=False)
    stale = tmp_path / ".tmp-out-abandoned"
    stale.mkdir()
    (stale / "table.csv").write_text("half")
    os.utime(stale, (time.time() - 7200,) * 2)
    res.save(tmp_path / "out")
    assert not stale.exists() and check_stamp(tmp_path / "out")
