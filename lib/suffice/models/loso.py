"""Leave-one-speaker-out evaluation of the deepfake detectors (our offline corpus).

The bona fide class has only five speakers, one per language, and they recur in every split, so a
detector's test accuracy may partly be speaker recognition.  Fold L holds out language L: its bona fide
speaker and every spoof of its transcripts.  The fold's model is trained on the train split without L
(settings chosen on the val split without L) and tested on *every* clip of L (all splits: none of them
was seen).  Estimand per fold: accuracy on the held-out speaker's clips; pooled: accuracy over all
held-out clips with a Wilson interval.

Cost: a probe (frozen embedding + linear head) embeds every clip once and fits five heads (seconds);
a fine-tuned model would need five more trainings, so by default those are not run and their card
says so (``hf_epochs`` runs them with that many epochs, stated in the card).
"""
from __future__ import annotations

import re
import time
from typing import Any

import numpy as np

from .data import Split

__all__ = ["languages", "folds", "evaluate"]

_DEEPFAKE_ID = re.compile(r"^df-(?:bona|spoof)-(?:train|val|test)-([a-z]{2})-")


def languages(clip_ids: list[str]) -> np.ndarray | None:
    """The language (= bona fide speaker) of each clip of the offline deepfake corpus; None otherwise."""
    out = []
    for c in clip_ids:
        m = _DEEPFAKE_ID.match(c)
        if not m:
            return None
        out.append(m.group(1))
    return np.array(out)


def folds(data: dict[str, Split]) -> list[tuple[str, dict[str, np.ndarray]]] | None:
    """Per held-out language: boolean masks over each split (``train``/``val`` kept, ``test_*`` held out)."""
    langs = {s: languages(data[s].clip_ids) for s in ("train", "val", "test")}
    if any(v is None for v in langs.values()):
        return None
    out = []
    for lang in sorted(set(np.concatenate(list(langs.values())))):
        out.append((lang, {s: langs[s] != lang for s in ("train", "val")}
                    | {f"held_{s}": langs[s] == lang for s in ("train", "val", "test")}))
    return out


def _wilson(k: int, n: int) -> tuple[float, float]:
    from ..corpora.audit import wilson
    return wilson(k, n)


def _head_folds(spec: Any, data: dict[str, Split], seed: int) -> list[dict[str, Any]]:
    from .heads import embed_all, embedder, fit_head
    from .training import present_labels
    emb = embedder(spec.arch)
    e = {s: embed_all(emb, data[s].x) for s in ("train", "val", "test")}
    rows = []
    for lang, m in folds(data) or []:
        ytr = [y for y, k in zip(data["train"].y, m["train"]) if k]
        labels = present_labels(spec.task, ytr)
        idx = {l: i for i, l in enumerate(labels)}
        yt = np.array([idx[y] for y in ytr])
        yv = np.array([idx.get(y, -1) for y, k in zip(data["val"].y, m["val"]) if k])
        ev = e["val"][m["val"]]
        trials = []
        for wd in (1e-3, 1e-2, 1e-1):  # the zoo's own head training (suffice.models.training.train_head)
            p = fit_head(e["train"][m["train"]], yt, len(labels), weight_decay=wd, seed=seed)
            z = ((ev - p["mean"]) / p["scale"]) @ p["weight"] + p["bias"]
            trials.append((float((z.argmax(1) == yv).mean()) if len(yv) else 0.0, wd, p))
        _, wd, p = max(trials, key=lambda t: (t[0], t[1]))
        x = np.concatenate([e[s][m[f"held_{s}"]] for s in ("train", "val", "test")])
        y = [yy for s in ("train", "val", "test") for yy, k in zip(data[s].y, m[f"held_{s}"]) if k]
        pred = np.array(labels)[(((x - p["mean"]) / p["scale"]) @ p["weight"] + p["bias"]).argmax(1)]
        rows.append(_fold_row(lang, np.array(y), pred))
    return rows


def _hf_folds(spec: Any, data: dict[str, Split], seed: int, settings: dict[str, Any]) -> list[dict[str, Any]]:
    from .training import train_hf
    rows = []
    for lang, m in folds(data) or []:
        sub = {s: Split(data[s].x[m[s]], [y for y, k in zip(data[s].y, m[s]) if k],
                        [c for c, k in zip(data[s].clip_ids, m[s]) if k]) for s in ("train", "val")}
        clf, _ = train_hf(spec.arch, spec.task, sub, name=spec.name, code=spec.code, seed=seed, progress=False,
                          **settings)
        x = np.concatenate([data[s].x[m[f"held_{s}"]] for s in ("train", "val", "test")])
        y = [yy for s in ("train", "val", "test") for yy, k in zip(data[s].y, m[f"held_{s}"]) if k]
        probs = clf.predict_proba(x)
        rows.append(_fold_row(lang, np.array(y), np.array(clf.labels)[np.asarray(probs).argmax(1)]))
    return rows


def _fold_row(lang: str, y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    from ..corpora.speech import VOICES
    ok = y == pred
    out: dict[str, Any] = {"held_out": VOICES[lang].speaker if lang in VOICES else lang, "language": lang,
                           "n": int(len(y)), "correct": int(ok.sum()), "accuracy": round(float(ok.mean()), 4) if len(y) else None}
    for label in ("bonafide", "spoof"):
        sel = y == label
        out[f"{label}_accuracy"] = round(float(ok[sel].mean()), 4) if sel.any() else None
    return out


def evaluate(spec: Any, data: dict[str, Split], *, seed: int = 0, hf_epochs: int | None = None,
             settings: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The ``loso`` entry of a deepfake detector's card (None for other tasks or other corpora).

    ``status``: ``"done"`` (with ``folds``, pooled ``accuracy`` and Wilson ``lo``/``hi``, ``seconds``) or
    ``"not run"`` with the reason.  Fine-tuned (``hf``) models run only when ``hf_epochs`` is given, with
    that many epochs per fold (said in ``note``).
    """
    if spec.task != "deepfake" or folds(data) is None:
        return None
    t0 = time.perf_counter()
    if spec.kind == "head":
        rows, note = _head_folds(spec, data, seed), "the zoo's head training on each fold"
    elif spec.kind == "hf" and hf_epochs:
        s = {**(settings or {}), "epochs": int(hf_epochs)}
        rows, note = _hf_folds(spec, data, seed, s), f"fine-tuned with {int(hf_epochs)} epochs per fold (fewer than the zoo's)"
    else:
        return {"status": "not run", "reason": "a fine-tuned model would need five more trainings (over the "
                "build's time budget); probes only" if spec.kind == "hf" else f"not applicable to a {spec.kind} model"}
    n = sum(r["n"] for r in rows)
    k = sum(r["correct"] for r in rows)
    lo, hi = _wilson(k, n)
    return {"status": "done", "note": note, "folds": rows, "n": n, "accuracy": round(k / n, 4) if n else None,
            "lo": round(lo, 4), "hi": round(hi, 4), "seconds": round(time.perf_counter() - t0, 1)}
