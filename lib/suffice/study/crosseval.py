"""Stage 3 of a study: every model classifies every model's sufficient signal (f -> g)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..explanation import Explanation
from .cache import DiskCache, key_digest
from .keys import code_key
from .predict import TimedModel, predict_many, probability_check


def transfer_key(explanation_key: dict, target_ident: str) -> dict:
    return {**code_key(), "explanation": key_digest(explanation_key), "target": target_ident}


def crosseval_stage(models: Sequence[TimedModel], expls: dict[tuple[str, str], Explanation],
                    ekeys: dict[tuple[str, str], dict], idents: dict[str, str], cache: DiskCache,
                    batch: int, fails: list[dict], clip_of: dict[str, str]
                    ) -> dict[tuple[str, str, str], np.ndarray]:
    """``{(source, target, clip digest): probabilities of target on source's sufficient signal}``.

    ``expls`` and ``ekeys`` are keyed by (source name, clip digest); ``clip_of`` names a clip id for
    each digest (for failure records).  The signals are synthesised only for the entries not cached.
    """
    cross: dict[tuple[str, str, str], np.ndarray] = {}
    for g in models:
        check = probability_check(len(g.labels))
        missing = []
        for (src, d) in sorted(expls):
            key = transfer_key(ekeys[(src, d)], idents[g.name])
            hit = cache.get("transfer", key, check)
            if hit is None:
                missing.append((src, d, key))
            else:
                cross[(src, g.name, d)] = np.asarray(hit, dtype=np.float64)
        for s in range(0, len(missing), batch):
            part = missing[s:s + batch]
            rows, why = predict_many(g, [expls[(src, d)].sufficient_signal for src, d, _ in part], batch)
            for (src, d, key), row, r in zip(part, rows, why):
                if row is None:
                    fails.append({"clip_id": clip_of[d], "model": g.name, "stage": "transfer",
                                  "reason": f"on the sufficient signal of {src!r}: {r}"})
                    continue
                cross[(src, g.name, d)] = row
                cache.put_or_record("transfer", key, row.tolist())
    return cross
