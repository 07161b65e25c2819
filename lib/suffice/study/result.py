"""A study's result (:class:`StudyResult`) and its atomic saving.

``save(folder)`` writes every table and the parameters into a fresh temporary folder beside
``folder``, with ``stamp.json`` (the SHA-256 of the parameters and of each file), and swaps it in with
renames: a reader sees the old complete folder or the new complete folder, never a mixture or a
truncated file (between the two renames there is briefly no folder at all).  ``check_stamp(folder)``
verifies a saved folder against its stamp.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import OptionError, SufficeError
from ..explanation import Explanation

TABLES: tuple[str, ...] = ("table", "predictions", "explanations", "failures")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_output_dir(folder: str | os.PathLike) -> Path:
    """Raise :class:`OptionError` now (before any work) unless a study can be saved as ``folder``."""
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OptionError(f"output_dir {out} exists and is not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(dir=out.parent, prefix=f".tmp-{out.name}-probe-")
        os.rmdir(probe)
    except OSError as exc:
        raise OptionError(f"output_dir {out} cannot be written: {exc}") from None
    return out


def check_stamp(folder: str | os.PathLike) -> dict[str, Any]:
    """The stamp of a saved study; :class:`SufficeError` if a file is missing or differs from it."""
    out = Path(folder)
    try:
        stamp = json.loads((out / "stamp.json").read_text())
    except (OSError, ValueError) as exc:
        raise SufficeError(f"{out} has no readable stamp.json ({exc}); it is not a saved study") from None
    for name, digest in stamp["files"].items():
        p = out / name
        if not p.is_file() or _sha(p) != digest:
            raise SufficeError(f"{p} does not match the stamp of {out}: the folder was changed after saving")
    return stamp


@dataclass
class StudyResult:
    """Tidy tables of one study run (see :data:`suffice.transfer.TABLE_COLUMNS`)."""

    table: pd.DataFrame
    predictions: pd.DataFrame
    explanations: pd.DataFrame
    failures: pd.DataFrame
    params: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)
    _explanations: dict[tuple[str, str], Explanation] = field(default_factory=dict, repr=False)

    def explanation(self, model: str, clip_id: str) -> Explanation:
        """The full :class:`Explanation` of ``model`` on ``clip_id``."""
        try:
            return self._explanations[(model, str(clip_id))]
        except KeyError:
            raise SufficeError(f"no explanation of clip {clip_id!r} by {model!r} in this study") from None

    def save(self, folder: str | Path) -> Path:
        """Write the tables as CSV, the parameters as YAML and ``stamp.json`` to ``folder``, atomically."""
        import yaml
        out = check_output_dir(folder)
        _remove_stale(out)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".tmp-{out.name}-"))
        old = None
        try:
            for name in TABLES:
                getattr(self, name).to_csv(tmp / f"{name}.csv", index=False)
            params_text = yaml.safe_dump(self.params, sort_keys=True)
            (tmp / "params.yaml").write_text(params_text)
            files = {p.name: _sha(p) for p in sorted(tmp.iterdir())}
            stamp = {"params_sha256": hashlib.sha256(params_text.encode()).hexdigest(), "files": files,
                     "stats": self.stats}
            (tmp / "stamp.json").write_text(json.dumps(stamp, sort_keys=True, indent=1, default=str))
            os.chmod(tmp, 0o755 & ~_umask())
            if out.exists():
                old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".old-{out.name}-"))
                os.rmdir(old)
                os.replace(out, old)
            os.replace(tmp, out)
        except BaseException:
            if old is not None and old.exists() and not out.exists():
                os.replace(old, out)  # put the previous complete folder back
                old = None
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return out

    def __repr__(self) -> str:
        return (f"StudyResult(task={self.params.get('task')!r}, models={self.table['source'].nunique() if len(self.table) else 0}, "
                f"clips={self.predictions['clip_id'].nunique() if len(self.predictions) else 0}, "
                f"rows={len(self.table)}, failures={len(self.failures)}, stats={self.stats})")


def _remove_stale(out: Path, older_than_s: float = 3600.0) -> None:
    """Delete ``.tmp-<name>-*`` / ``.old-<name>-*`` folders that a killed save left beside ``out``."""
    import time
    now = time.time()
    for pattern in (f".tmp-{out.name}-*", f".old-{out.name}-*"):
        for p in out.parent.glob(pattern):
            try:
                if p.is_dir() and now - p.stat().st_mtime > older_than_s:
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:
                pass


def _umask() -> int:
    old = os.umask(0o022)
    os.umask(old)
    return old
