"""A notebook's ``parameters`` cell, and checking a YAML parameter file against it.

papermill silently accepts any key; we do not: a key the notebook does not declare is an error, and
so is a value whose type differs from the declared default's (an int is accepted for a float).
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from ..bounded_yaml import read_yaml

from ..errors import OptionError, SufficeError

PARAMETERS_TAG = "parameters"


def read_notebook(path: str | Path):
    """The notebook at ``path`` (MyST markdown via jupytext, or .ipynb) as an nbformat node."""
    import jupytext

    path = Path(path)
    if not path.is_file():
        raise SufficeError(f"notebook not found: {path}")
    return jupytext.read(path)


def parameters_cell(nb, where: str = "notebook") -> str:
    """The source of the one code cell tagged ``parameters``."""
    cells = [c for c in nb.cells
             if c.cell_type == "code" and PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise SufficeError(f"{where} must have exactly one code cell tagged 'parameters', found {len(cells)}")
    return cells[0].source


def declared_parameters(source: str, where: str = "parameters cell") -> dict[str, Any]:
    """Name -> default value of every top-level assignment in a parameters cell.

    Defaults must be Python literals (numbers, strings, lists, dicts, None, booleans) so that they can
    be read without running the notebook; a ``from typing import ...`` line for the annotations is allowed.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise SufficeError(f"{where} is not valid Python: {e}") from None
    out: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring or comment-like string
        elif isinstance(node, ast.ImportFrom) and node.module == "typing":
            continue  # the names of the parameters' types (Optional, Union)
        else:
            raise SufficeError(f"{where}: only simple assignments `name = literal` are allowed "
                               f"(line {getattr(node, 'lineno', '?')})")
        try:
            out[name] = ast.literal_eval(value)
        except ValueError:
            raise SufficeError(f"{where}: the default of {name!r} must be a literal "
                               f"(line {node.lineno})") from None
    return out


def notebook_parameters(path: str | Path) -> dict[str, Any]:
    """The parameters a notebook declares, with their defaults."""
    return declared_parameters(parameters_cell(read_notebook(path), str(path)), f"{path}: parameters cell")


def _type_ok(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def load_params(path: str | Path | None, declared: dict[str, Any], where: str = "notebook") -> dict[str, Any]:
    """Read a YAML mapping of parameters and check it against ``declared`` (name -> default).

    Returns only the keys the file sets (papermill injects these; the rest keep their defaults).
    """
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise OptionError(f"parameter file not found: {path}")
    data = read_yaml(path)  # bounded, safe; a mapping or one line of error
    unknown = sorted(set(data) - set(declared))
    if unknown:
        raise OptionError(f"{path}: unknown parameter(s) {unknown} for {where}; "
                          f"it declares: {', '.join(sorted(declared))}")
    for k, v in data.items():
        if not _type_ok(declared[k], v):
            raise OptionError(f"{path}: parameter {k!r} must be like its default {declared[k]!r} "
                              f"({type(declared[k]).__name__}), got {v!r} ({type(v).__name__})")
    return dict(data)
