"""A content-addressed on-disk cache with atomic writes and checksums.

Each entry is one JSON file named by the SHA-256 of its key (a JSON-able dict that names every input
the result depends on: library version, options, model identity, clip hash, seed).  Writes go to a
temporary file in the same folder, are fsynced and renamed into place, so a killed process never
leaves a half-written entry (it may leave a ``.tmp-*`` file, which is never read back).  Each entry
carries its key and the SHA-256 of its payload; an entry that does not parse, whose checksum does not
match, or whose stored key is not the key asked for is treated as missing (recomputed), never read
back; ``get`` also takes a ``check`` that validates the payload against its schema (shape, range,
consistency with what the study knows), and an entry that fails it is treated as damaged too.  Entries
are created readable by the group (the umask permitting), so a second user sharing the folder reads
them instead of overwriting them.  ``put_or_record`` keeps going when an entry cannot be written (a
full disk): the result stays in the study's tables, the failure is counted and reported once.

The cache is trusted storage, like the code itself: the checksums and checks catch damage (a torn
write, a truncated or copied file, an entry that breaks its schema), not forgery.  Whoever can write
the folder can plant a well-formed entry with its checksum recomputed, and the study will serve it.
Keep the cache where only you (or your group) can write, and delete it to recompute everything.
Several processes (or Dask workers) may share one cache folder: the worst case is the same
entry computed twice, and the last rename wins with identical content.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

from ..errors import OptionError


def _file_mode() -> int:
    """0o666 minus the process umask (mkstemp's own files are 0600)."""
    old = os.umask(0o022)
    os.umask(old)
    return 0o666 & ~old


_MODE = _file_mode()


def key_digest(key: dict[str, Any]) -> str:
    """Stable hex digest of a key dict."""
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


class DiskCache:
    """JSON entries under ``root/<kind>/<digest[:2]>/<digest>.json``."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0
        self.write_failures = 0
        self.first_write_error: str | None = None

    def _path(self, kind: str, digest: str) -> Path:
        return self.root / kind / digest[:2] / f"{digest}.json"

    def _read(self, path: Path, key: dict[str, Any], check: Callable[[Any], bool] | None = None
              ) -> tuple[bool | None, Any]:
        """(True, payload) for a sound entry, (None, None) when there is none, (False, None) if damaged."""
        try:
            entry = json.loads(path.read_text())
            payload = entry["payload"]
            ok = entry["sha256"] == hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
            # the entry must be the one asked for (a copied or misplaced file is not)
            ok = ok and entry["key"] == json.loads(json.dumps(key, sort_keys=True, default=str))
            ok = ok and (check is None or bool(check(payload)))
        except (FileNotFoundError, NotADirectoryError):
            return None, None
        except (OSError, ValueError, KeyError, TypeError):
            return False, None
        return (True, payload) if ok else (False, None)

    def get(self, kind: str, key: dict[str, Any], check: Callable[[Any], bool] | None = None) -> Any | None:
        """The payload stored under ``key``, or None (missing, damaged or failing ``check``: recompute it)."""
        path = self._path(kind, key_digest(key))
        ok, payload = self._read(path, key, check)
        if ok is None:
            self.misses += 1
            return None
        if not ok:
            warnings.warn(f"ignoring corrupt cache entry {path}; it will be recomputed", stacklevel=2)
            self.misses += 1
            return None
        self.hits += 1
        return payload

    def has(self, kind: str, key: dict[str, Any], check: Callable[[Any], bool] | None = None) -> bool:
        """Whether a sound entry is stored under ``key`` (no counting, no warning)."""
        return bool(self._read(self._path(kind, key_digest(key)), key, check)[0])

    def check_writable(self) -> None:
        """Raise :class:`~suffice.errors.OptionError` now, not hours later, if entries cannot be written."""
        if self.root.is_symlink() and not self.root.exists():
            raise OptionError(f"the cache folder {self.root} is a broken symbolic link (to "
                              f"{os.readlink(self.root)}); create its target or give another folder")
        if self.root.exists() and not self.root.is_dir():
            raise OptionError(f"the cache folder {self.root} exists and is not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-probe-")
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            raise OptionError(f"the cache folder {self.root} is not writable: {exc.strerror or exc}") from None

    def remove_stale_temporaries(self, older_than_s: float = 3600.0) -> int:
        """Delete ``.tmp-*`` files a killed writer left behind (never read as entries); returns the count."""
        now, n = time.time(), 0
        for tmp in self.root.rglob(".tmp-*"):
            try:
                if now - tmp.stat().st_mtime > older_than_s:
                    tmp.unlink()
                    n += 1
            except OSError:
                pass
        return n

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
            os.chmod(tmp, _MODE)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def put_or_record(self, kind: str, key: dict[str, Any], payload: Any) -> bool:
        """``put``, but an :class:`OSError` (full disk, read-only folder) is counted, not raised.

        The caller keeps the result; :meth:`write_report` says once how many entries were lost.
        """
        try:
            self.put(kind, key, payload)
        except OSError as exc:
            self.write_failures += 1
            if self.first_write_error is None:
                self.first_write_error = f"{type(exc).__name__}: {exc}"
            return False
        return True

    def write_report(self) -> str | None:
        """One line on the entries that could not be stored, or None when every write succeeded."""
        if not self.write_failures:
            return None
        return (f"could not store {self.write_failures} result(s) in the cache {self.root} "
                f"({self.first_write_error}); they are in this run's tables but will be recomputed next time")
