"""YAML files read safely: one bounded loader for every file a user hands the project (parameter files,
label maps, chapter parameters).

Safe (``yaml.SafeLoader``: no Python objects), and bounded: at most :data:`MAX_PARAMS_BYTES` bytes and
:data:`MAX_YAML_NODES` nodes once aliases are expanded (a few nested anchors can otherwise expand to
gigabytes), so a hostile or mistaken file costs one line of error, never the machine's memory.
"""
from __future__ import annotations

import os
import reprlib
from pathlib import Path
from typing import Any

import yaml

from .errors import OptionError

#: a parameter file is a page of settings, not data
MAX_PARAMS_BYTES = 1 << 20
#: nodes of a parameter file after alias expansion (the largest real one has about 60)
MAX_YAML_NODES = 10_000
_short = reprlib.Repr()
_short.maxstring, _short.maxother = 80, 80


def _expanded_nodes(node: yaml.Node, memo: dict[int, int]) -> int:
    """Nodes of a composed YAML graph with every alias expanded (memoised: linear in the file)."""
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = MAX_YAML_NODES + 1  # a cycle (recursive alias) counts as too large
    n = 1
    if isinstance(node, yaml.SequenceNode):
        n += sum(_expanded_nodes(c, memo) for c in node.value)
    elif isinstance(node, yaml.MappingNode):
        n += sum(_expanded_nodes(k, memo) + _expanded_nodes(v, memo) for k, v in node.value)
    memo[id(node)] = min(n, 10 * MAX_YAML_NODES)
    return memo[id(node)]


def read_yaml(path: str | os.PathLike) -> dict[str, Any]:
    """A YAML (or JSON) file holding a mapping, as a dict, read by a bounded safe loader (size, alias
    expansion, one document); :class:`OptionError` in one line for anything else."""
    p = Path(path)
    if not p.is_file():
        raise OptionError(f"no such parameter file: {p}" if not p.exists() else f"{p} is not a regular file")
    if p.stat().st_size > MAX_PARAMS_BYTES:
        raise OptionError(f"{p} is {p.stat().st_size} bytes; a parameter file may have at most {MAX_PARAMS_BYTES}")
    try:
        text = p.read_text(encoding="utf-8")
    except (UnicodeDecodeError, ValueError):
        raise OptionError(f"{p} is not a UTF-8 text (YAML) file") from None
    loaded = parse_yaml(text, str(p))
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise OptionError(f"{p} must hold a mapping (name: value), got {type(loaded).__name__}")
    return loaded


def parse_yaml(text: str, where: str) -> Any:
    """YAML ``text`` (a user's inline value) read with the same bounds; ``where`` names it in errors."""
    if len(text.encode("utf-8", "replace")) > MAX_PARAMS_BYTES:
        raise OptionError(f"{where} is longer than {MAX_PARAMS_BYTES} bytes")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None and _expanded_nodes(node, {}) > MAX_YAML_NODES:
            raise OptionError(f"{where} expands to more than {MAX_YAML_NODES} YAML nodes (nested anchors?); "
                              "write the values out plainly")
        return yaml.safe_load(text) if node is not None else None
    except OptionError:
        raise
    except (yaml.YAMLError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OptionError(f"{where} is not valid YAML: {_short.repr(first)}") from None
    except RecursionError:
        raise OptionError(f"{where} nests too deeply to be a settings file") from None


__all__ = ["MAX_PARAMS_BYTES", "MAX_YAML_NODES", "parse_yaml", "read_yaml"]
