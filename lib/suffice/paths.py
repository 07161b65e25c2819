"""Where the project's files live: the repository root and the data root (one rule, one variable).

``data_root()`` is ``$SUFFICE_DATA`` when set, else ``<repository>/data`` inside a checkout, else
``./data``. Everything that reads or writes corpora, models or caches asks this module.
"""
from __future__ import annotations

import os
from pathlib import Path

#: the one environment variable that moves the data folder
DATA_ENV = "SUFFICE_DATA"


def repo_root() -> Path | None:
    """The checkout holding this package (the folder with ``pyproject.toml`` and ``lib/``), or None
    when the package is installed outside a checkout."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file() and (parent / "lib").is_dir():
            return parent
    return None


def data_root() -> Path:
    """``$SUFFICE_DATA`` if set, else ``<repo>/data`` (``./data`` outside a checkout), absolute."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser().resolve()
    repo = repo_root()
    return (repo / "data") if repo is not None else (Path.cwd() / "data").resolve()
