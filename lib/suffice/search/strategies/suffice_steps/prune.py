"""Step 2, causal pruning: blocks of the kept bins removed whole or halved, a batch a round (then step 3)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ...predicates import Predicate
from .accept import accept
from .state import Out, Search
from .verify import one_minimal


@dataclass(frozen=True, eq=False)
class Block:
    """A run of the kept bins; ``known``: its removal as a whole failed (it holds a needed bin), so it
    is halved; otherwise its removal is tested whole."""

    bins: np.ndarray
    known: bool


def halves(S: Search, bins: np.ndarray) -> list[np.ndarray]:
    """``bins`` cut in two at a seeded random point of its middle half (``[bins]``: at most
    ``S.min_block`` bins, never split)."""
    n = len(bins)
    if n <= S.min_block:
        return [bins]
    c = n // 2 if n < 4 else int(S.rng.integers(n // 4, 3 * n // 4 + 1))
    return [bins[:c], bins[c:]]


def _first_blocks(S: Search, free: np.ndarray, loud_first: int) -> list[Block]:
    """One known block of the free bins; with ``loud_first``, the loudest bins alone and the rest, all
    to be tested whole (the loudest bins can also hurt a non-monotone model)."""
    if not free.any():
        return []
    idx = np.flatnonzero(free)
    if not (loud_first and free.sum() > 2 * loud_first):
        return [Block(idx, True)]
    loud = idx[np.lexsort((idx, -S.oracle.magnitude[idx]))[:loud_first]]
    return [Block(np.setdiff1d(idx, loud), False)] + [Block(np.array([b]), False) for b in sorted(loud)]


def reduce(S: Search, keep: np.ndarray, pred: Predicate, *, protected: np.ndarray | None = None,
           verify: bool = True, give_up: Callable[[int, int | None], bool] | None = None,
           loud_first: int = 0) -> tuple[np.ndarray, bool, bool]:
    """Prune ``keep`` (which passes ``pred``) by steps 2-3; ``protected`` bins are never removed.

    Every round an untested block's removal is tested whole; a known block is halved and only the
    removal of its quieter part is tested (if it can go, the other part is known without a call).
    Removals that pass are applied together as far as they still pass (:func:`~.accept.accept`).
    Returns ``(keep, verified_minimal, abandoned)``; stops early (unverified) when the budget is spent
    or ``give_up(size, previous_size)`` says so after a round.
    """
    keep = keep.copy()
    free = keep if protected is None else keep & ~protected
    n0 = max(int(free.sum()), 1)
    blocks = _first_blocks(S, free, loud_first)
    needed, first_round, history = 0, True, []
    try:
        while blocks and not S.exhausted:
            plans, masks = [], []            # per block: its parts and the one tested (None: none)
            for blk in blocks:
                parts = halves(S, blk.bins) if blk.known else [blk.bins]
                if blk.known and len(parts) == 1:    # a needed bin (or unsplittable block): step 3
                    plans.append((parts, None))
                    continue
                if blk.known:    # the quieter half is tested; if it can go, the other holds the needed bin
                    e = [float(S.oracle.magnitude[p].sum()) for p in parts]
                    t = int(np.argmin([e[0], e[1]]))
                else:
                    t = 0
                plans.append((parts, t))
                m = keep.copy()
                m[parts[t]] = False
                masks.append(m)
            history.append(int(keep.sum()))
            if masks:
                ok, tp = S.evaluate(pred, np.stack(masks), reserve=2, partial=True)
            else:
                ok, tp = np.zeros(0, bool), np.zeros(0)
            k = 0
            removals, strengths, nxt, carried, needed = [], [], [], [], 0
            for blk, (parts, t) in zip(blocks, plans):
                if t is None:
                    needed += 1
                    continue
                if k >= len(ok):                 # not tested (budget): carried unchanged
                    carried.append(blk)
                    k += 1
                    continue
                passed, strength = bool(ok[k]), float(tp[k])
                k += 1
                for j, part in enumerate(parts):
                    if j != t:                   # untested: known needed if the other could go
                        nxt.append(Block(part, passed))
                    elif passed:
                        removals.append(part)
                        strengths.append(strength)
                    elif len(part) > 1 and len(part) > S.min_block:
                        nxt.append(Block(part, True))
                        needed += 1
                    else:
                        needed += 1              # a bin (or whole block) that cannot go now
            if removals:
                keep = accept(S, pred, keep, removals, strengths)
                for part in removals:            # rejected removals: retried next round
                    if keep[part].any():
                        nxt.append(Block(part[keep[part]], False))
                if first_round and loud_first and any(len(p) == 1 for p in removals):
                    # a loud bin could go: the verdicts of this round came in the old context
                    # (a non-monotone model), so the blocks that could not go are retested whole
                    nxt = [Block(b.bins, False) for b in nxt]
            first_round = False
            blocks = sorted(nxt + carried, key=lambda b: int(b.bins[0]))
            if S.budget.adaptive:
                d = max(needed + len(blocks), 1)
                S.budget.want(3 * d * math.log2(max(2.0, n0 / d)) + 2 * d + 2 * len(blocks))
            # (one part of a block is tested a round: progress is judged over two rounds)
            if give_up is not None and give_up(int(keep.sum()), history[-2] if len(history) > 1 else None):
                return keep, False, True
        if S.exhausted or not verify:
            return keep, False, False
        return one_minimal(S, keep, pred, protected)
    except Out:
        return keep, False, False
