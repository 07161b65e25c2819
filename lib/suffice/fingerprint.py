"""A fingerprint of a built artefact (a corpus, a model): one hash over its files' names and bytes.

Two folders have the same fingerprint exactly when they hold the same files (same relative paths, same
contents), wherever they live and whenever they were written: timestamps, permissions and the folder's
own location do not enter. Build facts that change from run to run (seconds, load, the machine) live in
files that a caller leaves out with ``exclude``.
"""
from __future__ import annotations

import hashlib
import os
from fnmatch import fnmatch
from pathlib import Path
from typing import Iterable

from .errors import SufficeError

#: characters of the hex digest kept (64 bits: collisions are not a concern for a handful of builds)
LENGTH = 16
_CHUNK = 1 << 20


def fingerprint(folder: str | os.PathLike, exclude: Iterable[str] = ()) -> str:
    """Hex SHA-256 prefix over every regular file below ``folder``, in sorted relative-path order.

    Each file contributes its relative POSIX path, its size and the SHA-256 of its bytes. ``exclude``
    holds glob patterns matched against the relative path and against the file name (e.g.
    ``"card.json"``, ``"*.log"``); hidden files and folders (a leading ``.``) are left out too.
    Symbolic links are followed. Raises :class:`SufficeError` if ``folder`` is not a directory.
    """
    root = Path(folder)
    if not root.is_dir():
        raise SufficeError(f"cannot fingerprint {root}: not a directory")
    patterns = tuple(exclude)
    files = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if name.startswith(".") or any(fnmatch(rel, pat) or fnmatch(name, pat) for pat in patterns):
                continue
            if p.is_file():
                files.append((rel, p))
    outer = hashlib.sha256()
    for rel, p in sorted(files):
        inner = hashlib.sha256()
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(_CHUNK), b""):
                inner.update(block)
        outer.update(f"{rel}\0{p.stat().st_size}\0{inner.hexdigest()}\n".encode())
    return outer.hexdigest()[:LENGTH]
