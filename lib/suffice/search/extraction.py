"""Growing a keep-set along a bin ranking until a predicate holds (:mod:`suffice.search.predicates`).

Two search modes over the prefix length ``m`` of an ordering:

* ``linear`` (ReX's): ``m = chunk, 2*chunk, ...``; masks are sent ``window`` steps at a time, so the
  model calls are batched; the calls of a window are counted even past the first success.
* ``gallop`` (ours): ``m = start, 2*start, 4*start, ...`` in one batch, then bisection between the
  last failing and the first passing length.  It assumes the predicate is monotone in ``m`` between
  those two points, and only ever returns a length it has tested and seen pass.

The mask for length ``m`` is ``base | (bins order[:m])``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import predicates
from .evaluator import MaskEvaluator

#: which of a batch of keep-masks pass (:meth:`suffice.search.predicates.Predicate.ok`)
MaskTest = Callable[[np.ndarray], np.ndarray]


def prefix_masks(order: np.ndarray, sizes: np.ndarray | list[int], n_bins: int,
                 base: np.ndarray | None = None) -> np.ndarray:
    """(len(sizes), K) bool masks: ``base`` plus the first ``m`` bins of ``order``, for each m."""
    rank = np.empty(n_bins, dtype=np.int64)
    rank[:] = np.iinfo(np.int64).max
    rank[order] = np.arange(len(order))
    masks = rank[None, :] < np.asarray(sizes, dtype=np.int64)[:, None]
    if base is not None:
        masks |= base[None, :]
    return masks


def first_prefix(order: np.ndarray, n_bins: int, predicate: MaskTest, *, mode: str = "gallop",
                 start: int = 1, chunk: int = 10, window: int = 16,
                 base: np.ndarray | None = None, bisect: bool = True,
                 include_total: bool = True, tol: float = 0.0) -> int | None:
    """Smallest tested prefix length of ``order`` whose mask satisfies ``predicate``; None if none.

    Gallop mode: ``bisect=False`` stops after the one batch of lengths ``start * 2**i`` (the first
    passing one is returned); ``include_total=False`` leaves the whole ordering out of that batch;
    ``tol`` stops the bisection once the passing length is within ``tol`` x itself of the failing one.
    """
    total = len(order)
    if total == 0:
        return None
    start = int(min(max(start, 1), total))
    if mode == "linear":
        sizes = list(range(chunk, total, chunk)) + [total]
        for s in range(0, len(sizes), window):
            part = sizes[s:s + window]
            ok = predicate(prefix_masks(order, part, n_bins, base))
            if ok.any():
                return part[int(np.argmax(ok))]
        return None
    if mode != "gallop":
        raise ValueError(f"unknown extraction mode {mode!r}")
    sizes = []
    m = start
    while m < total:
        sizes.append(m)
        m *= 2
    if include_total or not sizes:
        sizes.append(total)
    ok = predicate(prefix_masks(order, sizes, n_bins, base))
    if not ok.any():
        return None
    i = int(np.argmax(ok))
    hi = sizes[i]
    if not bisect:
        return hi
    lo = sizes[i - 1] if i > 0 else start - 1  # lo fails (or is below the start)
    while hi - lo > max(1.0, tol * hi):
        mid = (lo + hi) // 2
        if predicate(prefix_masks(order, [mid], n_bins, base))[0]:
            hi = mid
        else:
            lo = mid
    return hi


def extract_extras(oracle: MaskEvaluator, keep: np.ndarray, ranking: np.ndarray, *, contrastive: bool,
                   complete: bool, mode: str, chunk: int = 10, window: int = 16) -> dict:
    """Contrastive (``necessary_keep``) and ``complete_keep`` sets along ``ranking``.

    Contrastive: the shortest prefix of ``ranking`` (from ``|keep|`` in gallop mode) that is
    sufficient and whose complement loses the class; ``necessary_found`` says whether one exists.
    Complete: ``keep`` plus the lowest-ranked bins (last of ``ranking`` first) until the confidence
    matches the original (the default strategy adds the highest-ranked ones instead, then prunes).
    """
    K = oracle.n_bins
    out: dict = {}
    if contrastive:
        start = max(int(keep.sum()), 1) if mode == "gallop" else chunk
        m = first_prefix(ranking, K, predicates.contrastive(oracle).ok, mode=mode, start=start,
                         chunk=chunk, window=window)
        out["necessary_found"] = m is not None
        out["necessary_keep"] = None if m is None else prefix_masks(ranking, [m], K)[0]
    if complete:
        rest = ranking[~keep[ranking]][::-1]  # lowest responsibility first
        pred = predicates.complete(oracle).ok
        if pred(keep[None])[0]:
            m = 0
        else:
            m = first_prefix(rest, K, pred, mode=mode, start=1, chunk=chunk, window=window, base=keep)
        ck = keep.copy() if m is None else prefix_masks(rest, [m], K, base=keep)[0]
        if m is None:  # only the whole spectrum reproduces the confidence exactly
            ck[:] = True
        out["complete_keep"] = ck
        out["complete_confidence"] = float(oracle.target_prob(ck[None])[0])
    return out
