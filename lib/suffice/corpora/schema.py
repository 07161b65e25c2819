"""The manifest format every corpus (built or real) shares: reading a corpus's manifest and its clips,
and ways to register one."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..audio import load_audio
from ..constants import PROFILES, SAMPLE_RATE
from ..errors import SufficeError
from ..tasks import task_labels
from .paths import corpus_dir

#: manifest columns, in order
COLUMNS: tuple[str, ...] = ("clip_id", "path", "label", "split", "source", "speaker", "system", "text",
                            "duration", "sample_rate")
SPLITS: tuple[str, ...] = ("train", "val", "test")
_TEXT_COLUMNS = ("clip_id", "path", "label", "split", "source", "speaker", "system", "text")


def empty_manifest() -> pd.DataFrame:
    """A manifest with the right columns and no rows."""
    return normalise(pd.DataFrame({c: [] for c in COLUMNS}))


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Columns in order, text columns as str ('' for missing), numbers as numbers."""
    out = df.copy()
    for c in COLUMNS:
        if c not in out.columns:
            out[c] = "" if c in _TEXT_COLUMNS else 0
    out = out[list(COLUMNS)]
    for c in _TEXT_COLUMNS:
        out[c] = out[c].fillna("").astype(str)
    out["duration"] = pd.to_numeric(out["duration"], errors="coerce").astype(float)
    out["sample_rate"] = pd.to_numeric(out["sample_rate"], errors="coerce").fillna(0).astype(int)
    return out.reset_index(drop=True)


def validate(df: pd.DataFrame, task: str, *, check_files: bool = False) -> pd.DataFrame:
    """Return ``df`` normalised, or raise :class:`SufficeError` saying what is wrong with it."""
    labels = set(task_labels(task))
    missing = [c for c in ("path", "label", "split") if c not in df.columns]
    if missing:
        raise SufficeError(f"manifest lacks column(s) {missing}; expected {list(COLUMNS)}")
    out = normalise(df)
    if "clip_id" not in df.columns or (out["clip_id"] == "").any():
        out["clip_id"] = [Path(p).stem if not c else c for p, c in zip(out["path"], out["clip_id"])]
    bad = sorted(set(out["label"]) - labels)
    if bad:
        raise SufficeError(f"labels {bad} are not canonical for task {task!r}; allowed: {sorted(labels)}")
    bad = sorted(set(out["split"]) - set(SPLITS))
    if bad:
        raise SufficeError(f"split values {bad} are not among {SPLITS}")
    if out["clip_id"].duplicated().any():
        dup = out.loc[out["clip_id"].duplicated(), "clip_id"].iloc[0]
        raise SufficeError(f"clip_id {dup!r} appears more than once")
    rel = [p for p in out["path"] if not os.path.isabs(p)]
    if rel:
        raise SufficeError(f"manifest paths must be absolute, e.g. {rel[0]!r}")
    if check_files:
        gone = [p for p in out["path"] if not os.path.isfile(p)]
        if gone:
            raise SufficeError(f"{len(gone)} manifest file(s) do not exist, e.g. {gone[0]}")
    return out


def manifest_from_csv(path: str | os.PathLike, task: str) -> pd.DataFrame:
    """Read and validate a manifest CSV; relative paths are taken relative to the CSV's folder."""
    p = Path(path)
    if not p.is_file():
        raise SufficeError(f"no manifest CSV at {p}")
    df = pd.read_csv(p, dtype={c: str for c in _TEXT_COLUMNS}, keep_default_na=False)
    if "path" in df.columns:
        df["path"] = [q if os.path.isabs(q) else str((p.parent / q).resolve()) for q in df["path"]]
    return validate(df, task)


def register_dataset(task: str, manifest: pd.DataFrame | str | os.PathLike, profile: str = "real") -> Path:
    """Make a manifest (DataFrame or CSV path) available as ``manifest(task, profile)``.

    Writes ``data/corpora/<profile>/<task>/manifest.csv`` (absolute paths, validated, files checked).
    Returns the written path.
    """
    skipped = manifest.attrs.get("skipped", []) if isinstance(manifest, pd.DataFrame) else []
    df = (manifest_from_csv(manifest, task) if not isinstance(manifest, pd.DataFrame)
          else validate(manifest, task))
    df = validate(df, task, check_files=True)
    out = corpus_dir(task, profile)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "manifest.csv"
    df.to_csv(target, index=False)
    with open(out / "build.log", "w", encoding="utf-8") as log:
        log.write(f"# registered {len(df)} clips; {len(skipped)} file(s) skipped\n")
        for path, reason in skipped:
            log.write(f"SKIP {path}: {reason}\n")
    (out / "README.md").write_text(
        f"# {task} corpus `{profile}` (registered)\n\nRegistered with `suffice.corpora.register_dataset`: "
        f"{len(df)} clips, labels {sorted(set(df['label']))}.\n", encoding="utf-8")
    return target


def manifest(task: str, profile: str = "default") -> pd.DataFrame:
    """The manifest of a built (or registered) corpus, validated; a clear error if it is not built."""
    task_labels(task)
    path = corpus_dir(task, profile) / "manifest.csv"
    if not path.is_file():
        hint = (f"python -m suffice.corpora build --profile {profile} --task {task}` (or `make data "
                f"PROFILE={profile}`)" if profile in PROFILES else
                f"suffice.corpora.register_dataset({task!r}, ..., profile={profile!r})`")
        raise SufficeError(f"the {task} corpus for profile {profile!r} is not built yet ({path} is missing); "
                           f"build it with `{hint}")
    return manifest_from_csv(path, task)


def load_clip(path: str | os.PathLike) -> np.ndarray:
    """A clip as float32 mono at 16 kHz."""
    return load_audio(path, SAMPLE_RATE)
