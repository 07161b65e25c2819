"""Clips for a study: balanced selection from a manifest, loading with per-clip failure records.

Selection is nested: with the same seed, ``clips_per_class=r`` picks the first ``r`` clips of one
seeded order of each class, so a smaller selection is a subset of a larger one.  Only regular files
are opened (a FIFO or a device would block the study forever).  A file named by several rows is read
once, and its clips share one read-only array.
"""
from __future__ import annotations

import hashlib
import os
import stat
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..audio import load_audio, validate_waveform
from ..errors import OptionError, SufficeError


@dataclass(frozen=True)
class Clip:
    """One clip of a study: id, samples at the models' rate, true label (if known)."""

    clip_id: str
    waveform: np.ndarray
    label: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        # the study's own read-only copy: nothing (a model included) can change what the others see
        w = np.asarray(self.waveform)
        if w.flags.writeable or not w.flags.c_contiguous:
            w = np.array(w, copy=True, order="C")
            w.flags.writeable = False
        object.__setattr__(self, "waveform", w)

    @property
    def digest(self) -> str:
        d = self.__dict__.get("_digest")
        if d is None:
            d = hashlib.sha256(np.ascontiguousarray(self.waveform, np.float32).tobytes()).hexdigest()[:32]
            object.__setattr__(self, "_digest", d)
        return d


def select_clips(manifest: pd.DataFrame, per_class: int, *, split: str | None = "test",
                 seed: int = 0) -> pd.DataFrame:
    """Up to ``per_class`` clips of each label from ``split`` (None: all splits), seeded and stable."""
    if per_class < 1:
        raise OptionError(f"clips_per_class must be >= 1, got {per_class}")
    df = manifest
    if split is not None:
        if "split" not in df.columns:
            raise OptionError("the manifest has no 'split' column; pass split=None to use every clip")
        df = df[df["split"] == split]
        if df.empty:
            raise SufficeError(f"the manifest has no clips in split {split!r}")
    parts = []
    for label, grp in df.groupby("label", sort=True):
        if len(grp) < per_class:
            warnings.warn(f"only {len(grp)} clips of {label!r} in split {split!r} (asked {per_class})", stacklevel=2)
        # one seeded order of the whole class, cut at per_class: nested across per_class values (and the
        # same clips as ``grp.sample(n=per_class, random_state=seed)``)
        order = grp.sample(frac=1.0, random_state=seed)
        parts.append(order.head(per_class).sort_values("clip_id"))
    return pd.concat(parts, ignore_index=True)


def _regular_file(path) -> None:
    """Raise :class:`SufficeError` if ``path`` exists but is not a regular file (links followed): a FIFO
    or a device would block the study forever.  A missing path is left to the loader's own message."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        raise SufficeError(f"{path} is {kind}; only regular files are opened as clips")


def load_clips(manifest: pd.DataFrame, sample_rate: int) -> tuple[list[Clip], list[dict]]:
    """Load every row of a manifest; a clip that cannot be used becomes a failure record, not an error."""
    clips, failures = [], []
    read: dict[str, np.ndarray] = {}  # a file named by several rows is read once
    for row in manifest.itertuples(index=False):
        cid = str(row.clip_id)
        try:
            key = os.path.realpath(row.path) if isinstance(row.path, (str, os.PathLike)) else None
            if key is not None and key in read:
                clips.append(Clip(cid, read[key], getattr(row, "label", None), str(row.path)))
                continue
            _regular_file(row.path)
            x = load_audio(row.path, sample_rate)
        except SufficeError as exc:
            failures.append({"clip_id": cid, "model": None, "stage": "load", "reason": str(exc)})
            continue
        except (OSError, TypeError, ValueError) as exc:  # unreadable path, a blank cell in the manifest ...
            failures.append({"clip_id": cid, "model": None, "stage": "load",
                             "reason": f"cannot load {row.path!r}: {type(exc).__name__}: {exc}"})
            continue
        clip = Clip(cid, x, getattr(row, "label", None), str(row.path))
        if key is not None:
            read[key] = clip.waveform
        clips.append(clip)
    return clips, failures


def duplicate_groups(clips: list[Clip]) -> dict[str, list[str]]:
    """Clip ids by content digest, for the digests that more than one clip shares."""
    groups: dict[str, list[str]] = {}
    for c in clips:
        groups.setdefault(c.digest, []).append(c.clip_id)
    return {d: ids for d, ids in groups.items() if len(ids) > 1}


def clips_from_arrays(items, sample_rate: int) -> tuple[list[Clip], list[dict]]:
    """Clips from ``(clip_id, waveform, label)`` tuples, validated like files."""
    clips, failures = [], []
    for cid, x, label in items:
        try:
            clips.append(Clip(str(cid), validate_waveform(x, sample_rate, name=str(cid)), label))
        except SufficeError as exc:
            failures.append({"clip_id": str(cid), "model": None, "stage": "load", "reason": str(exc)})
    ids = [c.clip_id for c in clips]
    if len(set(ids)) != len(ids):
        raise OptionError("clip ids must be unique")
    return clips, failures
