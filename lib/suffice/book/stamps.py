"""Content keys that decide whether an executed chapter is still current.

A chapter is re-executed when any of these change: the notebook's text, the resolved parameters,
the library (its version and the text of every module), and the state of the data it depends on
(path, size and modification time of every file under its ``depends`` folders).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

import suffice


def sha256_text(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


#: modules that orchestrate the book but cannot change what a chapter computes
_NOT_RESULTS = {"book/build.py", "book/site.py", "book/chapters.py", "book/__main__.py"}


def library_stamp() -> str:
    """The library version plus a hash of its Python sources (bar the book's build orchestration)."""
    root = Path(suffice.__file__).parent
    h = hashlib.sha256(suffice.__version__.encode())
    for f in sorted(root.rglob("*.py")):
        if f.relative_to(root).as_posix() in _NOT_RESULTS:
            continue
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return f"{suffice.__version__}+{h.hexdigest()[:16]}"


def data_stamp(paths: Iterable[str | Path], base: Path) -> str:
    """A hash of (relative path, size, mtime) of every file under ``paths`` (missing paths count too)."""
    h = hashlib.sha256()
    for p in paths:
        p = base / p
        h.update(str(p.relative_to(base)).encode())
        if not p.exists():
            h.update(b"<missing>")
            continue
        files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())
        for f in files:
            st = f.stat()
            h.update(f"{f.relative_to(base)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def run_key(notebook_text: str, params: dict[str, Any], depends: Iterable[str], base: Path) -> dict[str, str]:
    """Everything that makes an executed chapter what it is."""
    return {
        "notebook": sha256_text(notebook_text)[:16],
        "params": sha256_text(json.dumps(params, sort_keys=True, default=str))[:16],
        "library": library_stamp(),
        "data": data_stamp(depends, base),
    }
