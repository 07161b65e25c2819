"""Where corpora live on disk: ``data_root()/corpora/<profile>/<task>/``."""
from __future__ import annotations

import os
from pathlib import Path

PROFILES: tuple[str, ...] = ("default", "smoke")


def _repo_root() -> Path | None:
    """The folder holding ``pyproject.toml`` above ``lib/`` (None when installed elsewhere)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "lib").is_dir():
            return parent
    return None


def data_root() -> Path:
    """``$SUFFICE_DATA`` if set, else ``<repo>/data`` (``./data`` outside a checkout)."""
    env = os.environ.get("SUFFICE_DATA")
    if env:
        return Path(env).expanduser().resolve()
    repo = _repo_root()
    return (repo / "data") if repo is not None else (Path.cwd() / "data").resolve()


def corpus_dir(task: str, profile: str = "default") -> Path:
    """Folder of one corpus: manifest.csv, README.md, build.log, clips/."""
    return data_root() / "corpora" / profile / task


def cache_dir(name: str) -> Path:
    """A shared, rebuildable cache folder (decoded source recordings and the like)."""
    return data_root() / "cache" / name
