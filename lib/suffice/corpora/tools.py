"""Checks that a build's external tools, packages and data files exist, with install hints."""
from __future__ import annotations

import importlib
import shutil
import warnings
from pathlib import Path

from ..errors import SufficeError


class MissingToolError(SufficeError, RuntimeError):
    """A program, Python package or data file the corpus build needs is not installed."""


def require_program(name: str, apt: str) -> str:
    """Path of executable ``name`` or an error naming the Debian package that provides it."""
    path = shutil.which(name)
    if path is None:
        raise MissingToolError(f"the program {name!r} is needed to build this corpus but is not on PATH; "
                               f"install it with `apt-get install -y {apt}` (or `make apt`)")
    return path


def require_module(module: str, pip: str) -> None:
    """Import ``module`` or raise an error naming the pip requirement that provides it."""
    try:
        with warnings.catch_warnings():  # e.g. pyworld's pkg_resources deprecation notice
            warnings.simplefilter("ignore")
            importlib.import_module(module)
    except ImportError as exc:
        raise MissingToolError(f"the Python package {module!r} is needed to build this corpus but cannot be "
                               f"imported ({exc}); install it with `pip install {pip}` "
                               f"(pinned in requirements.txt; `make venv`)") from exc


def require_file(path: str | Path, apt: str) -> Path:
    """``path`` if it exists, else an error naming the Debian package that ships it."""
    p = Path(path)
    if not p.exists():
        raise MissingToolError(f"{p} is needed to build this corpus but does not exist; "
                               f"install it with `apt-get install -y {apt}` (or `make apt`)")
    return p
