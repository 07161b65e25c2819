"""What a cached result is keyed on: the code that computed it and the model that answered.

``code_digest()`` hashes the source of every library module that can change a cached payload (the
search, masking, classifier, models, study, ...: everything except the leaves in ``_LEAVES``, which
only read results), once per process, so an
edit of the search recomputes its results instead of serving old ones.  ``model_identity`` uses a
model's own ``identity()`` (zoo models hash their weights); a custom model without one is keyed on its
class and name only, with a warning, since new weights under an old name would be served old results.
"""
from __future__ import annotations

import functools
import hashlib
import warnings
from pathlib import Path

from ..constants import VERSION as __version__
from ..classifier import Classifier

#: top-level entries of the package whose source cannot change a cached result: the command line, the
#: book, plotting and the benchmark; the analyses that only read results (transfer maths, statistics,
#: spectral features, the deepfake information analysis).  ``tests/test_study_stages.py`` checks that
#: the modules computing cached payloads import none of them (the corpora stay in: the zoo loads its
#: training data through them).
_LEAVES = frozenset({"cli.py", "__main__.py", "book", "plotting", "bench", "transfer", "transfer.py",
                     "stats.py", "stats_blocked.py", "spectral.py", "deepfake_info.py"})


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """:func:`source_digest` of this installed package, computed once per process."""
    return source_digest(Path(__file__).resolve().parents[1])


def source_digest(root: Path) -> str:
    """SHA-256 (hex, 16 characters) over the path and bytes of every result-making ``.py`` file under
    the package folder ``root`` (the leaves in ``_LEAVES`` left out)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root)
        if rel.parts[0] in _LEAVES or "__pycache__" in rel.parts:
            continue
        h.update(str(rel.as_posix()).encode() + b"\0" + p.read_bytes() + b"\0")
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
