"""A content-addressed on-disk cache with atomic writes and checksums.

Each entry is one JSON file named by the SHA-256 of its key (a JSON-able dict that names every input
the result depends on: library version, options, model identity, clip hash, seed).  Writes go to a
temporary file in the same folder and are renamed into place, so a killed process never leaves a
half-written entry; each entry carries the SHA-256 of its payload, and an entry whose checksum does
not match is treated as missing (and recomputed), never read back.  Several processes (or Dask
workers) may share one cache folder: the worst case is the same entry computed twice.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any


def key_digest(key: dict[str, Any]) -> str:
    """Stable hex digest of a key dict."""
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


class DiskCache:
    """JSON entries under ``root/<kind>/<digest[:2]>/<digest>.json``."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0

    def _path(self, kind: str, digest: str) -> Path:
        return self.root / kind / digest[:2] / f"{digest}.json"

    def get(self, kind: str, key: dict[str, Any]) -> Any | None:
        path = self._path(kind, key_digest(key))
        try:
            entry = json.loads(path.read_text())
            payload = entry["payload"]
            ok = entry["sha256"] == hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            warnings.warn(f"ignoring corrupt cache entry {path}; it will be recomputed", stacklevel=2)
            self.misses += 1
            return None
        self.hits += 1
        return payload

    def put(self, kind: str, key: dict[str, Any], payload: Any) -> Path:
        path = self._path(kind, key_digest(key))
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"key": key, "payload": payload,
                "sha256": hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(body, f, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path
