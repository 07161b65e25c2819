"""What a notebook ran with: its parameters, the library version and the software around it."""
from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

import suffice

_PACKAGES = ("numpy", "scipy", "torch", "transformers", "librosa", "pandas")


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def _git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _notebook_path() -> Path | None:
    for var in ("SUFFICE_NOTEBOOK", "JPY_SESSION_NAME"):
        p = os.environ.get(var)
        if p and Path(p).suffix in (".md", ".ipynb") and Path(p).is_file():
            return Path(p)
    return None


def parameter_values(namespace: Mapping[str, Any], notebook: str | Path | None = None) -> dict[str, Any]:
    """The current values of the notebook's declared parameters, read from ``namespace``."""
    from .params import notebook_parameters

    path = Path(notebook) if notebook else _notebook_path()
    if path is None:
        return {}
    return {k: namespace.get(k, v) for k, v in notebook_parameters(path).items()}


def provenance(namespace: Mapping[str, Any] | None = None, *, notebook: str | Path | None = None,
               **extra: Any) -> pd.DataFrame:
    """A two-column table (``item``, ``value``): every declared parameter with the value it ran with,
    then the parameter file, library version, git commit, Python and package versions, time.

    Call it as ``provenance(globals())`` right after the parameters cell.  The notebook is found
    from ``SUFFICE_NOTEBOOK`` (set by ``run-chapter``) or JupyterLab's ``JPY_SESSION_NAME``, or
    pass ``notebook=``; ``extra`` rows are appended as given.
    """
    rows: list[tuple[str, str]] = []
    if namespace is not None:
        values = parameter_values(namespace, notebook)
        if not values:
            rows.append(("parameters", "(notebook not known: pass notebook=)"))
        rows += [(f"parameter: {k}", repr(v)) for k, v in values.items()]
    root = Path(os.environ.get("SUFFICE_ROOT", Path.cwd()))
    params_file = os.environ.get("SUFFICE_PARAMS_FILE")
    rows.append(("parameter file", os.path.relpath(params_file, root) if params_file else "(defaults)"))
    rows += [(k, repr(v)) for k, v in extra.items()]
    rows += [
        ("suffice", suffice.__version__),
        ("git commit", _git_commit(root) or "(unknown)"),
        ("python", platform.python_version()),
        *[(p, v) for p in _PACKAGES if (v := _version(p)) is not None],
        ("platform", f"{platform.system()} {platform.machine()}"),
        ("executed (UTC)", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")),
    ]
    return pd.DataFrame(rows, columns=["item", "value"]).set_index("item")
