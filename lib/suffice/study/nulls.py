"""Stage 4 of a study: chance baselines for every transfer f -> g on clip x.

Four signals that depend on (f, x) only, each synthesised once and judged by every target g:

* the floor: every bin removed under the study's fill (g's class for "nothing"; under the zero fill the
  all-zero clip, one per target and clip length; under a non-silent fill the clip's own fill signal);
* ``n`` random keep-sets of size ``|S_f(x)|``, drawn uniformly without replacement from the clip's
  ``K`` bins by a generator seeded from (seed, clip digest, source name): the size-matched null of the
  question "does g accept f's sufficient signal because of *which* bins f kept, or because any set
  that sparse lands in g's default class?";
* the ``|S_f(x)|`` bins of largest magnitude (ties: lower bin first), the set a search-free ranking
  of that size would keep (level-matched, not random);
* ``n`` energy-matched random keep-sets (:func:`energy_matched_keeps`): ``|S_f(x)|`` bins, each drawn
  at random among the bins whose energy is within ``ENERGY_TOLERANCE_DB`` of the bin of S it stands
  for, so the kept signal is as loud as S's (level-matched and random).  A uniform set of size ``|S|``
  mostly holds quiet bins (most of a clip's bins are), while a sufficient set holds loud ones, so the
  size-matched null alone measures loudness as much as the choice of bins.

At a coarser resolution than single bins (an explanation over atoms), each reference keeps whole atoms of
the same grid instead of bins, as many as S touches (:func:`null_keeps`).  Every keep-set's removed bins
take the explanation's fill (:mod:`suffice.fills`), as in the search.

The table records g's top-1 label on the floor (column ``target_pred_silence``) and on the top-magnitude signal, and the share of the
random draws (uniform; energy-matched) on which g's top-1 label is c = f(x).  Cost: ``2 n + 1`` model
calls per (explanation, target), ``n`` more than the size-matched null and the top-magnitude set alone.
"""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from ..classifier import check_probabilities
from ..errors import SufficeError
from ..explanation import Explanation
from ..fills import ZERO
from ..masking import floor_signal
from .cache import DiskCache, key_digest
from .keys import code_key
from .predict import TimedModel, predict_many

#: default number of random keep-sets per (source, clip), of each kind (uniform; energy-matched)
DEFAULT_NULL_DRAWS = 3
#: an energy-matched draw replaces each bin of S by a bin whose energy is within this many dB of it
ENERGY_TOLERANCE_DB = 1.0


def _stream(tag: str, seed: int, digest: str, source: str) -> np.random.Generator:
    h = hashlib.sha256(f"{tag}|{int(seed)}|{digest}|{source}".encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "little"))


def null_rng(seed: int, digest: str, source: str) -> np.random.Generator:
    """The generator of the random keep-sets of ``source``'s explanation of the clip ``digest``."""
    return _stream("suffice-null", seed, digest, source)


def random_keeps(n_bins: int, size: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, n_bins)`` bool masks, each with ``size`` bins drawn uniformly without replacement."""
    out = np.zeros((n, n_bins), dtype=bool)
    for i in range(n):
        out[i, rng.choice(n_bins, size=size, replace=False)] = True
    return out


def bin_energy(waveform: np.ndarray) -> np.ndarray:
    """Energy each rfft bin adds to a resynthesised signal (Parseval: ``|X_k|^2``, counted twice for the
    bins between DC and Nyquist, whose negative-frequency twins the rfft omits), so the energy of
    ``keep_bins(x, S)`` is ``bin_energy(x)[S].sum() / len(x)`` exactly."""
    x = np.asarray(waveform, np.float64)
    e = np.abs(np.fft.rfft(x)) ** 2
    e[1:len(e) - (1 if len(x) % 2 == 0 else 0)] *= 2.0
    return e


def energy_matched_keeps(waveform: np.ndarray, keep: np.ndarray, n: int, rng: np.random.Generator,
                         tol_db: float = ENERGY_TOLERANCE_DB, *, width: int = 1) -> np.ndarray:
    """``(n, K)`` bool masks of random sets as large and as loud as ``keep`` (the sufficient set S).

    Each draw visits S's bins in random order and replaces each bin i by a bin drawn uniformly, without
    replacement within the draw, from the bins j with ``|10 log10(e_j / e_i)| <= tol_db`` (``e``:
    :func:`bin_energy`; i itself is a candidate).  Every kept term is then within ``tol_db`` of the term
    it stands for, so the kept energy is within ``tol_db`` of S's, and so is the level profile (how the
    energy spreads over loud and quiet bins), which a draw matching the total alone would not keep (one
    loud bin and quiet ones could add up to S's energy).  Where a bin's level window is used up (all its
    candidates already drawn), the unused bin of nearest level stands in (only when S holds most bins
    of that level).  Exact and chain-free, so the draw is deterministic given ``rng``.  Where fewer bins
    lie above a bin's level than below it (a spectrum's loudest bins), the stand-ins are more often a
    little quieter, so the draws' energy leans towards the lower edge of the tolerance, never past it.
    Why not a total-energy match: a uniform set conditioned on its total needs a Markov chain (no
    closed-form draw), and a level-weighted draw matches the energy only on average.

    Where few bins are as loud as S's (a clip's loudest partial), the draw is often S itself: no other
    set that loud exists, and the reference then equals the observed acceptance, which can only shrink
    an excess over it, never inflate it.  An empty S gives empty draws (silence).

    ``width`` > 1: the same draw over atoms (:func:`atom_units`): each atom S touches is replaced by an
    atom whose energy (the sum of its bins') is within ``tol_db`` of it, and the draws keep whole atoms.
    """
    e = bin_energy(waveform)
    keep = np.asarray(keep, dtype=bool)
    if keep.shape != (len(e),):
        raise ValueError(f"keep has shape {keep.shape}; the waveform has {len(e)} bins")
    if not tol_db >= 0:
        raise ValueError(f"tol_db must be >= 0, got {tol_db!r}")
    if width > 1:
        unit, members = atom_units(keep, width)
        e_units = np.bincount(unit, weights=e)
        return _level_matched(e_units, np.isin(np.arange(len(e_units)), members), n, rng, tol_db)[:, unit]
    return _level_matched(e, keep, n, rng, tol_db)


def atom_units(keep: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``(unit, members)``: each bin's atom (cell ``[a w, (a + 1) w)`` of the global grid) and the atoms
    ``keep`` touches."""
    unit = np.arange(len(keep)) // int(width)
    return unit, np.unique(unit[np.asarray(keep, dtype=bool)])


def _level_matched(e: np.ndarray, keep: np.ndarray, n: int, rng: np.random.Generator, tol_db: float) -> np.ndarray:
    """The draw of :func:`energy_matched_keeps` over units of energy ``e``, ``keep`` the units of S."""
    k = len(e)
    floor = max(float(e.max()), 1e-300) * 1e-30  # silent bins: one level, far below any sounding bin
    db = 10.0 * np.log10(np.maximum(e, floor))
    order = np.argsort(db, kind="stable")
    sdb = db[order]
    members = np.flatnonzero(keep)
    lo = np.searchsorted(sdb, db[members] - tol_db - 1e-9, side="left")
    hi = np.searchsorted(sdb, db[members] + tol_db + 1e-9, side="right")
    out = np.zeros((int(n), k), dtype=bool)
    for d in range(int(n)):
        taken = np.zeros(k, dtype=bool)  # by position in ``order``
        for idx in rng.permutation(len(members)):
            a, b = int(lo[idx]), int(hi[idx])
            pos = -1
            for _ in range(16):  # most windows are mostly free: a few uniform tries usually suffice
                t = int(rng.integers(a, b))
                if not taken[t]:
                    pos = t
                    break
            if pos < 0:
                free = a + np.flatnonzero(~taken[a:b])
                if len(free):
                    pos = int(rng.choice(free))
                else:  # window used up: the free bin of nearest level
                    free = np.flatnonzero(~taken)
                    pos = int(free[np.argmin(np.abs(sdb[free] - db[members[idx]]))])
            taken[pos] = True
        out[d, order[taken]] = True
    return out


def energy_rng(seed: int, digest: str, source: str) -> np.random.Generator:
    """The generator of the energy-matched draws (a stream apart from :func:`null_rng`'s, so adding them
    left the uniform draws as they were)."""
    return _stream("suffice-null-energy", seed, digest, source)


def topmag_keep(waveform: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` rfft bins of largest magnitude (ties: the lower bin first)."""
    mag = np.abs(np.fft.rfft(np.asarray(waveform, np.float64)))
    keep = np.zeros(len(mag), dtype=bool)
    keep[np.argsort(-mag, kind="stable")[:size]] = True
    return keep


def null_keeps(e: Explanation, *, seed: int, digest: str, source: str, n: int) -> np.ndarray:
    """``(2 n + 1, K)`` keep-masks: the ``n`` uniform random sets, the top-magnitude set, then the ``n``
    energy-matched random sets of :func:`null_signals`.

    At the explanation's resolution: with atoms of ``w = e.resolution_bins`` > 1 bins, every reference
    keeps whole atoms of the same grid, as many as S touches: uniform random atoms, the atoms of most
    energy (ties: the lower atom first) and energy-matched atoms, so that a set of bands is compared with
    bands, not with scattered single bins."""
    w = int(e.resolution_bins)
    if w <= 1:
        return np.concatenate([random_keeps(e.n_bins, e.size, n, null_rng(seed, digest, source)),
                               topmag_keep(e.waveform, e.size)[None],
                               energy_matched_keeps(e.waveform, e.keep, n, energy_rng(seed, digest, source))])
    unit, members = atom_units(e.keep, w)
    n_units = int(unit[-1]) + 1
    top = np.zeros(n_units, dtype=bool)
    top[np.argsort(-np.bincount(unit, weights=bin_energy(e.waveform)), kind="stable")[:len(members)]] = True
    return np.concatenate([random_keeps(n_units, len(members), n, null_rng(seed, digest, source))[:, unit],
                           top[unit][None],
                           energy_matched_keeps(e.waveform, e.keep, n, energy_rng(seed, digest, source), width=w)])


def null_signals(e: Explanation, *, seed: int, digest: str, source: str, n: int) -> np.ndarray:
    """``(2 n + 1, T)``: the ``n`` uniform random-set signals, the top-magnitude signal, then the ``n``
    energy-matched random-set signals (:func:`null_keeps`), the removed bins under the explanation's fill."""
    return e.signal(null_keeps(e, seed=seed, digest=digest, source=source, n=n))


def _rows_check(n_rows: int, n_classes: int):
    def check(payload) -> bool:
        try:
            check_probabilities(payload, n_rows, n_classes)
        except SufficeError:
            return False
        return True
    return check


def floor_of(e: Explanation) -> tuple[dict, np.ndarray]:
    """(cache key part, signal) of the floor of ``e``'s clip under ``e``'s fill.  The zero fill's floor is
    silence, the same for every clip of a length: keyed on the length alone (as before fills existed);
    a non-silent fill's floor is the clip's own, keyed on the clip's samples, the fill and its seed."""
    t = len(e.waveform)
    if e.fill == ZERO:
        return {"n_samples": int(t)}, np.zeros(t, np.float32)
    clip = hashlib.sha256(np.ascontiguousarray(e.waveform, dtype=np.float32).tobytes()).hexdigest()[:32]
    return ({"n_samples": int(t), "clip": clip, "fill": e.fill, "fill_seed": int(e.fill_seed)},
            floor_signal(e.waveform, fill=e.fill, fill_seed=e.fill_seed))


def floors_stage(models: Sequence[TimedModel], expls: dict[tuple[str, str], Explanation], idents: dict[str, str],
                 cache: DiskCache, fails: list[dict], clip_of: dict[str, str]) -> dict[tuple[str, str], np.ndarray]:
    """``{(target, digest): probabilities of target on the clip's floor}`` (:func:`floor_of`), each floor
    judged once per target and shared by the clips it stands for."""
    first: dict[str, Explanation] = {}  # clip digest -> an explanation of it (all share the study's fill)
    for k in sorted(expls):
        first.setdefault(k[1], expls[k])
    floors: dict[tuple[str, str], np.ndarray] = {}
    for g in models:
        one = _rows_check(1, len(g.labels))
        judged: dict[str, np.ndarray] = {}  # key digest -> probabilities (one model call per distinct floor)
        for d, e in first.items():
            part, signal = floor_of(e)
            key = {**code_key(), "target": idents[g.name], **part}
            kd = key_digest(key)
            hit = judged.get(kd)
            if hit is None:
                hit = cache.get("silence", key, one)
            if hit is None:
                rows, why = predict_many(g, [signal], 1)
                if rows[0] is None:
                    fails.append({"clip_id": clip_of[d], "model": g.name, "stage": "null",
                                  "reason": f"on the floor of this clip (every bin removed, fill {e.fill!r}): {why[0]}"})
                    continue
                hit = [rows[0].tolist()]
                cache.put_or_record("silence", key, hit)
            judged[kd] = hit
            floors[(g.name, d)] = np.asarray(hit, dtype=np.float64)[0]
    return floors


def nulls_stage(models: Sequence[TimedModel], expls: dict[tuple[str, str], Explanation],
                ekeys: dict[tuple[str, str], dict], idents: dict[str, str], cache: DiskCache, batch: int,
                fails: list[dict], clip_of: dict[str, str], *, seed: int, n: int
                ) -> tuple[dict[tuple[str, int], np.ndarray], dict[tuple[str, str, str], np.ndarray]]:
    """Floors ``{(target, digest): probs}`` (each clip's floor under its explanations' fill) and nulls
    ``{(source, target, digest): (2 n + 1, C) probs}`` (the ``n`` uniform draws, the top-magnitude set,
    then the ``n`` energy-matched draws)."""
    floors = floors_stage(models, expls, idents, cache, fails, clip_of)
    nulls: dict[tuple[str, str, str], np.ndarray] = {}
    # explanations in chunks: each chunk's signals are synthesised once and judged by every target
    order = sorted(expls)
    per = 2 * n + 1
    step = max(1, batch // per)
    for s in range(0, len(order), step):
        chunk = order[s:s + step]
        signals: dict[tuple[str, str], np.ndarray] = {}
        for g in models:
            many = _rows_check(per, len(g.labels))
            missing = []
            for k in chunk:
                key = {**code_key(), "explanation": key_digest(ekeys[k]), "target": idents[g.name], "draws": n,
                       "energy_tol_db": ENERGY_TOLERANCE_DB}
                hit = cache.get("null", key, many)
                if hit is None:
                    missing.append((k, key))
                else:
                    nulls[(k[0], g.name, k[1])] = np.asarray(hit, dtype=np.float64)
            if not missing:
                continue
            for k, _ in missing:
                if k not in signals:
                    signals[k] = null_signals(expls[k], seed=seed, digest=k[1], source=k[0], n=n)
            rows, why = predict_many(g, [w for k, _ in missing for w in signals[k]], batch)
            for j, (k, key) in enumerate(missing):
                got = rows[j * per:(j + 1) * per]
                bad = [r for r in why[j * per:(j + 1) * per] if r is not None]
                if bad:
                    fails.append({"clip_id": clip_of[k[1]], "model": g.name, "stage": "null",
                                  "reason": f"on a null signal of {k[0]!r}: {bad[0]}"})
                    continue
                p = np.stack(got)
                nulls[(k[0], g.name, k[1])] = p
                cache.put_or_record("null", key, p.tolist())
    return floors, nulls
