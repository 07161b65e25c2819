"""Clips for a study: balanced selection from a manifest, loading with per-clip failure records."""
from __future__ import annotations

import hashlib
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

    @property
    def digest(self) -> str:
        return hashlib.sha256(np.ascontiguousarray(self.waveform, np.float32).tobytes()).hexdigest()[:32]


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
        parts.append(grp.sample(n=min(per_class, len(grp)), random_state=seed).sort_values("clip_id"))
    return pd.concat(parts, ignore_index=True)


def load_clips(manifest: pd.DataFrame, sample_rate: int) -> tuple[list[Clip], list[dict]]:
    """Load every row of a manifest; a clip that cannot be used becomes a failure record, not an error."""
    clips, failures = [], []
    for row in manifest.itertuples(index=False):
        cid = str(row.clip_id)
        try:
            x = load_audio(row.path, sample_rate)
        except SufficeError as exc:
            failures.append({"clip_id": cid, "model": None, "stage": "load", "reason": str(exc)})
            continue
        except (OSError, TypeError, ValueError) as exc:  # unreadable path, a blank cell in the manifest ...
            failures.append({"clip_id": cid, "model": None, "stage": "load",
                             "reason": f"cannot load {row.path!r}: {type(exc).__name__}: {exc}"})
            continue
        clips.append(Clip(cid, x, getattr(row, "label", None), str(row.path)))
    return clips, failures


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
