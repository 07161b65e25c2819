"""Fault tolerance: a study killed with SIGKILL part-way resumes to exactly the uninterrupted result.

The study runs in a child process (``tests/_hostile_models.py``); we kill it twice at different
points of its explanations, damage the cache the way a crash on a non-atomic file system would, and
run it to the end.  Then: the table equals an uninterrupted run's bit for bit, no finished entry was
recomputed (same inode, same bytes), the damaged entry was recomputed and never read, and the work
done by all three processes together exceeds one clean run by at most the two explanations in flight.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from suffice.study import clips_from_arrays, run
from suffice.study.cache import DiskCache, key_digest

import _hostile_models as hm

HERE = Path(__file__).parent
N_CLIPS = 6
N_EXPL = 3 * N_CLIPS
DELAY = 0.01  # seconds per model call in the child: slow enough to be caught part-way


def _entries(cache: Path, kind: str | None = None) -> dict[str, tuple[int, bytes]]:
    """Finished entries (never the ``.tmp-*`` files): relative path -> (inode, bytes)."""
    root = cache / kind if kind else cache
    return {str(p.relative_to(cache)): (p.stat().st_ino, p.read_bytes())
            for p in root.rglob("*.json") if not p.name.startswith(".tmp-")}


def _child(cache: Path, out: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(HERE / "_hostile_models.py"), str(cache), str(out),
                             str(N_CLIPS), str(DELAY), str(log)], env=env, stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen, cache: Path, n_explanations: int, timeout: float = 120) -> int:
    """SIGKILL ``proc`` once the cache holds ``n_explanations`` explanations; return how many it holds."""
    t0 = time.monotonic()
    while len(_entries(cache, "explanation")) < n_explanations:
        if proc.poll() is not None:
            raise AssertionError(f"the study ended before it could be killed: {proc.stderr.read().decode()}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError("the study made no progress")
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    proc.stderr.close()
    return len(_entries(cache, "explanation"))


def _calls(log: Path) -> int:
    return sum(int(line.split()[1]) for line in log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.slow
def test_sigkilled_study_resumes_exactly(tmp_path):
    clips, _ = clips_from_arrays(hm.clip_items(N_CLIPS), 16000)
    ref_models = hm.models()
    ref = run("deepfake", ref_models, clips, cache_dir=tmp_path / "ref", progress=False)
    ref_calls = sum(m.calls for m in ref_models)
    max_expl = int(ref.explanations.n_model_calls.max())

    cache, out = tmp_path / "cache", tmp_path / "out"
    logs = [tmp_path / f"calls{i}.log" for i in range(3)]
    first = _kill_when(_child(cache, out, logs[0]), cache, 3)
    second = _kill_when(_child(cache, out, logs[1]), cache, first + 6)
    assert 3 <= first < second < N_EXPL and not out.exists()

    # damage: a torn entry (as a non-atomic file system could leave) and stray temporaries
    finished = _entries(cache)
    torn = sorted(k for k in finished if k.startswith("explanation"))[0]
    (cache / torn).write_bytes(finished[torn][1][: len(finished[torn][1]) // 2])
    stray = cache / "explanation" / ".tmp-stray.json"
    stray.write_text("{not json")
    finished = {k: v for k, v in _entries(cache).items() if k != torn}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proc = _child(cache, out, logs[2])
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert "ignoring corrupt cache entry" in err.decode()
    table = pd.read_parquet(out / "table.parquet")
    stats = json.loads((out / "stats.json").read_text())

    pd.testing.assert_frame_equal(table, ref.table, check_exact=True)  # identical to the clean run
    after = _entries(cache)
    for k, (ino, body) in finished.items():  # nothing finished was rewritten
        assert after[k] == (ino, body), f"{k} was recomputed"
    assert stats["explained_now"] == N_EXPL - (second - 1)  # the rest, plus the torn one
    assert json.loads((cache / torn).read_text())["sha256"]  # the torn entry was rewritten whole
    total = sum(_calls(p) for p in logs)
    assert ref_calls < total <= ref_calls + 2 * max_expl  # lost at most the two explanations in flight
    assert stray.exists() and DiskCache(cache).remove_stale_temporaries(older_than_s=0) >= 1
    assert not list(cache.rglob(".tmp-*"))


def test_temporary_and_damaged_entries_are_never_read(tmp_path):
    c = DiskCache(tmp_path)
    key, payload = {"clip": "a", "seed": 0}, {"probs": [0.25, 0.75]}
    path = c.put("prediction", key, payload)
    body = path.read_bytes()
    # a writer killed before its rename leaves only a temporary: the entry is missing, not half-read
    path.rename(path.parent / ".tmp-abc.json")
    assert c.get("prediction", key) is None
    # every kind of damage reads as missing, with a warning
    entry = json.loads(body)
    damaged = {
        "truncated": body[: len(body) // 2],
        "empty": b"",
        "not json": b"\x00\x01garbage",
        "payload changed": json.dumps({**entry, "payload": {"probs": [0.75, 0.25]}}).encode(),
        "no checksum": json.dumps({"key": entry["key"], "payload": entry["payload"]}).encode(),
        "other key": json.dumps({**entry, "key": {"clip": "b", "seed": 0}}).encode(),
        "not a dict": b"[1, 2, 3]",
    }
    for what, data in damaged.items():
        path.write_bytes(data)
        with pytest.warns(UserWarning, match="corrupt cache entry"):
            assert c.get("prediction", key) is None, what
    path.write_bytes(body)
    assert c.get("prediction", key) == payload
    assert path.name == f"{key_digest(key)}.json"


def test_concurrent_writers_of_one_entry_leave_a_whole_entry(tmp_path):
    """Several processes finishing the same entry at once: last rename wins, the entry is whole."""
    code = ("import sys; from suffice.study.cache import DiskCache; c = DiskCache(sys.argv[1]);"
            "[c.put('k', {'i': i % 7}, {'v': list(range(2000))}) for i in range(30)]")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)]) for _ in range(2)]
    assert all(p.wait(120) == 0 for p in procs)
    c = DiskCache(tmp_path)
    for i in range(7):
        assert c.get("k", {"i": i}) == {"v": list(range(2000))}
    assert not list(tmp_path.rglob(".tmp-*"))
