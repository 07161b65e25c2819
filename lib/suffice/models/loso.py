"""Leave-one-speaker-out evaluation of the deepfake detectors (our offline corpus).

The bona fide class has only five speakers, one per language, and they recur in every split, so a
detector's test accuracy may partly be speaker recognition.  Fold L holds out language L: its bona fide
speaker and every spoof of its transcripts.  The fold's model is trained from scratch on the train split
without L (settings, or the best epoch, chosen on the val split without L) and tested on *every* clip of
L (all splits: none of them was seen).  Estimand per fold: accuracy on the held-out speaker's clips;
pooled: accuracy over all held-out clips with a Wilson interval.

Protocols (stated in the card's ``loso.protocol``):

- a probe (frozen embedding + linear head) embeds every clip once and refits the zoo's head on each
  fold (seconds): exactly the zoo's training;
- a fine-tuned (``hf``) detector is trained from scratch on each fold with the zoo's recipe (learning
  rate, batch size, crops, one-cycle schedule, best-val-epoch selection) but only
  :data:`HF_EPOCH_SHARE` of its epochs, on all the fold's train clips: five folds then cost about one
  full training.  It is never warm-started from the zoo's model, which saw the held-out speaker.
  ``hf_epochs`` overrides the epochs (the recipe's own number gives the full-recipe LOSO).  The
  detectors of :data:`FULL_RECIPE_CHECK` also run the full-recipe LOSO in every build, so that what the
  reduction costs in accuracy is measured, not assumed.

A card's ``loso`` is current when its ``protocol`` equals :func:`protocol` for the model now
(:func:`current`); ``suffice.models.build`` recomputes a stale one without retraining the model.
"""
from __future__ import annotations

import inspect
import math
import re
import time
from typing import Any

import numpy as np

from ..stats import wilson_interval
from .data import Split

__all__ = ["HF_EPOCH_SHARE", "LOSO_VERSION", "FULL_RECIPE_CHECK", "languages", "folds", "hf_epochs_for",
           "protocol", "current", "evaluate", "table", "largest_drop", "reduction_cost"]

#: share of the zoo recipe's epochs that each fold of a fine-tuned detector trains for (rounded up)
HF_EPOCH_SHARE = 0.25
#: bump when the LOSO computation changes (cards with another version are recomputed)
LOSO_VERSION = "2"
#: fine-tuned detectors whose card also holds the full-recipe LOSO (all the recipe's epochs per fold), so
#: that what the reduced protocol costs in accuracy is measured by every build (the cheapest to train)
FULL_RECIPE_CHECK = ("deepfake/ast-tiny",)

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
    """Per held-out language: boolean masks over each split (``train``/``val`` kept, ``held_*`` held out)."""
    langs = {s: languages(data[s].clip_ids) for s in ("train", "val", "test")}
    if any(v is None for v in langs.values()):
        return None
    out = []
    for lang in sorted(set(np.concatenate(list(langs.values())))):
        out.append((lang, {s: langs[s] != lang for s in ("train", "val")}
                    | {f"held_{s}": langs[s] == lang for s in ("train", "val", "test")}))
    return out


def _recipe(settings: dict[str, Any] | None) -> dict[str, Any]:
    """The zoo's training settings of a fine-tuned model, completed with ``train_hf``'s defaults."""
    from .training import train_hf
    defaults = {k: p.default for k, p in inspect.signature(train_hf).parameters.items()
                if k in ("epochs", "lr", "batch_size", "weight_decay", "crop_seconds")}
    return {**defaults, **(settings or {})}


def hf_epochs_for(recipe_epochs: int) -> int:
    """Epochs per fold of the default fine-tuned LOSO: ``ceil(HF_EPOCH_SHARE * recipe_epochs)``, at least 1."""
    return max(1, math.ceil(HF_EPOCH_SHARE * int(recipe_epochs)))


def protocol(spec: Any, settings: dict[str, Any] | None = None, hf_epochs: int | None = None
             ) -> dict[str, Any] | None:
    """What the LOSO of ``spec`` does (the card's ``loso.protocol``); None where none applies."""
    if spec.task != "deepfake":
        return None
    if spec.kind == "head":
        return {"version": LOSO_VERSION, "training": "the zoo's head training on each fold (weight decay "
                "chosen on the fold's val clips)"}
    if spec.kind == "hf":
        r = _recipe(settings)
        epochs = int(hf_epochs) if hf_epochs else hf_epochs_for(r["epochs"])
        return {"version": LOSO_VERSION, "training": "fine-tuned from scratch on each fold with the zoo's "
                "recipe (best val epoch kept), never from the zoo's model", "epochs": epochs,
                "recipe_epochs": int(r["epochs"]), "train_clips": "all of the fold's",
                **{k: r[k] for k in ("lr", "batch_size", "weight_decay", "crop_seconds")},
                "full_recipe_check": spec.name in FULL_RECIPE_CHECK}
    return None


def current(card: dict[str, Any], spec: Any, data: dict[str, Split], settings: dict[str, Any] | None = None
            ) -> bool:
    """Whether ``card`` holds the LOSO that :func:`evaluate` would compute now on ``data`` (with the
    default protocol).  A card whose model has no LOSO (another task, kind or corpus) is current once it
    has the key."""
    if "loso" not in card:
        return False
    want, have = protocol(spec, settings), card["loso"]
    if want is None or folds(data) is None:
        return True
    return isinstance(have, dict) and have.get("protocol") == want


def _held_labels(data: dict[str, Split], m: dict[str, np.ndarray]) -> np.ndarray:
    """Labels of a fold's held-out clips (train, val, test order)."""
    return np.array([yy for s in ("train", "val", "test") for yy, k in zip(data[s].y, m[f"held_{s}"]) if k])


def _held(data: dict[str, Split], m: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Waveforms and labels of a fold's held-out clips."""
    x = np.concatenate([data[s].x[m[f"held_{s}"]] for s in ("train", "val", "test")])
    return x, _held_labels(data, m)


def _head_folds(spec: Any, data: dict[str, Split], seed: int, progress: bool) -> list[dict[str, Any]]:
    from tqdm.auto import tqdm
    from .heads import embed_all, embedder, fit_head
    from .training import present_labels
    emb = embedder(spec.arch)
    e = {s: embed_all(emb, data[s].x) for s in ("train", "val", "test")}
    rows = []
    for lang, m in tqdm(folds(data) or [], desc=f"LOSO {spec.name}", disable=not progress, leave=False):
        t0 = time.perf_counter()
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
        y = _held_labels(data, m)  # (the embeddings above stand in for the waveforms)
        pred = np.array(labels)[(((x - p["mean"]) / p["scale"]) @ p["weight"] + p["bias"]).argmax(1)]
        rows.append(_fold_row(lang, y, pred) | {"n_train": len(yt), "n_val": len(yv), "weight_decay": wd,
                                                "seconds": round(time.perf_counter() - t0, 1)})
    return rows


def _hf_folds(spec: Any, data: dict[str, Split], seed: int, settings: dict[str, Any], progress: bool
              ) -> list[dict[str, Any]]:
    from tqdm.auto import tqdm
    from .training import train_hf
    rows = []
    for lang, m in tqdm(folds(data) or [], desc=f"LOSO {spec.name}", disable=not progress, leave=False):
        t0 = time.perf_counter()
        sub = {s: Split(data[s].x[m[s]], [y for y, k in zip(data[s].y, m[s]) if k],
                        [c for c, k in zip(data[s].clip_ids, m[s]) if k]) for s in ("train", "val")}
        clf, info = train_hf(spec.arch, spec.task, sub, name=spec.name, code=spec.code, seed=seed,
                             progress=False, **settings)
        x, y = _held(data, m)
        pred = np.array(clf.labels)[np.asarray(clf.predict_proba(x)).argmax(1)]
        rows.append(_fold_row(lang, y, pred) | {"n_train": len(sub["train"].y), "n_val": len(sub["val"].y),
                                                "best_epoch": info["best_epoch"],
                                                "seconds": round(time.perf_counter() - t0, 1)})
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
             settings: dict[str, Any] | None = None, progress: bool = False) -> dict[str, Any] | None:
    """The ``loso`` entry of a deepfake detector's card (None for other tasks or other corpora).

    ``settings``: the zoo's training settings of a fine-tuned model (``zoo.train_settings``); its folds
    train for ``hf_epochs`` epochs (default :func:`hf_epochs_for` of the recipe's).  Returns
    ``status``: ``"done"`` with ``protocol`` (:func:`protocol`), ``note`` (the protocol in words),
    ``folds`` (one row per held-out language), pooled ``n``, ``accuracy``, Wilson ``lo``/``hi`` and
    ``seconds`` (and, for :data:`FULL_RECIPE_CHECK`, ``full_recipe``: the same with all the recipe's
    epochs); or ``"not run"`` with the reason (a zero-shot model).
    """
    if spec.task != "deepfake" or folds(data) is None:
        return None
    proto = protocol(spec, settings, hf_epochs)
    if proto is None:
        return {"status": "not run", "reason": f"not applicable to a {spec.kind} model"}
    t0 = time.perf_counter()
    if spec.kind == "head":
        rows, note = _head_folds(spec, data, seed, progress), "the zoo's head training on each fold"
    else:
        s = {**_recipe(settings), "epochs": proto["epochs"]}
        rows = _hf_folds(spec, data, seed, s, progress)
        note = (f"fine-tuned from scratch on each fold, {proto['epochs']} of the recipe's "
                f"{proto['recipe_epochs']} epochs, all the fold's train clips")
    out = {"status": "done", "protocol": proto, "note": note, "folds": rows, **_pooled(rows),
           "seconds": round(time.perf_counter() - t0, 1)}
    if proto.get("full_recipe_check") and proto["epochs"] != proto["recipe_epochs"]:
        t1 = time.perf_counter()
        full = _hf_folds(spec, data, seed, _recipe(settings), progress)
        out["full_recipe"] = {"epochs": proto["recipe_epochs"], "folds": full, **_pooled(full),
                              "seconds": round(time.perf_counter() - t1, 1)}
    return out


def _pooled(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = sum(r["n"] for r in rows)
    k = sum(r["correct"] for r in rows)
    lo, hi = (float(v) for v in wilson_interval(k, n))
    return {"n": n, "accuracy": round(k / n, 4) if n else None, "lo": round(lo, 4), "hi": round(hi, 4)}


def table(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per deepfake detector card: its test accuracy, LOSO protocol, pooled LOSO accuracy with
    its Wilson interval, the drop from one to the other, and each fold's accuracy."""
    rows = []
    for c in cards:
        lo, test = c.get("loso"), (c.get("test") or {}).get("accuracy")
        row: dict[str, Any] = {"model": c["name"], "kind": c.get("kind"), "test accuracy": test}
        if lo is None or lo.get("status") != "done":
            row["LOSO protocol"] = ("not in this card" if lo is None else f"{lo['status']}: {lo.get('reason', '')}"
                                    ) + " (the next `make models` adds it)"
        else:
            row.update({"LOSO protocol": lo["note"], "LOSO accuracy": lo["accuracy"], "lo": lo["lo"],
                        "hi": lo["hi"], "n": lo["n"],
                        "drop": None if test is None else round(test - lo["accuracy"], 4),
                        "seconds": lo["seconds"], **{f"held out {f['language']}": f["accuracy"] for f in lo["folds"]}})
        rows.append(row)
    return rows


def largest_drop(rows: list[dict[str, Any]]) -> str:
    """One sentence: the detector whose pooled LOSO accuracy falls furthest below its test accuracy."""
    done = [r for r in rows if r.get("drop") is not None]
    if not done:
        return "No detector's card holds a leave-one-speaker-out evaluation yet."
    r = max(done, key=lambda r: r["drop"])
    return (f"The largest drop from test accuracy to pooled LOSO accuracy is {r['drop']:.3f}, for `{r['model']}` "
            f"(test {r['test accuracy']:.3f}; LOSO {r['LOSO accuracy']:.3f}, 95% Wilson interval "
            f"[{r['lo']:.3f}, {r['hi']:.3f}], {r['n']} held-out clips, protocol: {r['LOSO protocol']}).")


def reduction_cost(cards: list[dict[str, Any]]) -> str:
    """One sentence per card holding a ``full_recipe`` LOSO: reduced against full recipe, pooled."""
    out = []
    for c in cards:
        lo = c.get("loso") or {}
        full = lo.get("full_recipe")
        if not full:
            continue
        out.append(f"For `{c['name']}` the full recipe ({full['epochs']} epochs per fold) reaches a pooled LOSO "
                   f"accuracy of {full['accuracy']:.3f} [{full['lo']:.3f}, {full['hi']:.3f}] against "
                   f"{lo['accuracy']:.3f} [{lo['lo']:.3f}, {lo['hi']:.3f}] with {lo['protocol']['epochs']} "
                   f"(on the same {full['n']} clips): the reduced protocol changes that detector's pooled LOSO "
                   f"accuracy by {lo['accuracy'] - full['accuracy']:+.3f}"
                   + (f", of a drop of {test - lo['accuracy']:.3f} from its test accuracy ({test:.3f})"
                      if (test := (c.get("test") or {}).get("accuracy")) is not None else "") + ".")
    return " ".join(out) or ("No card holds a full-recipe LOSO, so what the reduced protocol costs in accuracy "
                             "is not measured here.")
