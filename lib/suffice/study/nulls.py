"""Stage 4 of a study: chance baselines for every transfer f -> g on clip x.

Three signals that depend on (f, x) only, each synthesised once and judged by every target g:

* silence: the all-zero clip (g's class for "nothing"; one per target and clip length);
* ``n`` random keep-sets of size ``|S_f(x)|``, drawn uniformly without replacement from the clip's
  ``K`` bins by a generator seeded from (seed, clip digest, source name): the matched null of the
  question "does g accept f's sufficient signal because of *which* bins f kept, or because any set
  that sparse and quiet lands in g's default class?";
* the ``|S_f(x)|`` bins of largest magnitude (ties: lower bin first), the set a search-free ranking
  of that size would keep.

The table records g's top-1 label on silence and on the top-magnitude signal, and the share of the
random draws on which g's top-1 label is c = f(x).
"""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from ..classifier import check_probabilities
from ..errors import SufficeError
from ..explanation import Explanation
from ..masking import keep_bins
from .cache import DiskCache, key_digest
from .keys import code_key
from .predict import TimedModel, predict_many

#: default number of random keep-sets per (source, clip)
DEFAULT_NULL_DRAWS = 3


def null_rng(seed: int, digest: str, source: str) -> np.random.Generator:
    """The generator of the random keep-sets of ``source``'s explanation of the clip ``digest``."""
    h = hashlib.sha256(f"suffice-null|{int(seed)}|{digest}|{source}".encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "little"))


def random_keeps(n_bins: int, size: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, n_bins)`` bool masks, each with ``size`` bins drawn uniformly without replacement."""
    out = np.zeros((n, n_bins), dtype=bool)
    for i in range(n):
        out[i, rng.choice(n_bins, size=size, replace=False)] = True
    return out


def topmag_keep(waveform: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` rfft bins of largest magnitude (ties: the lower bin first)."""
    mag = np.abs(np.fft.rfft(np.asarray(waveform, np.float64)))
    keep = np.zeros(len(mag), dtype=bool)
    keep[np.argsort(-mag, kind="stable")[:size]] = True
    return keep


def null_signals(e: Explanation, *, seed: int, digest: str, source: str, n: int) -> np.ndarray:
    """``(n + 1, T)``: the ``n`` random-set signals, then the top-magnitude signal."""
    keeps = np.concatenate([random_keeps(e.n_bins, e.size, n, null_rng(seed, digest, source)),
                            topmag_keep(e.waveform, e.size)[None]])
    return keep_bins(e.waveform, keeps)


def _rows_check(n_rows: int, n_classes: int):
    def check(payload) -> bool:
        try:
            check_probabilities(payload, n_rows, n_classes)
        except SufficeError:
            return False
        return True
    return check


def nulls_stage(models: Sequence[TimedModel], expls: dict[tuple[str, str], Explanation],
                ekeys: dict[tuple[str, str], dict], idents: dict[str, str], cache: DiskCache, batch: int,
                fails: list[dict], clip_of: dict[str, str], *, seed: int, n: int
                ) -> tuple[dict[tuple[str, int], np.ndarray], dict[tuple[str, str, str], np.ndarray]]:
    """Silence ``{(target, n_samples): probs}`` and nulls ``{(source, target, digest): (n + 1, C) probs}``
    (the ``n`` random draws, then the top-magnitude set)."""
    lengths: dict[int, str] = {}  # clip length -> the first clip of that length (for failure records)
    for k in sorted(expls):
        lengths.setdefault(len(expls[k].waveform), clip_of[k[1]])
    silence: dict[tuple[str, int], np.ndarray] = {}
    nulls: dict[tuple[str, str, str], np.ndarray] = {}
    for g in models:
        one = _rows_check(1, len(g.labels))
        for t, first in sorted(lengths.items()):
            key = {**code_key(), "target": idents[g.name], "n_samples": int(t)}
            hit = cache.get("silence", key, one)
            if hit is None:
                rows, why = predict_many(g, [np.zeros(t, np.float32)], 1)
                if rows[0] is None:
                    fails.append({"clip_id": first, "model": g.name, "stage": "null",
                                  "reason": f"on silence of {t} samples (as long as this clip): {why[0]}"})
                    continue
                hit = [rows[0].tolist()]
                cache.put_or_record("silence", key, hit)
            silence[(g.name, t)] = np.asarray(hit, dtype=np.float64)[0]
    # explanations in chunks: each chunk's signals are synthesised once and judged by every target
    order = sorted(expls)
    step = max(1, batch // (n + 1))
    for s in range(0, len(order), step):
        chunk = order[s:s + step]
        signals: dict[tuple[str, str], np.ndarray] = {}
        for g in models:
            many = _rows_check(n + 1, len(g.labels))
            missing = []
            for k in chunk:
                key = {**code_key(), "explanation": key_digest(ekeys[k]), "target": idents[g.name], "draws": n}
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
                got = rows[j * (n + 1):(j + 1) * (n + 1)]
                bad = [r for r in why[j * (n + 1):(j + 1) * (n + 1)] if r is not None]
                if bad:
                    fails.append({"clip_id": clip_of[k[1]], "model": g.name, "stage": "null",
                                  "reason": f"on a null signal of {k[0]!r}: {bad[0]}"})
                    continue
                p = np.stack(got)
                nulls[(k[0], g.name, k[1])] = p
                cache.put_or_record("null", key, p.tolist())
    return silence, nulls
