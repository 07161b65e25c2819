"""``suffice.flip``: the fewest rfft bins whose removal changes a model's top-1 class.

Removing a set ``R`` of bins is masking with ``keep = all bins but R`` (exact, through
:class:`~suffice.search.evaluator.MaskEvaluator`); ``R`` *flips* the model when its top-1 class on the
masked signal differs from its class ``c`` on the clip.  Testing every single bin costs ``K`` calls
(8,001 for 1 s, 240,001 for 30 s) and every pair ``K^2/2``, so the search spends its calls where a
removal can matter (our design):

1. **Screen.**  A bin's removal subtracts one steady sinusoid of energy ``|X_k|^2``; a quiet bin cannot
   move a decision, so the ``screen`` loudest bins (ties broken by a seeded permutation) are removed one
   at a time, in rounds of 64, stopping after the first round in which one flips: a flip of size 1, the
   minimum possible.
2. **Ladder.**  Otherwise the screened bins are ranked by how far their removal alone lowered the
   margin ``p_c - max_{j != c} p_j`` (ties loudest first; the unscreened bins follow by magnitude, then
   the screened bins whose removal raised it), and the prefixes of that ranking of sizes 2, 3, 5, 10, 20, 50, ...
   up to ``max_size`` are tried in one batch; between the largest prefix that did not flip and the
   smallest that did, bisection finds the shortest flipping prefix it tests.
3. **Trim.**  Each removed bin is put back alone (one batch); of those that can go back while the
   signal stays flipped, the longest run (in order of how flipped the signal stays) that can go back
   together does (one more batch); passes repeat until no bin can go back alone: the flip is then
   irreducible (``verified_minimal``).

Only evaluated sets are ever reported.  A flip of one bin is the minimum; a flip of two is proven
minimal only when the screen covered every bin (``screen >= K``); any larger flip is an upper bound on
the minimum (``minimum_verified`` says which).  ``max_calls`` bounds the model calls (the original
included); a round that would exceed it is cut to the calls left, in a fixed order, and the result says
``budget_exhausted``.  Every round is a fixed list of removal sets, chunked into model calls of
``batch_size`` only by the evaluator, and no set is evaluated twice, so the result (and the call count)
is the same for every batch size.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..constants import VERSION as __version__
from ..audio import input_waveform
from ..classifier import Classifier
from ..fills import ZERO
from ..masking import synthesise
from ..search.options import COMMON, Option, validate
from ..search.evaluator import MaskEvaluator
from ..search.explain import check_classifier, check_seed
from .audibility import audibility
from .result import Flip

#: options of :func:`flip`: its own, then the batch size and the fill (:mod:`suffice.fills`: a removed bin
#: takes the fill's bin) declared for every search (:data:`~suffice.search.options.COMMON`)
OPTIONS: tuple[Option, ...] = (
    Option("max_size", int, 50, "the largest flip the search looks for (bins)", min=1),
    Option("max_calls", int, 1000, "model-call budget, the original clip included", min=1),
    Option("screen", int, 128, "loudest bins whose single removal is tested (>= K: every bin)", min=1),
    *(o for o in COMMON if o.name in ("batch_size", "fill", "fill_seed")),
)
#: single removals per screening round (a fixed number, so that stopping early never depends on batch_size)
SCREEN_ROUND = 64
#: prefix sizes the ladder tries (then ``max_size`` itself)
LADDER: tuple[int, ...] = (2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


def resolve_flip_options(options: dict[str, Any]) -> dict[str, Any]:
    """Defaults of :data:`OPTIONS` overlaid by ``options``, each checked (:func:`~suffice.search.options.validate`;
    unknown names and bad values raise :class:`~suffice.errors.OptionError`).

    The fill options stay in the result only for a non-silent fill, so the zero fill's options, and the
    cache keys made of them, are those of a flip before fills existed.
    """
    opts = validate(OPTIONS, options, owner="the flip search")
    if opts["fill"] == ZERO:
        del opts["fill"], opts["fill_seed"]
    return opts


class _Removals:
    """Removal sets in, flipped-or-not out, through one evaluator (which remembers every answer), within
    its budget."""

    def __init__(self, ev: MaskEvaluator) -> None:
        self.ev = ev
        self.exhausted = False

    def _mask(self, removal: tuple[int, ...]) -> np.ndarray:
        keep = np.ones(self.ev.n_bins, dtype=bool)
        keep[list(removal)] = False
        return keep

    def probs(self, removals: list[tuple[int, ...]]) -> list[np.ndarray | None]:
        """Probabilities for each removal set; None for those the budget did not reach (the new ones
        are evaluated in order, as many as it allows)."""
        masks = {r: self._mask(r) for r in removals}
        new = [r for r, m in masks.items() if not self.ev.is_known(m)]
        n = self.ev.budget.fitting(lambda r: r, len(new))
        if n < len(new):
            new, self.exhausted = new[:n], True
        if new:
            self.ev.probs(np.stack([masks[r] for r in new]))
        return [self.ev.probs(masks[r])[0] if self.ev.is_known(masks[r]) else None for r in removals]

    def flips(self, p: np.ndarray | None) -> bool:
        return p is not None and int(np.argmax(p)) != self.ev.target_index

    def margin(self, p: np.ndarray) -> float:
        c = self.ev.target_index
        return float(p[c] - np.max(np.delete(p, c))) if len(p) > 1 else float(p[c])


def _screen(b: _Removals, order: np.ndarray, n: int) -> tuple[tuple[int, ...] | None, np.ndarray, int]:
    """Single removals of ``order[:n]`` in rounds of :data:`SCREEN_ROUND`, stopping at the first round
    that flips: (the flipping bin with the lowest probability of the class, or None; margin drops;
    bins tested)."""
    m0 = b.margin(b.ev.original_probs)
    drops = np.full(n, -np.inf)
    best, best_p = None, np.inf
    tested = 0
    for s in range(0, n, SCREEN_ROUND):
        cand = [(int(k),) for k in order[s:min(n, s + SCREEN_ROUND)]]
        for i, (r, p) in enumerate(zip(cand, b.probs(cand)), start=s):
            if p is None:
                continue
            tested += 1
            drops[i] = m0 - b.margin(p)
            if b.flips(p) and p[b.ev.target_index] < best_p:
                best, best_p = r, float(p[b.ev.target_index])
        if best is not None or b.exhausted:
            break
    return best, drops, tested


def _ranking(order: np.ndarray, n: int, drops: np.ndarray) -> np.ndarray:
    """Screened bins whose removal did not raise the margin (largest drop first, ties loudest first),
    the unscreened bins (loudest first), then the screened bins whose removal raised the margin."""
    screened = order[:n]
    helpful = drops >= 0
    first = screened[helpful][np.argsort(-drops[helpful], kind="stable")]
    return np.concatenate([first, order[n:], screened[~helpful]])


def _ladder(b: _Removals, ranking: np.ndarray, max_size: int) -> tuple[int, ...] | None:
    """Shortest flipping prefix of ``ranking`` the ladder and bisection test (None: none flips)."""
    top = min(max_size, len(ranking))
    sizes = [s for s in LADDER if 2 <= s < top] + ([top] if top >= 2 else [])
    prefix = lambda m: tuple(sorted(int(k) for k in ranking[:m]))  # noqa: E731
    probs = b.probs([prefix(s) for s in sizes])
    hit = [i for i, p in enumerate(probs) if b.flips(p)]
    if not hit:
        return None
    i = hit[0]
    hi = sizes[i]
    lo = sizes[i - 1] if i > 0 else 1
    while hi - lo > 1 and not b.exhausted:
        mid = (lo + hi) // 2
        p = b.probs([prefix(mid)])[0]
        if p is None:
            break
        if b.flips(p):
            hi = mid
        else:
            lo = mid
    return prefix(hi)


def _trim(b: _Removals, removed: tuple[int, ...]) -> tuple[tuple[int, ...], bool]:
    """Put bins back while the signal stays flipped; (set, irreducible).

    Each pass tests putting back each bin alone (one batch).  The bins that can go back alone are
    ordered by how low the class's probability stays without them; putting back the first ``j`` of
    them together is tested for every ``j`` (one batch) and the largest ``j`` that still flips is taken
    (``j = 1`` is known to flip).  Passes repeat until no bin can go back alone.
    """
    c = b.ev.target_index
    while len(removed) > 1:
        back = [tuple(k for k in removed if k != j) for j in removed]
        probs = b.probs(back)
        if any(p is None for p in probs):
            return removed, False
        ok = sorted((float(p[c]), i) for i, p in enumerate(probs) if b.flips(p))
        if not ok:
            return removed, True
        order = [removed[i] for _, i in ok]
        cum = [tuple(k for k in removed if k not in set(order[:j])) for j in range(2, len(order) + 1)]
        cum = [r for r in cum if r]
        best = back[ok[0][1]]
        for r, p in zip(cum, b.probs(cum)):
            if p is None:
                return best, False
            if b.flips(p):
                best = r
        removed = best
    return removed, len(removed) == 1


def flip(model: Classifier, waveform: np.ndarray | str | Path, *, seed: int = 0, sample_rate: int | None = None,
         **options: Any) -> Flip:
    """The fewest bins (the search finds) whose removal changes ``model``'s top-1 class on ``waveform``.

    ``waveform``: float mono samples at ``model.sample_rate`` (or at ``sample_rate``, then resampled),
    or a path to a sound file.  ``options``: ``max_size``, ``max_calls``, ``screen``, ``batch_size``,
    ``fill`` and ``fill_seed`` (:data:`OPTIONS` and the module docstring).  The same seed and options give
    the same flip
    whatever ``batch_size``.  Returns a :class:`~suffice.flips.result.Flip`.
    """
    seed = check_seed(seed)
    check_classifier(model)
    opts = resolve_flip_options(options)
    rate = int(model.sample_rate)
    x = input_waveform(waveform, rate, sample_rate=sample_rate)
    ev = MaskEvaluator(model, x, batch_size=opts["batch_size"], fill=opts.get("fill", ZERO),
                       fill_seed=opts.get("fill_seed", 0), max_calls=opts["max_calls"])
    b = _Removals(ev)
    K, c = ev.n_bins, ev.target_index
    rng = np.random.default_rng(int(seed))
    order = np.lexsort((rng.permutation(K), -ev.magnitude))  # loudest first, seeded tie-break
    n = min(opts["screen"], K)
    removed, drops, tested = _screen(b, order, n)
    stage = "screen"
    irreducible = removed is not None
    if removed is None and not b.exhausted and opts["max_size"] >= 2:
        removed = _ladder(b, _ranking(order, n, drops), opts["max_size"])
        stage = "ladder"
        if removed is not None:
            removed, irreducible = _trim(b, removed)
    found = removed is not None
    minimum = found and (len(removed) == 1 or (len(removed) == 2 and tested == K))
    labels = list(model.labels)
    meta = {"stage": stage, "n_batches": ev.n_batches,
            "model_seconds": round(ev.model_seconds, 6), "synth_seconds": round(ev.synth_seconds, 6)}
    common = dict(model=str(model.name), label=str(labels[c]), label_index=int(c), confidence=ev.confidence,
                  found=found, budget_exhausted=bool(b.exhausted), n_model_calls=int(ev.n_calls),
                  waveform=x, sample_rate=rate, seed=int(seed), options=opts, version=__version__, meta=meta,
                  singles_tested=int(tested))
    if not found:
        return Flip(verified_minimal=False, minimum_verified=False, removed=np.zeros(0, np.int64),
                    new_label=None, new_index=None, new_confidence=None, label_prob_after=None, **common)
    p = b.probs([removed])[0]
    j = int(np.argmax(p))
    bins = np.asarray(removed, dtype=np.int64)
    keep = np.ones(K, dtype=bool)
    keep[bins] = False
    y = synthesise(ev.spec, keep, ev.n_samples, ev.fill_spec)
    return Flip(verified_minimal=bool(irreducible), minimum_verified=bool(minimum), removed=bins,
                new_label=str(labels[j]), new_index=j, new_confidence=float(p[j]), label_prob_after=float(p[c]),
                **audibility(x, y, bins), **common)
