"""A study's result (:class:`StudyResult`) and its atomic saving.

``save(folder)`` writes every table and the parameters into a fresh temporary folder beside
``folder``, with ``stamp.json`` (the SHA-256 of the parameters and of each file), and swaps it in with
renames under a lock (:func:`suffice.folders.replace`): a reader sees the old complete folder or the new
complete folder, never a mixture or a truncated file (between the two renames there is briefly no folder
at all).  Only a missing or empty folder, or a previous study's folder exactly as it was saved, is ever
replaced: anything else is refused before the study starts.  ``check_stamp(folder)``
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
from typing import Any, Iterable

import pandas as pd

from ..errors import OptionError, SufficeError
from ..explanation import Explanation
from ..folders import claim, locked, remove_stale, replace, resolve, staging, state, write_error

TABLES: tuple[str, ...] = ("table", "predictions", "explanations", "failures")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: the kind of folder a study saves (see :mod:`suffice.folders`)
KIND = "study"


def study_folder(folder: Path) -> str | None:
    """None when ``folder`` is a saved study exactly as saved (a valid stamp, nothing added), else why not."""
    if not (folder / "stamp.json").is_file():
        return "it has no stamp.json"
    try:
        stamp = check_stamp(folder)
    except SufficeError:
        return "its files differ from its stamp.json (changed after saving)"
    extra = sorted(set(p.name for p in folder.iterdir()) - set(stamp["files"]) - {"stamp.json"})
    return f"it holds files that are not the study's: {', '.join(extra[:4])}" if extra else None


def check_output_dir(folder: str | os.PathLike, protect: Iterable[tuple[str, str | os.PathLike]] = ()) -> Path:
    """The folder a study will be saved as (symbolic links followed); :class:`OptionError` now, before any
    work, unless it is missing, empty or a previous study's folder, can be written, and neither is nor
    contains one of ``protect`` (``(description, path)``: the cache, the manifest, the clips ...)."""
    return claim_output_dir(folder, protect)[0]


def claim_output_dir(folder: str | os.PathLike, protect: Iterable[tuple[str, str | os.PathLike]] = ()
                     ) -> tuple[Path, tuple[str | None]]:
    """:func:`check_output_dir`, and ``(state,)`` of the folder now (:func:`suffice.folders.state`), to
    pass to :meth:`StudyResult.save` as ``expect`` when the study is done."""
    out = resolve(folder)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with locked(out, what="output_dir"):  # never read mid-swap by another save
            out = claim(folder, KIND, what="output_dir", own=study_folder, protect=protect)
            seen = (state(out),)
        probe = tempfile.mkdtemp(dir=out.parent, prefix=f".tmp-{out.name}-probe-")
        os.rmdir(probe)
    except OSError as exc:
        raise OptionError(f"output_dir {out} cannot be written: {exc.strerror or exc}") from None
    return out, seen


def check_stamp(folder: str | os.PathLike) -> dict[str, Any]:
    """The stamp of a saved study; :class:`SufficeError` if a file is missing or differs from it."""
    out = Path(folder)
    try:
        stamp = json.loads((out / "stamp.json").read_text())
        if not isinstance(stamp.get("files"), dict):
            raise ValueError("no list of files")
    except (OSError, ValueError, AttributeError) as exc:
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

    def cache(self):
        """The study's on-disk cache (:class:`suffice.study.cache.DiskCache` of its ``cache_dir``, default
        ``<data root>/study-cache``), where an analysis of its tables keeps what is costly to recompute
        (``cache=`` of :func:`suffice.transfer.social_relations`)."""
        from ..paths import data_root
        from .cache import DiskCache
        return DiskCache(self.params.get("cache_dir") or data_root() / "study-cache")

    def save(self, folder: str | Path, *, expect: tuple[str | None] | None = None) -> Path:
        """Write the tables as CSV, the parameters as YAML and ``stamp.json`` as ``folder``, atomically.

        ``folder`` must be missing, empty or a previous study's folder (:func:`check_output_dir`); it is
        replaced by a swap under a lock (:func:`suffice.folders.replace`).  ``expect``: ``(state,)`` of
        the folder when the study started (:func:`suffice.folders.state`); if another run saved there
        meanwhile, that run's folder is kept and :class:`SufficeError` is raised.  Returns the folder.
        """
        import yaml
        out = check_output_dir(folder)
        remove_stale(out)
        tmp = staging(out)
        try:
            for name in TABLES:
                getattr(self, name).to_csv(tmp / f"{name}.csv", index=False)
            params_text = yaml.safe_dump(self.params, sort_keys=True)
            (tmp / "params.yaml").write_text(params_text)
            files = {p.name: _sha(p) for p in sorted(tmp.iterdir())}
            stamp = {"params_sha256": hashlib.sha256(params_text.encode()).hexdigest(), "files": files,
                     "stats": self.stats}
            (tmp / "stamp.json").write_text(json.dumps(stamp, sort_keys=True, indent=1, default=str))
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise write_error(exc, out, "the study's tables") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return replace(tmp, out, KIND, what="output_dir", own=study_folder, expect=expect)

    def __repr__(self) -> str:
        return (f"StudyResult(task={self.params.get('task')!r}, models={self.table['source'].nunique() if len(self.table) else 0}, "
                f"clips={self.predictions['clip_id'].nunique() if len(self.predictions) else 0}, "
                f"rows={len(self.table)}, failures={len(self.failures)}, stats={self.stats})")
