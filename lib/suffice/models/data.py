"""Where the zoo reads its training data and writes its models."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..errors import SufficeError
from ..paths import data_root
from .base import content_hash

SPLITS = ("train", "val", "test")


def models_dir(profile: str, task: str | None = None) -> Path:
    """``data/models/<profile>[/<task>]``."""
    p = data_root() / "models" / profile
    return p / task if task else p


@dataclass
class Split:
    """Waveforms (N, T) float32 and canonical labels of one split."""

    x: np.ndarray
    y: list[str]
    clip_ids: list[str]


def load_task(task: str, profile: str, splits: tuple[str, ...] = SPLITS,
              progress: bool = True) -> tuple[dict[str, Split], str]:
    """All clips of ``task``'s corpus by split, and a content hash of them (waveforms + labels)."""
    try:
        from ..corpora import load_clip, manifest
    except ImportError as exc:
        raise SufficeError("suffice.corpora is not available: cannot read the task corpus") from exc
    try:
        df = manifest(task, profile)
    except Exception as exc:
        raise SufficeError(f"no {profile} corpus for {task}: run `make data PROFILE={profile}` first "
                           f"({exc})") from exc
    out: dict[str, Split] = {}
    parts: list[bytes | str] = []
    for split in splits:
        rows = df[df["split"] == split].sort_values("clip_id")
        if rows.empty:
            raise SufficeError(f"the {profile} {task} corpus has no {split} clips")
        waves = [load_clip(p) for p in tqdm(rows["path"], desc=f"{task}/{split} clips", disable=not progress,
                                            leave=False)]
        n = min(len(w) for w in waves)
        if max(len(w) for w in waves) != n:
            waves = [w[:n] for w in waves]  # clips of a task share one length; trim stragglers
        x = np.stack(waves).astype(np.float32)
        y = rows["label"].astype(str).tolist()
        ids = rows["clip_id"].astype(str).tolist()
        out[split] = Split(x, y, ids)
        parts += [split, "\n".join(f"{i}\t{l}" for i, l in zip(ids, y)), x.tobytes()]
    return out, content_hash(parts)
