"""Channel audit of the deepfake corpus: can what is *not* the voice tell bona fide from spoof?

Per clip, five groups of channel descriptors (everything a recording chain leaves, nothing a voice makes):

* ``noise_floor``: the mean log power spectrum (dB, 8 bands) of the quietest 10% of 20 ms frames, and
  its overall level;
* ``level``: active-speech RMS (dB), the level the chain sets;
* ``bandwidth``: energy above 7 kHz and below 100 Hz, outside the band the chain keeps (corpus v6:
  150-6900 Hz, with a guard band on either side so that the leakage of the speech's own edges stays
  inside 100-7000 Hz), in dB re the active-speech power (re the whole clip's power they carried its
  share of pauses, a rhythm cue: 53.5% against 52.4% re the active level on the default corpus v6), from
  the whole clip's fine-resolution power spectrum (a 20 ms frame's 50 Hz bin spans 0-150 Hz, so voice
  energy at 120-150 Hz leaked into "below 100 Hz"; a 140 Hz tone read as such);
* ``silence``: leading and trailing silence (s) before the first and after the last active frame;
* ``duration``: the active span (s), from the first to the last active frame.

and groups of **voice cues** that a detector may legitimately use: ``brightness`` (spectral centroid
and 85% roll-off of the active frames, and the 95% and 99% roll-off of the whole clip: on the default
corpus v5 they sit at 1.2-3.5 kHz, far inside the band the channel passes, and measure the voice's
spectral tilt, bona fide 1,255 Hz against spoof 1,725 Hz at 95%; up to corpus v5 they were filed under
``bandwidth``), ``rhythm`` (the share of active frames and how far the whole clip's RMS lies below its
active level: once the chain pads every clip alike and shortens every pause to the same length, what
is left of them is the speech's own dips between syllables and words, how the voice or synthesiser
articulates; up to corpus v5 they were filed under ``duration`` and ``level``, where the clips' own
pauses and edges made them channel cues), ``voicing`` (share of voiced active frames, median f0) and
``crest`` (peak level and crest factor: how peaky the waveform is, which the chain's level setting
leaves to the voice or synthesiser).

Each group is scored by a cross-validated classifier (standardised L2 logistic regression, fitted by
Newton's method, stratified k-fold); :func:`audit` returns its accuracy, the majority-class baseline, a one-sided **label-permutation**
p-value (the same cross-validation run on ``n_perm`` random relabellings: exact under the null whatever the
folds do), an interval, and the power the test had against a stated accuracy.  Null: the group's
descriptors carry no information on the label (true accuracy = the baseline).  Out-of-fold predictions
are not independent trials (a plain binomial interval on them called a null group "above chance" in 8.5%
of simulated tables at a nominal 2.5%), so the interval is a Wilson interval on the effective number of
clips ``n / deff``, where the design effect ``deff >= 1`` is the permutation accuracies' variance over
the binomial variance at the baseline; the false-positive rate is checked by simulation in
``tests/test_audit.py``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..constants import SAMPLE_RATE
from ..errors import OptionError
from ..stats import wilson_interval
from .signal import frame_energy, loud

__all__ = ["CHANNEL_GROUPS", "VOICE_GROUPS", "clip_descriptors", "descriptors", "fit_logistic", "cv_accuracy",
           "binomial_power", "audit", "audit_corpus"]

SR = SAMPLE_RATE
FRAME = 320  # 20 ms
NOISE_BANDS = ((0, 250), (250, 500), (500, 1000), (1000, 2000), (2000, 3000), (3000, 4000), (4000, 6000),
               (6000, 8001))

#: descriptor columns of each channel group (what is not the voice)
CHANNEL_GROUPS: dict[str, list[str]] = {
    "noise_floor": [f"noise_{lo}_{hi}_db" for lo, hi in NOISE_BANDS] + ["noise_level_db"],
    "level": ["active_rms_db"],
    "bandwidth": ["above7k_db", "below100_db"],
    "silence": ["lead_silence_s", "trail_silence_s"],
    "duration": ["active_span_s"],
}
#: descriptor columns of the voice cues that remain (what a detector may legitimately use)
VOICE_GROUPS: dict[str, list[str]] = {
    "brightness": ["centroid_hz", "rolloff85_hz", "rolloff95_hz", "rolloff99_hz"],
    "rhythm": ["active_share", "rms_below_active_db"],
    "voicing": ["voiced_share", "f0_median_hz"],
    "crest": ["peak_db", "crest_db"],
}


def _db(x: np.ndarray | float) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(np.asarray(x, dtype=np.float64), 1e-20))


def _voiced(frames: np.ndarray, fmin: float = 60.0, fmax: float = 400.0,
            threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Per frame (n, L): voiced (normalised autocorrelation peak in the f0 lag range > ``threshold``), f0 (Hz)."""
    x = frames - frames.mean(1, keepdims=True)
    n_fft = 2 * x.shape[1]
    spec = np.fft.rfft(x, n_fft, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, n_fft, axis=1)[:, : x.shape[1]]
    lo, hi = int(SR / fmax), min(int(SR / fmin), x.shape[1] - 1)
    # unbiased normalisation: divide by the overlap length, then by lag-0 energy
    ac = ac / (x.shape[1] - np.arange(x.shape[1]))[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = ac[:, lo:hi] / np.where(ac[:, :1] > 0, ac[:, :1], 1.0)
    peak = r.max(1)
    local = np.zeros_like(r, dtype=bool)
    local[:, 1:-1] = (r[:, 1:-1] >= r[:, :-2]) & (r[:, 1:-1] >= r[:, 2:])
    local[np.arange(len(r)), r.argmax(1)] = True
    best = np.argmax(local & (r >= 0.9 * peak[:, None]), axis=1)  # the shortest near-peak maximum: no octave errors
    return peak > threshold, SR / (lo + best)


def clip_descriptors(x: np.ndarray, *, top_db: float = 35.0) -> dict[str, float]:
    """Every channel and voice descriptor of one 16 kHz clip (see the module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x) // FRAME
    if n < 10:
        raise OptionError(f"a clip of {len(x)} samples is too short for the channel audit (needs {10 * FRAME})")
    frames = x[: n * FRAME].reshape(n, FRAME)
    energy = frame_energy(x, FRAME)
    active = loud(energy, top_db)
    power = float(np.mean(x ** 2))       # the whole clip's mean power
    on = np.flatnonzero(active)
    window = np.hanning(FRAME)
    spec = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    freqs = np.fft.rfftfreq(FRAME, 1.0 / SR)
    quiet = np.argsort(energy)[: max(5, n // 10)]
    floor = spec[quiet].mean(0)
    out: dict[str, float] = {}
    for lo, hi in NOISE_BANDS:
        out[f"noise_{lo}_{hi}_db"] = float(_db(floor[(freqs >= lo) & (freqs < hi)].mean()))
    out["noise_level_db"] = float(_db(energy[quiet].mean()))
    out["rms_db"] = float(_db(power))
    out["active_rms_db"] = float(_db(energy[active].mean()))
    out["rms_below_active_db"] = out["active_rms_db"] - out["rms_db"]
    out["peak_db"] = float(_db(np.max(x ** 2)))
    out["crest_db"] = out["peak_db"] - out["rms_db"]
    total = spec.sum(0)
    cum = np.cumsum(total) / max(total.sum(), 1e-20)
    out["rolloff95_hz"] = float(freqs[min(len(freqs) - 1, np.searchsorted(cum, 0.95))])
    out["rolloff99_hz"] = float(freqs[min(len(freqs) - 1, np.searchsorted(cum, 0.99))])
    fine = np.abs(np.fft.rfft(x)) ** 2  # the whole clip: bins len(x)/SR apart (0.33 Hz for 3 s)
    fine_f = np.fft.rfftfreq(len(x), 1.0 / SR)
    to_active = power / max(energy[active].mean(), 1e-20)  # whole-clip power over active power
    out["above7k_db"] = float(_db(fine[fine_f > 7000].sum() / max(fine.sum(), 1e-20) * to_active))
    out["below100_db"] = float(_db(fine[fine_f < 100].sum() / max(fine.sum(), 1e-20) * to_active))
    out["lead_silence_s"] = on[0] * FRAME / SR
    out["trail_silence_s"] = (n - 1 - on[-1]) * FRAME / SR
    out["active_span_s"] = (on[-1] - on[0] + 1) * FRAME / SR
    out["active_share"] = float(active.mean())
    act = spec[active].sum(0)
    out["centroid_hz"] = float((act * freqs).sum() / max(act.sum(), 1e-20))
    cum_a = np.cumsum(act) / max(act.sum(), 1e-20)
    out["rolloff85_hz"] = float(freqs[min(len(freqs) - 1, np.searchsorted(cum_a, 0.85))])
    pairs = np.flatnonzero(active[:-1] & active[1:])[::2]  # 40 ms windows of two active frames
    voiced, f0 = _voiced(np.stack([x[i * FRAME:(i + 2) * FRAME] for i in pairs]) if pairs.size else frames[active])
    out["voiced_share"] = float(voiced.mean())
    out["f0_median_hz"] = float(np.median(f0[voiced])) if voiced.any() else float("nan")
    return out


def descriptors(clips: Sequence[np.ndarray] | np.ndarray, *, progress: bool = False) -> pd.DataFrame:
    """:func:`clip_descriptors` of many clips, one row each (input order)."""
    from tqdm.auto import tqdm
    return pd.DataFrame([clip_descriptors(c) for c in tqdm(list(clips), desc="channel audit", disable=not progress)])


def binomial_power(n: int, p_alt: float, *, p0: float = 0.5, alpha: float = 0.05) -> float:
    """Power of the one-sided exact binomial test of ``p = p0`` at level ``alpha`` when the truth is ``p_alt``."""
    k = np.arange(n + 2)
    crit = int(k[np.argmax(sps.binom.sf(k - 1, n, p0) <= alpha)])  # smallest k with P(X >= k | p0) <= alpha
    return float(sps.binom.sf(crit - 1, n, p_alt))


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median-impute and standardise both arrays with the training rows' statistics (as scikit-learn's
    ``SimpleImputer(strategy="median")`` then ``StandardScaler``: a constant column is centred, not scaled;
    a column with no finite training value is dropped)."""
    keep = np.isfinite(train).any(0)
    train, test = train[:, keep], test[:, keep]
    med = np.nanmedian(train, axis=0)
    train = np.where(np.isnan(train), med, train)
    test = np.where(np.isnan(test), med, test)
    mu, sd = train.mean(0), train.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return (train - mu) / sd, (test - mu) / sd


def fit_logistic(X: np.ndarray, y: np.ndarray, *, C: float = 1.0, tol: float = 1e-10,
                 max_iter: int = 100) -> np.ndarray:
    """L2-penalised binary logistic regression by Newton's method: ``[intercept, w...]``.

    The objective is scikit-learn's ``LogisticRegression(C=C)`` one (``C * sum(log-loss) + |w|^2 / 2``,
    intercept unpenalised), strictly convex, so both reach the same optimum; Newton's method gets there
    in a few steps on the audit's few columns (scikit-learn's solver and pipeline cost ~40 ms a fit,
    which made the label-permutation audit of one corpus take three minutes).  ``y``: 0/1.
    """
    A = np.column_stack([np.ones(len(X)), X])
    pen = np.full(A.shape[1], 1.0 / C)
    pen[0] = 0.0
    beta = np.zeros(A.shape[1])
    for _ in range(max_iter):
        z = A @ beta
        p = 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, without overflow
        grad = A.T @ (p - y) + pen * beta
        hess = (A * (p * (1 - p))[:, None]).T @ A + np.diag(pen + 1e-12)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def cv_accuracy(features: pd.DataFrame | np.ndarray, y: np.ndarray, *, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Out-of-fold correctness (bool, one per row) of a standardised L2 logistic regression (C = 1,
    :func:`fit_logistic`), stratified k-fold; two classes.

    Non-finite descriptor values are replaced by the training fold's median.
    """
    from sklearn.model_selection import StratifiedKFold
    X = np.asarray(features, dtype=np.float64)
    X = np.where(np.isfinite(X), X, np.nan)
    codes, classes = pd.factorize(np.asarray(y))
    if len(classes) != 2:
        raise OptionError(f"the channel audit tells two classes apart, got {len(classes)}: {list(classes)}")
    folds = int(min(folds, np.bincount(codes).min()))
    if folds < 2:
        raise OptionError("the channel audit needs at least 2 clips of each class")
    correct = np.zeros(len(codes), dtype=bool)
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, codes):
        train, test = _standardise(X[tr], X[te])
        beta = fit_logistic(train, codes[tr].astype(np.float64))
        if len(np.unique(codes[tr])) < 2:
            pred = np.full(len(te), codes[tr][0])
        else:
            pred = (beta[0] + test @ beta[1:] > 0).astype(int)
        correct[te] = pred == codes[te]
    return correct


def audit(table: pd.DataFrame, labels: Sequence[str] | np.ndarray, *,
          groups: dict[str, list[str]] | None = None, folds: int = 5, seed: int = 0, ci: float = 0.95,
          alpha: float = 0.05, effect: float = 0.6, n_perm: int = 100) -> pd.DataFrame:
    """Cross-validated accuracy of each descriptor group (default: every channel group, all channel
    descriptors together, and the voice cues) at telling the labels apart.

    Returns one row per group: ``group``, ``kind`` (channel | voice), ``n``, ``accuracy``, ``lo``/``hi``
    (Wilson on ``n / deff`` clips), ``chance`` (majority share), ``deff`` (design effect), ``p`` (one-sided
    label-permutation test against the null of no information, ``n_perm`` relabellings), ``power`` (of a
    level-``alpha`` test on ``n / deff`` clips against a true accuracy of ``effect``), ``at_chance`` (the
    interval covers ``chance``), ``above_chance`` (``p < alpha``: the group tells the labels apart).  An accuracy *below* chance is no information: cross-validating an uninformative feature
    is biased downwards (each training fold holds the other class in excess), most visibly on few clips.
    """
    y = np.asarray(labels)
    if len(y) != len(table):
        raise OptionError(f"{len(y)} labels for {len(table)} clips")
    if groups is None:
        groups = {**CHANNEL_GROUPS, "all channel": [c for g in CHANNEL_GROUPS.values() for c in g], **VOICE_GROUPS}
    chance = float(pd.Series(y).value_counts(normalize=True).max())
    rows = []
    for name, cols in groups.items():
        missing = [c for c in cols if c not in table.columns]
        if missing:
            raise OptionError(f"audit group {name!r}: columns {missing} not in the descriptor table")
        correct = cv_accuracy(table[cols], y, folds=folds, seed=seed)
        k, n = int(correct.sum()), len(correct)
        rng = np.random.default_rng([seed, len(rows)])
        perm = np.array([cv_accuracy(table[cols], rng.permutation(y), folds=folds, seed=seed).mean()
                         for _ in range(int(n_perm))])
        p = float((1 + np.sum(perm >= k / n - 1e-12)) / (1 + len(perm)))
        deff = max(1.0, float(np.var(perm, ddof=1)) / (chance * (1 - chance) / n)) if len(perm) > 1 else 1.0
        n_eff = max(1, int(round(n / deff)))
        lo, hi = (float(v) for v in wilson_interval(int(round(k / n * n_eff)), n_eff, ci=ci))
        rows.append({"group": name, "kind": "voice" if name in VOICE_GROUPS else "channel", "n": n,
                     "accuracy": k / n, "lo": lo, "hi": hi, "chance": chance, "deff": deff, "p": p,
                     "power": binomial_power(n_eff, effect, p0=chance, alpha=alpha),
                     "at_chance": lo <= chance <= hi, "above_chance": p < alpha})
    out = pd.DataFrame(rows)
    out.attrs.update({"effect": effect, "alpha": alpha, "folds": folds})
    return out


def audit_corpus(manifest: pd.DataFrame, *, folds: int = 5, seed: int = 0, effect: float = 0.6,
                 progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load every clip of a deepfake manifest (all splits) and audit it: ``(descriptors, audit table)``.

    The descriptor table carries the manifest's ``clip_id``, ``label``, ``split`` and ``system``.
    """
    import soundfile as sf
    if manifest.empty:
        raise OptionError("the manifest holds no clips to audit")
    clips = [sf.read(p, dtype="float32")[0] for p in manifest["path"]]
    d = descriptors(clips, progress=progress)
    for col in ("clip_id", "label", "split", "system"):
        if col in manifest.columns:
            d[col] = manifest[col].to_numpy()
    return d, audit(d, manifest["label"].to_numpy(), folds=folds, seed=seed, effect=effect)
