"""Where corpora live on disk: ``data_root()/corpora/<profile>/<task>/``."""
from __future__ import annotations

from pathlib import Path

from ..constants import PROFILES  # noqa: F401  (re-exported: suffice.corpora.PROFILES)
from ..paths import data_root, find_repo_root as _repo_root, repo_root  # noqa: F401  (one rule: suffice.paths)


def corpus_dir(task: str, profile: str = "default") -> Path:
    """Folder of one corpus: manifest.csv, README.md, build.log, clips/."""
    return data_root() / "corpora" / profile / task


def cache_dir(name: str) -> Path:
    """A shared, rebuildable cache folder (decoded source recordings and the like)."""
    return data_root() / "cache" / name
