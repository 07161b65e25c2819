"""The study's cache (suffice.study.cache): entries round-trip; a corrupt or forged entry is recomputed,
never read; a failed write costs a warning, not the results; entries are group-readable and stale
temporaries cleaned; a folder that cannot hold entries is refused up front."""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from suffice import OptionError
from suffice.study import clips_from_arrays, run
from suffice.study.cache import DiskCache

import _hostile_models as hm


def _clips(n=2):
    return clips_from_arrays(hm.clip_items(n), 16000)[0]


def _forge(path: Path, change) -> None:
    """Rewrite a cache entry's payload with ``change`` and a matching checksum."""
    e = json.loads(path.read_text())
    e["payload"] = change(e["payload"])
    e["sha256"] = hashlib.sha256(json.dumps(e["payload"], sort_keys=True).encode()).hexdigest()
    path.write_text(json.dumps(e))


def _entries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.json") if not p.name.startswith(".")]


def test_cache_roundtrip(tmp_path):
    c = DiskCache(tmp_path)
    assert c.get("k", {"a": 1}) is None
    c.put("k", {"a": 1}, {"x": [1, 2]})
    assert c.get("k", {"a": 1}) == {"x": [1, 2]}
    assert not list(tmp_path.rglob(".tmp-*"))


def test_corrupt_cache_entry_is_recomputed_not_read(tmp_path):
    clips = _clips(2)
    ref = run("deepfake", hm.models(), clips, cache_dir=tmp_path, progress=False)
    victim = next((tmp_path / "explanation").rglob("*.json"))
    victim.write_text(victim.read_text()[:-40] + "garbage")
    models = hm.models()
    with pytest.warns(UserWarning, match="corrupt cache entry"):
        res = run("deepfake", models, clips, cache_dir=tmp_path, progress=False)
    assert res.stats["explained_now"] == 1
    pd.testing.assert_frame_equal(res.table, ref.table)


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




@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_cache_is_refused_up_front(tmp_path):  # pragma: no cover - CI runs as root
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    clips, _ = clips_from_arrays(hm.clip_items(1), 16000)
    with pytest.raises(OptionError, match="not writable"):
        run("deepfake", hm.models()[:1], clips, cache_dir=ro, progress=False)


def test_cache_folder_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    clips, _ = clips_from_arrays(hm.clip_items(1), 16000)
    with pytest.raises(OptionError, match="exists and is not a folder"):
        run("deepfake", hm.models()[:1], clips, cache_dir=f, progress=False)


def test_a_dangling_cache_link_says_so(tmp_path):
    link = tmp_path / "cache"
    link.symlink_to(tmp_path / "gone")
    clips, _ = clips_from_arrays(hm.clip_items(1), 16000)
    with pytest.raises(OptionError, match="broken symbolic link"):
        run("deepfake", hm.models()[:1], clips, cache_dir=link, progress=False)
