"""Where corpora live on disk: ``data_root()/corpora/<profile>/<task>/`` (roots from :mod:`suffice.paths`)."""
from __future__ import annotations

from pathlib import Path

from ..paths import data_root, repo_root

PROFILES: tuple[str, ...] = ("default", "smoke")

_repo_root = repo_root  # the old private name (study.params still imports it)

__all__ = ["PROFILES", "cache_dir", "corpus_dir", "data_root", "repo_root"]


def corpus_dir(task: str, profile: str = "default") -> Path:
    """Folder of one corpus: manifest.csv, README.md, build.log, clips/."""
    return data_root() / "corpora" / profile / task


def cache_dir(name: str) -> Path:
    """A shared, rebuildable cache folder (decoded source recordings and the like)."""
    return data_root() / "cache" / name
