"""Where the repository and the data folder are: one rule, one environment variable.

* :func:`repo_root`: the checkout this library is imported from (the folder above ``lib/suffice`` that
  holds ``pyproject.toml``); for an installed copy, the nearest folder at or above the working directory
  that holds ``pyproject.toml``, ``notebooks/`` and ``book/``.
* :func:`data_root`: ``$SUFFICE_DATA`` when set (corpora, models, caches and results then live there),
  else ``<repo>/data``, else ``./data`` when there is no checkout.

This module sits at the bottom of the package with :mod:`suffice.constants`: it imports only
:mod:`suffice.errors`.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import SufficeError

#: the one environment variable that moves the data folder
DATA_ENV = "SUFFICE_DATA"


def _is_checkout(d: Path) -> bool:
    return (d / "pyproject.toml").is_file() and (d / "lib" / "suffice").is_dir()


def find_repo_root() -> Path | None:
    """The repository folder (see the module docstring), or ``None`` when there is none."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if _is_checkout(parent):
            return parent
    cwd = Path.cwd().resolve()
    for d in (cwd, *cwd.parents):
        if (d / "pyproject.toml").is_file() and (d / "notebooks").is_dir() and (d / "book").is_dir():
            return d
    return None


def repo_root() -> Path:
    """The repository folder; :class:`SufficeError` when the library runs outside any checkout."""
    root = find_repo_root()
    if root is None:
        raise SufficeError("cannot find the suffice repository (a folder with pyproject.toml, notebooks/ "
                           "and book/): run from inside a checkout")
    return root


def data_root() -> Path:
    """``$SUFFICE_DATA`` if set, else ``<repo>/data`` (``./data`` outside a checkout)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser().resolve()
    repo = find_repo_root()
    return (repo / "data") if repo is not None else (Path.cwd() / "data").resolve()




#: in a parameter file, ``{data}`` stands for :func:`data_root`
DATA_PLACEHOLDER = "{data}"


def resolve_user_path(value: str | os.PathLike, base_dir: str | os.PathLike | None = None) -> Path:
    """A path from a parameter file, by one rule for every path: ``~`` expanded; ``{data}`` replaced
    by :func:`data_root` (``{data}/results/genre``); an absolute path as it is; a relative one against
    ``base_dir`` (the parameter file's folder; the working directory when ``None``)."""
    text = os.fspath(value)
    if DATA_PLACEHOLDER in text:
        text = text.replace(DATA_PLACEHOLDER, str(data_root()))
    p = Path(text).expanduser()
    if p.is_absolute():
        return p
    return (Path(base_dir) if base_dir is not None else Path.cwd()) / p




def param_file_dir(source: object) -> Path:
    """The folder relative paths of a parameter set resolve against: a parameter file's own folder; for a
    mapping, the folder of ``$SUFFICE_PARAMS_FILE`` (set while the book runs a chapter under a parameter
    file), else the working directory."""
    if isinstance(source, (str, os.PathLike)):
        return Path(source).expanduser().resolve().parent
    env = os.environ.get("SUFFICE_PARAMS_FILE")
    return Path(env).resolve().parent if env else Path.cwd()


def resolve_param_paths(params: dict, keys: tuple[str, ...], source: object) -> dict:
    """``{key: path}`` for each of ``keys`` set in ``params``, resolved by :func:`resolve_user_path`
    against :func:`param_file_dir` of ``source``."""
    base = param_file_dir(source)
    return {k: str(resolve_user_path(params[k], base)) for k in keys if params.get(k)}


__all__ = ["DATA_ENV", "DATA_PLACEHOLDER", "data_root", "find_repo_root", "param_file_dir", "repo_root",
           "resolve_param_paths", "resolve_user_path"]
