"""The record codec of the result dataclasses (:class:`~suffice.Explanation`, :class:`~suffice.Flip`):
a dataclass to a JSON-ready dict and back.

Arrays become ``{"dtype", "shape", "b64"}`` (bool arrays bit-packed); with ``tag_nonfinite`` a NaN or
infinite float field becomes ``{"float": "nan"}`` so the record survives strict JSON; a dict with a field the class does not have is refused.
A field declared after records were written under ``meta`` (``lifted``) is read from there in an old record.
"""
from __future__ import annotations

import base64
import dataclasses
import math
from typing import Any, Iterable, TypeVar

import numpy as np

T = TypeVar("T")


def encode_array(a: np.ndarray | None) -> dict | None:
    """``a`` as ``{"dtype", "shape", "b64"}`` (None stays None)."""
    if a is None:
        return None
    a = np.ascontiguousarray(a)
    if a.dtype == bool:
        return {"dtype": "bool", "shape": list(a.shape), "b64": base64.b64encode(np.packbits(a)).decode()}
    return {"dtype": str(a.dtype), "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode()}


def decode_array(d: dict | None) -> np.ndarray | None:
    """The array of :func:`encode_array`'s dict (None stays None)."""
    if d is None:
        return None
    raw = base64.b64decode(d["b64"])
    shape = tuple(d["shape"])
    if d["dtype"] == "bool":
        n = int(np.prod(shape))
        return np.unpackbits(np.frombuffer(raw, np.uint8))[:n].astype(bool).reshape(shape)
    return np.frombuffer(raw, dtype=np.dtype(d["dtype"])).reshape(shape).copy()


def to_record(obj: Any, arrays: Iterable[str], *, tag_nonfinite: bool = False) -> dict[str, Any]:
    """Every field of the dataclass ``obj``: those named in ``arrays`` encoded, non-finite floats tagged
    when ``tag_nonfinite``."""
    arrays = set(arrays)
    d: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if f.name in arrays:
            v = encode_array(None if v is None else np.asarray(v))
        elif tag_nonfinite and isinstance(v, float) and not math.isfinite(v):
            v = {"float": repr(v)}
        d[f.name] = v
    return d


def from_record(cls: type[T], d: dict[str, Any], arrays: Iterable[str], *, tag_nonfinite: bool = False,
                lifted: Iterable[str] = ()) -> T:
    """The ``cls`` instance of a :func:`to_record` dict (made with the same ``tag_nonfinite``); ValueError
    for a field ``cls`` does not have.  ``lifted``: fields that older records kept as keys of their ``meta``
    dict; such a key moves out of ``meta`` into its field where the record lacks the field."""
    arrays = set(arrays)
    old = [k for k in lifted if k not in d and k in (d.get("meta") or {})]
    if old:
        meta = dict(d["meta"])
        d = {**d, **{k: meta.pop(k) for k in old}, "meta": meta}
    unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ValueError(f"not {'an' if cls.__name__[0] in 'AEIOU' else 'a'} {cls.__name__}: "
                         f"unknown fields {sorted(unknown)}")
    kw = {}
    for k, v in d.items():
        if k in arrays:
            v = decode_array(v)
        elif tag_nonfinite and isinstance(v, dict) and set(v) == {"float"}:
            v = float(v["float"])
        kw[k] = v
    return cls(**kw)
