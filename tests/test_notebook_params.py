"""Every chapter's parameters are visible in ``papermill --help-notebook`` with a type and a description.

The project's parameter-cell format (one per line): ``name: type = value  # one-line description``,
with no ``=`` inside the comment (papermill skips such a line) and a type papermill can read: a name
with optional brackets (``int``, ``list``, ``Optional[str]``, ``dict[str, float]``); papermill skips a
line typed ``list | None``.  The test runs papermill itself on each
chapter (converted from MyST with jupytext) and compares what it shows with the names the book's own
parser (:func:`suffice.book.params.declared_parameters`) reads from the same cell.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from suffice.book.params import declared_parameters, parameters_cell, read_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.md"))
#: ``  name: type (default value)   description`` (the description may follow on the next lines)
LINE = re.compile(r"^  (\w+): (\S.*?) \(default (.*?)\)(?:\s{2,}(\S.*))?$")


def help_notebook(md: Path, tmp: Path) -> dict[str, tuple[str, str]]:
    """name -> (type, description) as ``papermill --help-notebook`` shows them."""
    import jupytext
    ipynb = tmp / f"{md.stem}.ipynb"
    jupytext.write(jupytext.read(md), ipynb)
    papermill = Path(sys.executable).with_name("papermill")
    cmd = [str(papermill)] if papermill.exists() else [sys.executable, "-m", "papermill"]
    r = subprocess.run([*cmd, "--help-notebook", str(ipynb)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out: dict[str, tuple[str, str]] = {}
    name = None
    for line in r.stdout.splitlines():
        m = LINE.match(line)
        if m:
            name = m.group(1)
            out[name] = (m.group(2).strip(), (m.group(4) or "").strip())
        elif name and line.startswith("    ") and line.strip():
            typ, desc = out[name]
            out[name] = (typ, (desc + " " + line.strip()).strip())
    return out


@pytest.mark.parametrize("md", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_parameter_has_a_type_and_a_description(md, tmp_path, request):
    declared = declared_parameters(parameters_cell(read_notebook(md), str(md)), str(md))
    shown = help_notebook(md, tmp_path)
    missing = sorted(set(declared) - set(shown))
    untyped = sorted(n for n, (t, _) in shown.items() if t == "Unknown type")
    undescribed = sorted(n for n, (_, d) in shown.items() if not d)
    assert not (missing or untyped or undescribed), (
        f"{md.name}: not shown by papermill {missing}; no type {untyped}; no description {undescribed}")


HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def test_the_reader_sees_what_papermill_shows(tmp_path):
    """On a cell in the project's format papermill shows every name with its type and description; a
    ``list | None`` line it skips, and an untyped one it shows as Unknown type (both caught above)."""
    cell = ("```{code-cell} ipython3\n:tags: [parameters]\n\n"
            'task: str = "genre"  # genre, emotion or deepfake\n'
            "models: Optional[list] = None  # zoo names (None: the default set)\n"
            "skipped: list | None = None  # papermill cannot read this type\n"
            "untyped = 3  # no type\n```\n")
    md = tmp_path / "sample.md"
    md.write_text(HEADER + "\n" + cell)
    shown = help_notebook(md, tmp_path)
    assert shown == {"task": ("str", "genre, emotion or deepfake"),
                     "models": ("Optional[list]", "zoo names (None: the default set)"),
                     "untyped": ("Unknown type", "no type")}
