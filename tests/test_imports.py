"""The package's import graph, parsed from the source (lazy imports inside functions included).

Layering rule encoded here:

* the bottom layer -- ``suffice.constants``, ``suffice.errors``, ``suffice.paths`` -- imports nothing from
  ``suffice`` except ``paths`` -> ``errors``;
* the leaves -- ``suffice.cli``, ``suffice.book``, ``suffice.plotting``, ``suffice.bench`` -- are imported by
  nothing below them: only by ``suffice.cli`` (the one command) and by ``__main__`` entry points
  (``python -m suffice.X`` aliases), and ``plotting`` by ``book`` (chapters draw figures);
* no cycle between units, where a unit is a subpackage (``suffice.models``) or a top-level module
  (``suffice.audio``), and ``__main__`` modules are units of their own (nothing imports them);
* no cycle between modules inside a unit.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import suffice

PKG = Path(suffice.__file__).parent
BOTTOM = {"suffice.constants": set(), "suffice.errors": set(), "suffice.paths": {"suffice.errors"}}
LEAVES = {"suffice.cli", "suffice.book", "suffice.plotting", "suffice.bench"}
MAY_IMPORT_LEAVES = {"suffice.cli": LEAVES, "suffice.book": {"suffice.plotting"}}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every ``suffice`` module ``path`` imports, at any depth of the file (absolute names)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "suffice"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "suffice":
                continue
            subs = {f"{mod}.{a.name}" for a in node.names  # ``from . import models`` imports a module
                    if (PKG.parent / Path(*f"{mod}.{a.name}".split("."))).with_suffix(".py").exists()
                    or (PKG.parent / Path(*f"{mod}.{a.name}".split(".")) / "__init__.py").exists()}
            # names that are all submodules import those modules (the package's own names are not used)
            out |= subs if subs and len(subs) == len(node.names) else subs | {mod}
    out.discard(name)
    return out


def unit(mod: str) -> str:
    parts = mod.split(".")
    if parts[-1] == "__main__":
        return mod
    return ".".join(parts[:2])


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(PKG.rglob("*.py"))}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_parser_sees_known_edges():
    g = graph()
    assert "suffice.errors" in g["suffice.audio"]
    assert "suffice.models.resolve" in g["suffice.study.grid"]  # a lazy import inside a function
    assert "suffice.cli" in g["suffice.book.__main__"]


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_bottom_layer_imports_nothing_above_it():
    g = graph()
    for mod, allowed in BOTTOM.items():
        assert g[mod] <= allowed, f"{mod} imports {sorted(g[mod] - allowed)}"


def test_leaves_are_imported_by_nothing_below():
    bad = []
    for mod, deps in graph().items():
        if mod.endswith("__main__"):
            continue
        here = unit(mod)
        for d in deps:
            there = unit(d)
            if there in LEAVES and there != here and there not in MAY_IMPORT_LEAVES.get(here, set()):
                bad.append(f"{mod} -> {d}")
    assert not bad, "upward imports of a leaf: " + "; ".join(sorted(bad))


def test_no_cycle_between_units():
    edges: dict[str, set[str]] = {}
    for mod, deps in graph().items():
        edges.setdefault(unit(mod), set()).update(unit(d) for d in deps if unit(d) != unit(mod))
    found = [c for c in cycles(edges)]
    assert not found, f"import cycles between units: {found}"




def test_no_cycle_between_modules():
    """Package faces included: a face re-exports its modules, and no module imports its face back."""
    found = [c for c in cycles(graph())]
    assert not found, f"import cycles between modules: {found}"



def test_the_sample_rate_and_profiles_are_written_once():
    """16000 appears as a number only in suffice.constants (musicnn_export runs in musicnn's own
    environment, without suffice); ``PROFILES = ("default", "smoke")`` likewise."""
    found = []
    for path in sorted(PKG.rglob("*.py")):
        if path.name in ("constants.py", "musicnn_export.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and type(node.value) is int and node.value == 16000:
                found.append(f"{module_name(path)}:{node.lineno}")
            if isinstance(node, ast.Tuple) and [getattr(e, "value", None) for e in node.elts] == ["default", "smoke"]:
                found.append(f"{module_name(path)}:{node.lineno} (profiles)")
    assert not found, f"write suffice.constants.SAMPLE_RATE / PROFILES instead of: {found}"


def test_the_corpora_import_no_model_and_the_report_not_the_builder():
    """Only the corpora's entry point ``corpora/__main__`` may import models or studies (the YAMNet check
    runs there), and the report never imports the builder (it reads what the builder wrote)."""
    for path in sorted((PKG / "corpora").glob("*.py")):
        if path.name == "__main__.py":
            continue
        bad = {n for n in imports(path) if n.startswith(("suffice.models", "suffice.study"))}
        assert not bad, f"{path.name} imports {sorted(bad)}"
    assert not {n for n in imports(PKG / "corpora" / "report.py") if n.startswith("suffice.corpora.builder")}
