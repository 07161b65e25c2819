"""What a notebook ran with: its parameters, the library version, the software around it, and the
fingerprints of the corpora and models it read (from their build facts)."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import warnings
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

import suffice

from ..paths import data_root
from ..tasks import TASKS

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


def build_fingerprints(profile: str, tasks: tuple[str, ...] | list[str] | None = None) -> list[tuple[str, str]]:
    """(item, value) rows: the fingerprint of every built corpus and model of ``profile`` (optionally of
    some ``tasks``), as recorded in its ``build.json`` or ``card.json`` by the build that made it."""
    rows: list[tuple[str, str]] = []
    root = data_root()
    for task in tasks or TASKS:
        build = root / "corpora" / profile / task / "build.json"
        try:
            info = json.loads(build.read_text())
        except (OSError, ValueError):
            rows.append((f"corpus {profile}/{task}", "(not built)"))
        else:
            rows.append((f"corpus {profile}/{task}", f"fingerprint {info.get('fingerprint', '(not recorded)')}, "
                         f"{info.get('built', '?')} clips, configuration {info.get('hash', '?')}"))
        for card_path in sorted((root / "models" / profile / task).glob("*/card.json")):
            try:
                card = json.loads(card_path.read_text())
            except (OSError, ValueError):
                continue
            rows.append((f"model {card.get('name', task + '/' + card_path.parent.name)}",
                         f"fingerprint {card.get('fingerprint', '(not recorded)')}, "
                         f"build key {card.get('build_key', '?')}"))
    return rows


def parameter_values(namespace: Mapping[str, Any], notebook: str | Path | None = None) -> dict[str, Any]:
    """The current values of the notebook's declared parameters, read from ``namespace``."""
    from .params import notebook_parameters

    path = Path(notebook) if notebook else _notebook_path()
    if path is None:
        return {}
    return {k: namespace.get(k, v) for k, v in notebook_parameters(path).items()}


def warning_without_path(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                         line: str | None = None) -> str:
    """A warning as a chapter shows it: ``Category: message`` (the arguments of
    :func:`warnings.formatwarning`; the file and line are left out)."""
    return f"{category.__name__}: {message}\n"


def provenance(namespace: Mapping[str, Any] | None = None, *, notebook: str | Path | None = None,
               **extra: Any) -> pd.DataFrame:
    """A two-column table (``item``, ``value``): every declared parameter with the value it ran with,
    then the parameter file, library version, git commit, Python and package versions, time, and the
    fingerprints of the corpora and models of the notebook's ``profile`` parameter (of its ``task``
    when it has one; :func:`build_fingerprints`).

    Call it as ``provenance(globals())`` right after the parameters cell.  The notebook is found
    from ``SUFFICE_NOTEBOOK`` (set by ``run-chapter``) or JupyterLab's ``JPY_SESSION_NAME``, or
    pass ``notebook=``; ``extra`` rows are appended as given.

    Being every chapter's first call, it also sets pandas to show whole cells
    and every column (``display.max_colwidth``, ``display.max_columns``): a book's table is never cut
    short with "..."; and a warning shows its category and message without the source file's path
    (:func:`warning_without_path`), so a page never prints the build machine's folders.
    """
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_columns", None)
    warnings.formatwarning = warning_without_path
    rows: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
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
    profile = values.get("profile", namespace.get("profile") if namespace is not None else None)
    task = values.get("task", namespace.get("task") if namespace is not None else None)
    if isinstance(profile, str):
        rows += build_fingerprints(profile, [task] if isinstance(task, str) and task in TASKS else None)
    return pd.DataFrame(rows, columns=["item", "value"]).set_index("item")
