"""``strategy="rex"``: a re-implementation of ReX's 1-D ("spectral") causal search and extraction.

Read against the code of ``rex-xai`` 0.4.1 (PyPI; ``rex_xai/responsibility/responsibility.py``,
``mutants/box.py``, ``mutants/distributions.py``, ``responsibility/resp_maps.py``,
``explanation/explanation.py``).  This is the project's reference point: the paper's freqrex is ReX.

**Reproduced as ReX does it**

* One iteration builds a random partition tree over the bins ``[0, K)``.  A box is split into 4
  contiguous parts at 3 distinct random cut points (``distribution="uniform"``, or ReX's
  ``"betabinom"`` with ``dist_alpha``/``dist_beta``); a box narrower than ``min_box_size`` (ReX: 10)
  or than 4 bins is not split, and a box deeper than ``tree_depth`` (ReX: 10) is not split.
* The queue holds jobs; a job is a set of boxes.  Each box of a job is split in turn (the others
  held kept, "static"), and the 14 mutants keep every non-empty proper subset of its 4 children plus
  the static boxes.  A mutant *passes* when its top-1 class is the target and its target
  probability is at least ``confidence_filter`` x the original confidence.
* Responsibility: when some mutant of a split passes, every mutant of that split whose top-1 class
  is the target adds ``1/k`` to each bin of each of its ``k`` kept children (``weighted``: times its
  confidence; ``concentrate``: times the child's depth).
* Queue: the passing mutants are pruned (``queue_style="area"``: the ``queue_len`` = 1 smallest by
  kept bins; also ``"all"`` and ``"intersection"``) and, as in ReX, only the pruned passing mutants
  of the *last* box split in a round form the next round's jobs, and a job consists of the mutant's
  kept children only (its static boxes are dropped).  An iteration ends when nothing passes, the
  depth cap is passed, or ``search_limit`` (0 = none) mutants were tried.
* ``iters`` (ReX: 20) iterations; iteration ``i`` draws from ``numpy.random.default_rng(seed + i)``.
  Maps merge as in ReX 0.4's default ``responsibility_style="multiplicative"``: each iteration's map
  starts at 1, the running map is multiplied by it and renormalised to max 1.  ``merge="additive"``
  gives ReX 0.3's sum.  **[choice]** we follow ReX 0.4 (the version on PyPI that ``make bench`` runs).
* Extraction: bins ranked by responsibility, descending; ties as ReX sorts them (``tiebreak="index"``:
  higher bin first) or, optionally, by magnitude.  Prefixes of ``chunk_size`` (ReX: 10), 2x, 3x ...
  bins are tested; the first (δ-)sufficient one is the explanation.  Contrastive and complete sets
  follow the same ranking (:func:`suffice.search.extraction.extract_extras`, linear mode).

**Deliberately different**

* Batching: all mutants of a round, of all iterations at once (the iterations run in lockstep),
  go to the model together (ReX queries spectral mutants one at a time).  The result does not
  depend on ``batch_size``: all randomness comes from the per-iteration generators, and which masks
  are evaluated does not depend on how they are chunked.
* Exact zero masking (:mod:`suffice.masking`) instead of ReX's interpolating spectral occluder,
  which refills masked runs from the masked bins' own edge values.
* The linear search marks bin ``j`` of the ranking; ReX marks the prefix ``0:j`` of the spectrum
  (``tensor[0, h:w]`` with ``h = 0``), so its sets are low-pass bands.
* Cut points are drawn from ``1 .. width-1`` so that no part is empty (ReX draws from ``0 ..
  width-1``, which can leave the first part empty and waste mutants on duplicate masks).
* δ (``min_confidence``) is compared unrounded (ReX rounds to 4 decimals); repeated masks cost no
  model call (the oracle caches them); bad options raise :class:`~suffice.errors.OptionError`
  instead of silently falling back to defaults.
* ``found=False`` (and ``keep`` = every bin) when only the whole spectrum is sufficient.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generator

import numpy as np
from scipy.stats import betabinom
from tqdm.auto import tqdm

from ...errors import OptionError
from ..extraction import extract_extras, first_prefix, prefix_masks, sufficient_predicate
from ..evaluator import MaskEvaluator
from ..result import SearchResult, rank_bins

NAME = "rex"
DEFAULTS: dict = {
    "iters": 20,                   # independent partition-tree iterations (ReX: 20)
    "tree_depth": 10,              # boxes deeper than this are not split (ReX: 10)
    "min_box_size": 10,            # boxes narrower than this are not split (ReX: 10)
    "chunk_size": 10,              # linear extraction step, bins (ReX: 10)
    "queue_len": 1,                # passing mutants kept per round (ReX: 1); 0 = all
    "queue_style": "area",         # "area" (ReX default), "all" or "intersection"
    "confidence_filter": 0.0,      # a mutant passes only with p >= this x original (ReX: 0)
    "weighted": False,             # weight 1/k by the mutant's confidence (ReX: off)
    "concentrate": False,          # multiply responsibility by the box depth (ReX: off)
    "distribution": "uniform",     # cut points: "uniform" (ReX default) or "betabinom"
    "dist_alpha": 1.0,             # beta-binomial alpha (ReX has no default; 1,1 is uniform)
    "dist_beta": 1.0,              # beta-binomial beta
    "merge": "multiplicative",     # iteration maps: "multiplicative" (ReX 0.4) or "additive" (0.3)
    "tiebreak": "index",           # equal responsibility: "index" (ReX: higher bin first) or "magnitude"
    "search_limit": 0,             # max mutants per iteration (ReX: none); 0 = no limit
    "extract_window": 16,          # prefixes per model call in the linear extraction (not the result)
}

#: the 14 non-empty proper subsets of 4 parts, in ReX's order
COMBINATIONS: tuple[tuple[int, ...], ...] = (
    (0,), (1,), (2,), (3,), (0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3),
    (0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3),
)
_CHOICES = {"queue_style": ("area", "all", "intersection"), "distribution": ("uniform", "betabinom"),
            "merge": ("multiplicative", "additive"), "tiebreak": ("index", "magnitude")}


def check_options(opts: dict) -> None:
    """Raise :class:`OptionError` for an out-of-range or unknown-valued option."""
    for k, allowed in _CHOICES.items():
        if opts[k] not in allowed:
            raise OptionError(f"rex option {k!r} must be one of {allowed}, got {opts[k]!r}")
    for k, lo in (("iters", 1), ("tree_depth", 0), ("min_box_size", 1), ("chunk_size", 1),
                  ("queue_len", 0), ("search_limit", 0), ("extract_window", 1)):
        if int(opts[k]) < lo:
            raise OptionError(f"rex option {k!r} must be >= {lo}, got {opts[k]!r}")
    if not 0.0 <= float(opts["confidence_filter"]) <= 1.0:
        raise OptionError(f"confidence_filter must lie in [0, 1], got {opts['confidence_filter']}")
    if opts["distribution"] == "betabinom" and not (opts["dist_alpha"] > 0 and opts["dist_beta"] > 0):
        raise OptionError("dist_alpha and dist_beta must be > 0")


# ---- the partition tree ----------------------------------------------------------------------------
@dataclass
class Box:
    """A contiguous run of bins ``[start, stop)`` at ``depth`` of one iteration's tree."""

    name: str
    start: int
    stop: int
    depth: int
    children: list["Box"] | None = None  # None: not split yet; []: cannot be split

    @property
    def width(self) -> int:
        return self.stop - self.start


def _cuts(rng: np.random.Generator, width: int, opts: dict) -> np.ndarray:
    """3 distinct sorted cut offsets in ``1 .. width-1``."""
    if opts["distribution"] == "uniform":
        return np.sort(rng.choice(np.arange(1, width), 3, replace=False))
    pmf = betabinom(width, opts["dist_alpha"], opts["dist_beta"]).pmf(np.arange(1, width))
    return np.sort(rng.choice(np.arange(1, width), 3, replace=False, p=pmf / pmf.sum()))


def split(box: Box, rng: np.random.Generator, opts: dict) -> list[Box]:
    """The box's 4 children (drawn once, then remembered); [] when it cannot be split."""
    if box.children is None:
        if box.depth > opts["tree_depth"] or box.width < max(opts["min_box_size"], 4):
            box.children = []
        else:
            c = [box.start, *(box.start + _cuts(rng, box.width, opts)), box.stop]
            box.children = [Box(f"{box.name}:{i}", int(c[i]), int(c[i + 1]), box.depth + 1)
                            for i in range(4)]
    return box.children


@dataclass
class Mutant:
    """Kept boxes: ``active`` (the children chosen) plus ``static`` (the job's other boxes)."""

    active: tuple[Box, ...]
    static: tuple[Box, ...]
    passing: bool = False
    is_target: bool = False
    confidence: float = 0.0

    @property
    def depth(self) -> int:
        return max(b.depth for b in self.active + self.static)

    @property
    def area(self) -> int:
        return sum(b.width for b in self.active + self.static)

    def intervals(self) -> list[tuple[int, int]]:
        return [(b.start, b.stop) for b in self.active + self.static]


def _prune(passing: list[Mutant], style: str, keep: int) -> list[Mutant]:
    """ReX's queue pruning of the passing mutants of one split."""
    if style == "all":
        return passing
    if style == "intersection" and len(passing) > 1:
        names = [{b.name for b in m.active} for m in passing]
        inter: set[str] = set()
        i = 0
        while not inter and i < len(passing):
            inter = names[i].intersection(*names[i + 1:])
            i += 1
        passing = [m for m, n in zip(passing, names) if inter <= n]
    elif style != "area":
        return passing
    ordered = sorted(passing, key=lambda m: m.area)  # stable, as Python's sorted in ReX
    return ordered[:keep] if keep > 0 else ordered


@dataclass
class IterationStats:
    """What one iteration did."""

    work: int = 0
    passing: int = 0
    depth_reached: int = 0
    rounds: int = 0
    local_map: np.ndarray | None = field(default=None, repr=False)


Request = list[list[tuple[int, int]]]


def iteration(rng: np.random.Generator, n_bins: int, target: int, confidence: float,
              opts: dict) -> Generator[Request, np.ndarray, IterationStats]:
    """One ReX iteration as a coroutine: yields the kept intervals of a round's mutants, receives
    their (n, C) probabilities, returns the iteration's statistics and local responsibility map."""
    stats = IterationStats()
    root = Box("R", 0, n_bins, 0)
    queue: list[tuple[Box, ...]] = [(root,)]
    mult = opts["merge"] == "multiplicative"
    while True:
        stats.rounds += 1
        # 1. spawn every split of the round, in ReX's order (the order of the random draws)
        splits: list[tuple[int, int, Box, tuple[Box, ...]] | tuple[int, int, None, None]] = []
        for j, job in enumerate(queue):
            for ai, active in enumerate(job):
                children = split(active, rng, opts)
                if not children:
                    splits.append((j, ai, None, None))
                    break
                splits.append((j, ai, active, tuple(b for x, b in enumerate(job) if x != ai)))
        mutants = [[Mutant(tuple(s[2].children[i] for i in comb), s[3]) for comb in COMBINATIONS]
                   for s in splits if s[2] is not None]
        flat = [m for ms in mutants for m in ms]
        if flat:
            probs = yield [m.intervals() for m in flat]
            top = np.argmax(probs, axis=1)
            for m, t, p in zip(flat, top, probs):
                m.is_target = bool(t == target)
                m.confidence = float(p[t])
                m.passing = m.is_target and m.confidence >= confidence * opts["confidence_filter"]
        # 2. replay ReX's sequential logic
        passing: list[Mutant] = []
        ai = todo = 0
        it = iter(mutants)
        for j, ai, active, _static in splits:
            todo = len(queue[j]) - 1
            if active is None:
                continue
            ms = next(it)
            passing = [m for m in ms if m.passing]
            stats.work += len(ms)
            stats.passing += len(passing)
            if passing:
                if stats.local_map is None:
                    stats.local_map = (np.ones if mult else np.zeros)(n_bins, dtype=np.float32)
                _add_responsibility(stats.local_map, ms, opts)
                passing = _prune(passing, opts["queue_style"], opts["queue_len"])
            if passing:
                stats.depth_reached = max(stats.depth_reached, max(m.depth for m in passing))
        if stats.depth_reached > opts["tree_depth"] and ai == todo:
            break
        if opts["search_limit"] and stats.work > opts["search_limit"]:
            break
        if not passing:
            break
        queue = [m.active for m in passing]
    return stats


def _add_responsibility(rmap: np.ndarray, mutants: list[Mutant], opts: dict) -> None:
    """ReX's ``update_maps`` for the target's map: 1/k per kept child of each target-class mutant."""
    for m in mutants:
        if not m.is_target:
            continue
        r = np.float32(1.0 / len(m.active))
        if opts["weighted"]:
            r = np.float32(r * m.confidence)
        for b in m.active:
            if b.width > 0:
                rmap[b.start:b.stop] += r * b.depth if opts["concentrate"] else r


# ---- driver ----------------------------------------------------------------------------------------
def _dense(requests: list[tuple[int, int]], n_bins: int) -> np.ndarray:
    mask = np.zeros(n_bins, dtype=bool)
    for s, e in requests:
        mask[s:e] = True
    return mask


def _evaluate(oracle: MaskEvaluator, requests: Request, max_bytes: int = 1 << 26) -> np.ndarray:
    """Probabilities of interval-list masks, densified a bounded number at a time."""
    K = oracle.n_bins
    step = max(1, max_bytes // K)
    out = []
    for s in range(0, len(requests), step):
        masks = np.stack([_dense(r, K) for r in requests[s:s + step]])
        out.append(oracle.probs(masks))
    return np.concatenate(out)


def responsibility_map(oracle: MaskEvaluator, seed: int, opts: dict) -> tuple[np.ndarray, dict]:
    """Run ``iters`` iterations in lockstep, one model batch per round; merged map and statistics."""
    K = oracle.n_bins
    gens = {i: iteration(np.random.default_rng(seed + i), K, oracle.target_index, oracle.confidence, opts)
            for i in range(opts["iters"])}
    pending: dict[int, Request] = {}
    done: dict[int, IterationStats] = {}
    for i, g in gens.items():
        try:
            pending[i] = next(g)
        except StopIteration as stop:
            done[i] = stop.value
    bar = tqdm(total=len(gens), desc="rex iterations", leave=False, disable=None)
    bar.update(len(done))
    while pending:
        order = sorted(pending)
        flat = [r for i in order for r in pending[i]]
        probs = _evaluate(oracle, flat)
        nxt: dict[int, Request] = {}
        pos = 0
        for i in order:
            n = len(pending[i])
            try:
                nxt[i] = gens[i].send(probs[pos:pos + n])
            except StopIteration as stop:
                done[i] = stop.value
                bar.update(1)
            pos += n
        pending = nxt
    bar.close()
    mult = opts["merge"] == "multiplicative"
    total = (np.ones if mult else np.zeros)(K, dtype=np.float32)
    for i in range(opts["iters"]):  # merge in iteration order, as ReX does
        local = done[i].local_map
        if local is None:
            continue
        if mult:
            total *= local
            total /= np.max(total)
        else:
            total += local
    st = [done[i] for i in range(opts["iters"])]
    info = {"rex_work": int(sum(s.work for s in st)), "rex_passing": int(sum(s.passing for s in st)),
            "rex_max_depth": int(max(s.depth_reached for s in st)),
            "rex_rounds": int(max(s.rounds for s in st)),
            "rex_empty_iterations": int(sum(s.local_map is None for s in st))}
    return total, info


def search(oracle: MaskEvaluator, *, seed: int, contrastive: bool, complete: bool, **opts) -> SearchResult:
    """ReX's responsibility search and linear extraction (see the module docstring)."""
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise OptionError(f"unknown rex option(s) {sorted(unknown)}")
    opts = {**DEFAULTS, **opts}
    check_options(opts)
    K = oracle.n_bins
    resp, info = responsibility_map(oracle, seed, opts)
    info["search_calls"] = oracle.n_calls
    tb = np.arange(K, dtype=np.float64) if opts["tiebreak"] == "index" else oracle.magnitude
    ranking = rank_bins(resp, tb)
    m = first_prefix(ranking, K, sufficient_predicate(oracle), mode="linear",
                     chunk=opts["chunk_size"], window=opts["extract_window"])
    found = m is not None and m < K
    keep = prefix_masks(ranking, [m], K)[0] if found else np.ones(K, dtype=bool)
    info["extraction_calls"] = oracle.n_calls - info["search_calls"]
    extra = extract_extras(oracle, keep, ranking, contrastive=contrastive, complete=complete,
                           mode="linear", chunk=opts["chunk_size"], window=opts["extract_window"])
    return SearchResult(keep=keep, responsibility=resp, found=found, ranking=ranking,
                        extra={**extra, **info})
