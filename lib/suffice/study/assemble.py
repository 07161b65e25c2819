"""Stage 5 of a study: the tidy tables (transfer, predictions, explanations) from the stages' results.

Every clip id gets its rows, also a clip whose content repeats another's (its results are the shared
content's).  The transfer table has the columns of :data:`suffice.transfer.TABLE_COLUMNS` followed by
the study's extensions :data:`EXTRA_COLUMNS` (where the contract does not declare them yet).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..explanation import Explanation
from ..transfer import TABLE_COLUMNS
from .clips import Clip

#: columns the study adds to the transfer table (see :mod:`suffice.study.nulls`)
EXTRA_COLUMNS: tuple[str, ...] = ("strategy", "budget_exhausted", "verified_minimal", "target_pred_silence",
                                  "null_random_accept", "null_random_n", "target_pred_topmag",
                                  "null_energy_accept", "fill")
COLUMNS: tuple[str, ...] = tuple(TABLE_COLUMNS) + tuple(c for c in EXTRA_COLUMNS if c not in TABLE_COLUMNS)
EXPLANATION_COLUMNS: tuple[str, ...] = (
    "model", "clip_id", "true_label", "target", "confidence", "found", "budget_exhausted",
    "verified_minimal", "resolution_bins", "margin", "robust", "repaired_bins", "set_size", "n_bins", "fraction",
    "sufficient_confidence", "n_model_calls", "check_calls", "extra_calls", "seconds", "necessary_budget_cut",
    "fill", "floor_label")


def flags(e: Explanation) -> tuple[bool, bool]:
    """(budget_exhausted, verified_minimal) of an explanation (False where the search does not say)."""
    return bool(getattr(e, "budget_exhausted", False)), bool(getattr(e, "verified_minimal", False))


def extra_calls(e: Explanation) -> int:
    """Model calls an explanation spent after its sufficient set was settled on the contrastive and complete
    sets: rex's ``extras_calls``, or ours: all calls minus ``search_calls`` and the robustness check's
    ``check_calls`` (0 where neither is recorded)."""
    if e.extras_calls is not None:
        return int(e.extras_calls)
    if e.search_calls is None:
        return 0
    return int(e.n_model_calls - e.check_calls - e.search_calls)


def _top(labels: Sequence[str], p: np.ndarray | None) -> str | None:
    return None if p is None else labels[int(np.argmax(p))]


def assemble(task: str, strategy: str, seed: int, names: Sequence[str], labels: dict[str, list[str]],
             clips: Sequence[Clip], probs: dict, expls: dict, seconds: dict, cross: dict, floors: dict,
             nulls: dict, n_null: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(transfer table, predictions, explanations); the dicts are keyed by clip digest (see the stages);
    ``floors``: each judge's probabilities on each clip's floor, ``{(target, digest): probs}``."""
    pred_rows, erows, rows = [], [], []
    for m in names:
        for c in clips:
            p = probs.get((m, c.digest))
            if p is not None:
                pred_rows.append({"clip_id": c.clip_id, "model": m, "true_label": c.label,
                                  "pred": labels[m][int(np.argmax(p))], "conf": float(np.max(p))})
    for src in sorted(names):
        for c in sorted(clips, key=lambda c: c.clip_id):
            e = expls.get((src, c.digest))
            if e is None:
                continue
            exhausted, minimal = flags(e)
            cls = e.target
            erows.append({"model": src, "clip_id": c.clip_id, "true_label": c.label, "target": cls,
                          "confidence": e.confidence, "found": e.found, "budget_exhausted": exhausted,
                          "verified_minimal": minimal, "resolution_bins": e.resolution_bins,
                          "margin": e.margin, "robust": e.robust, "repaired_bins": e.repaired_bins,
                          "set_size": e.size, "n_bins": e.n_bins,
                          "fraction": e.fraction, "sufficient_confidence": e.sufficient_confidence,
                          "n_model_calls": e.n_model_calls, "check_calls": e.check_calls, "extra_calls": extra_calls(e),
                          "seconds": seconds[(src, c.digest)],
                          # with ``contrastive``: the budget ran out before the contrastive search finished
                          "necessary_budget_cut": (bool(getattr(e, "necessary_budget_cut", False))
                                                   if (e.options or {}).get("contrastive") else None),
                          "fill": e.fill, "floor_label": e.floor_label})
            for g in names:
                po, ps = probs.get((g, c.digest)), cross.get((src, g, c.digest))
                if po is None or ps is None:
                    continue  # that model failed on this clip or signal: see failures
                gl = labels[g]
                j = gl.index(cls) if cls in gl else None
                nu = nulls.get((src, g, c.digest))
                accept = (float(np.mean([gl[int(np.argmax(r))] == cls for r in nu[:n_null]]))
                          if nu is not None and n_null > 0 else float("nan"))
                energy = (float(np.mean([gl[int(np.argmax(r))] == cls for r in nu[n_null + 1:]]))
                          if nu is not None and len(nu) > n_null + 1 else float("nan"))
                rows.append({
                    "task": task, "clip_id": c.clip_id, "true_label": c.label, "source": src, "target": g,
                    "seed": int(seed), "source_pred": cls, "source_conf": e.confidence, "found": e.found,
                    "set_size": e.size, "n_bins": e.n_bins, "fraction": e.fraction,
                    "n_model_calls": e.n_model_calls, "target_pred_original": _top(gl, po),
                    "target_prob_original": float(po[j]) if j is not None else float("nan"),
                    "target_pred_sufficient": _top(gl, ps),
                    "target_prob_sufficient": float(ps[j]) if j is not None else float("nan"),
                    "strategy": strategy, "budget_exhausted": exhausted, "verified_minimal": minimal,
                    "target_pred_silence": _top(gl, floors.get((g, c.digest))),  # the floor under the fill
                    "null_random_accept": accept, "null_random_n": int(n_null) if nu is not None else 0,
                    "target_pred_topmag": _top(gl, None if nu is None else nu[n_null]),
                    "null_energy_accept": energy, "fill": e.fill,
                })
    return (pd.DataFrame(rows, columns=list(COLUMNS)), pd.DataFrame(pred_rows),
            pd.DataFrame(erows, columns=list(EXPLANATION_COLUMNS)))
