"""suffice.fingerprint: one hash over a folder's relative paths and bytes, nothing else."""
from __future__ import annotations

import hashlib
import os

import pytest

from suffice.errors import SufficeError
from suffice.fingerprint import LENGTH, fingerprint


def _tree(root, files):
    root.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


FILES = {"manifest.csv": b"clip_id,path\nx,clips/a/x.wav\n", "clips/a/x.wav": b"\x00\x01" * 50,
         "clips/b/y.wav": b"RIFF"}


def test_the_digest_is_the_documented_one(tmp_path):
    """Expected value written out: SHA-256 over 'path NUL size NUL sha256(bytes) LF' lines, sorted by path."""
    root = _tree(tmp_path / "c", FILES)
    lines = "".join(f"{rel}\0{len(data)}\0{hashlib.sha256(data).hexdigest()}\n" for rel, data in sorted(FILES.items()))
    assert fingerprint(root) == hashlib.sha256(lines.encode()).hexdigest()[:LENGTH]
    assert fingerprint(_tree(tmp_path / "empty", {})) == hashlib.sha256(b"").hexdigest()[:LENGTH]


def test_same_files_anywhere_anytime_give_the_same_fingerprint(tmp_path):
    a = _tree(tmp_path / "a", FILES)
    b = _tree(tmp_path / "elsewhere" / "b", dict(reversed(list(FILES.items()))))  # written in another order
    os.utime(b / "clips/a/x.wav", (1, 1))
    os.chmod(b / "manifest.csv", 0o600)
    assert fingerprint(a) == fingerprint(b)


@pytest.mark.parametrize("change", ["byte", "rename", "add", "remove"])
def test_any_change_of_content_or_names_changes_it(tmp_path, change):
    a = _tree(tmp_path / "a", FILES)
    before = fingerprint(a)
    if change == "byte":
        (a / "clips/b/y.wav").write_bytes(b"RIFX")
    elif change == "rename":
        (a / "clips/b/y.wav").rename(a / "clips/b/z.wav")
    elif change == "add":
        (a / "clips/b/new.wav").write_bytes(b"")
    else:
        (a / "clips/a/x.wav").unlink()
    assert fingerprint(a) != before


def test_excluded_and_hidden_files_do_not_count(tmp_path):
    a = _tree(tmp_path / "a", FILES)
    before = fingerprint(a)
    _tree(a, {"build.json": b'{"seconds": 3}', "logs/run.log": b"x", ".config-hash": b"abc", ".tmp/x": b"y"})
    assert fingerprint(a, exclude=("build.json", "*.log")) == before
    assert fingerprint(a) != before  # build.json and the log count unless excluded


def test_not_a_folder_is_a_clear_error(tmp_path):
    (tmp_path / "f").write_text("x")
    for bad in (tmp_path / "f", tmp_path / "missing"):
        with pytest.raises(SufficeError, match="not a directory"):
            fingerprint(bad)
