"""What a cached result is keyed on: the code that computed it and the model that answered.

``code_digest()`` hashes the source of every library module that can change a cached payload: the
modules that compute one (:data:`RESULT_ROOTS`) and everything they import, found by reading their
source (:func:`result_modules`), once per process, so an edit of the search recomputes its results
instead of serving old ones, and an edit of the command line, the book or an analysis that only reads
results does not.  ``model_identity`` uses a
model's own ``identity()`` (zoo models hash their weights); a custom model without one is keyed on its
class and name only, with a warning, since new weights under an old name would be served old results.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import warnings
from pathlib import Path

from ..constants import VERSION as __version__
from ..classifier import Classifier

#: the modules that compute what the cache stores (predictions, explanations, transfers, nulls, flips);
#: the digest covers them and every module they import, at any depth of their source
RESULT_ROOTS: tuple[str, ...] = ("suffice.study.predict", "suffice.study.explain", "suffice.study.crosseval",
                                 "suffice.study.nulls", "suffice.flips.study")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """:func:`source_digest` of this installed package, computed once per process."""
    return source_digest(Path(__file__).resolve().parents[1])


def _module_file(pkg_root: Path, module: str) -> Path | None:
    """The source file of ``suffice.a.b`` under the package folder ``pkg_root`` (None: not a module)."""
    rel = Path(*module.split(".")[1:])
    for f in (pkg_root / rel).with_suffix(".py"), pkg_root / rel / "__init__.py":
        if f.is_file():
            return f
    return None


def _relative_base(pkg_root: Path, path: Path) -> list[str]:
    """The package that relative imports in ``path`` start from, as name parts (``["suffice", "study"]``)."""
    rel = path.relative_to(pkg_root.parent).with_suffix("")
    parts = list(rel.parts[:-1]) if rel.name == "__init__" else list(rel.parts)
    return parts if path.name == "__init__.py" else parts[:-1]


def _origin(pkg_root: Path, module: str, name: str, depth: int = 0) -> str:
    """The module that defines ``name`` as ``module`` exports it: where ``module`` is a package face that
    re-exports ``name`` (``from .chance import chance_baselines``), the module it comes from, followed
    through faces; else ``module`` itself (the name is defined there, or its origin cannot be read)."""
    f = _module_file(pkg_root, module)
    if f is None or f.name != "__init__.py" or depth > 8:
        return module
    package = _relative_base(pkg_root, f)
    for node in ast.parse(f.read_text(encoding="utf-8"), str(f)).body:
        if not isinstance(node, ast.ImportFrom) or not any((a.asname or a.name) == name for a in node.names):
            continue
        base = package[: len(package) - node.level + 1] if node.level else []
        src = ".".join(base + ([node.module] if node.module else []))
        if src.split(".")[0] != "suffice":
            return module
        real = next(a.name for a in node.names if (a.asname or a.name) == name)
        if _module_file(pkg_root, f"{src}.{real}"):
            return f"{src}.{real}"
        return _origin(pkg_root, src, real, depth + 1)
    return module


def _imports(pkg_root: Path, path: Path) -> set[str]:
    """The ``suffice`` modules that ``path`` imports anywhere in its source (lazy imports included); a
    name taken from a package face counts as an import of the module that defines it (:func:`_origin`),
    so a face that re-exports a whole package does not pull every module of it into the digest."""
    package = _relative_base(pkg_root, path)
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "suffice"}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            if mod.split(".")[0] != "suffice":
                continue
            for a in node.names:  # each name: a module itself, or the module a package face took it from
                if _module_file(pkg_root, f"{mod}.{a.name}"):
                    out.add(f"{mod}.{a.name}")  # ``from . import masking``
                else:
                    out.add(_origin(pkg_root, mod, a.name))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and node.value.startswith("suffice.") and _module_file(pkg_root, node.value)):
            out.add(node.value)  # a module named for ``importlib.import_module`` (the strategy registry)
    return out


def result_modules(pkg_root: Path) -> list[Path]:
    """Source files of :data:`RESULT_ROOTS` and of every module they import, transitively (derived from
    the source, so a new module is covered as soon as a result-making module imports it; the package
    faces above them are not, since importing a module only runs its parents' re-exports)."""
    seen: dict[str, Path] = {}
    todo = list(RESULT_ROOTS)
    while todo:
        mod = todo.pop()
        f = _module_file(pkg_root, mod)
        if mod in seen or f is None:
            continue
        seen[mod] = f
        todo.extend(_imports(pkg_root, f))
    return sorted(set(seen.values()))


def source_digest(root: Path) -> str:
    """SHA-256 (hex, 16 characters) over the path and bytes of every result-making ``.py`` file under
    the package folder ``root`` (:func:`result_modules`)."""
    h = hashlib.sha256()
    for p in result_modules(root):
        h.update(str(p.relative_to(root).as_posix()).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def code_key() -> dict[str, str]:
    """The part of every cache key that names the code: version and source digest."""
    return {"v": __version__, "code": code_digest()}


_WARNED: set[str] = set()


def model_identity(model: Classifier) -> str:
    """What the cache keys a model on: its own ``identity()`` when it has one, else class and name.

    The fallback warns once per model: results of such a model are keyed on its name only, so a
    changed model under the same name is served the old results (give it an ``identity()`` method
    that returns a hash of its weights, or clear the cache).
    """
    ident = getattr(model, "identity", None)
    if callable(ident):
        return str(ident())
    name = f"{type(model).__module__}.{type(model).__qualname__}:{model.name}"
    if type(model).__module__ == "suffice.toys":  # analytic: its parameters are its identity
        state = hashlib.sha256(repr(sorted((k, repr(v)) for k, v in vars(model).items())).encode())
        return f"{name}:{state.hexdigest()[:16]}"
    if name not in _WARNED:
        _WARNED.add(name)
        warnings.warn(f"model {model.name!r} has no identity() method: its cached results are keyed on "
                      "its class and name only (a changed model under this name would be served old "
                      "results); add identity() returning a hash of its weights", UserWarning, stacklevel=2)
    return name
