"""The study's table meets the transfer contract: rates recomputed by hand from its explanations agree.

A tiny deepfake study with analytic band-ratio detectors (no trained model), run through the public
``suffice.study.run``; then every transfer outcome is recomputed directly as g(keep_bins(x, S_f)) == c.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from suffice import spectral as sp, stats as st, transfer as tr
from suffice.masking import keep_bins

SR = 16000


class BandRatioDetector:
    """'spoof' iff log(power above ``split`` Hz / power below) exceeds ``thr``."""

    labels = ("bonafide", "spoof")
    sample_rate = SR

    def __init__(self, name: str, split: float, thr: float):
        self.name, self.split, self.thr = name, split, thr

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        power = np.abs(np.fft.rfft(np.asarray(x, np.float64), axis=-1)) ** 2
        f = np.fft.rfftfreq(x.shape[-1], 1 / SR)
        score = np.log(power[:, f >= self.split].sum(1) + 1e-3) - np.log(power[:, (f > 0) & (f < self.split)].sum(1) + 1e-3)
        p = 1 / (1 + np.exp(-2 * (score - self.thr)))
        return np.stack([1 - p, p], 1)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    study_mod = pytest.importorskip("suffice.study")
    rng = np.random.default_rng(0)
    n = 2000
    f = np.fft.rfftfreq(n, 1 / SR)

    def clip(spoof: bool) -> np.ndarray:
        spec = np.fft.rfft(rng.standard_normal(n)) * (1 + f / 500.0) ** (-0.2 if spoof else -1.0)
        x = np.fft.irfft(spec, n)
        return (0.1 * x / x.std()).astype(np.float32)

    items = [(f"{lab}{i}", clip(lab == "spoof"), lab) for lab in ("bonafide", "spoof") for i in range(3)]
    clips, _ = study_mod.clips_from_arrays(items, SR)
    models = [BandRatioDetector("d-a", 3000, 0.0), BandRatioDetector("d-b", 3500, -0.3),
              BandRatioDetector("d-c", 2500, 0.3), BandRatioDetector("d-flat", 7000, -1.5)]
    res = study_mod.run("deepfake", models, clips, {}, seed=0, cache_dir=tmp_path_factory.mktemp("cache"),
                        progress=False)
    return res, {m.name: m for m in models}, {c.clip_id: c.waveform for c in clips}


def test_study_table_meets_contract_and_rates_match_direct_recomputation(study):
    res, models, waves = study
    table = tr.validate_table(res.table)
    assert set(tr.TABLE_COLUMNS) <= set(table.columns)
    hits = np.zeros((4, 4))
    counts = np.zeros((4, 4))
    names = list(models)
    for r in res.explanations[res.explanations["found"]].itertuples():
        e = res.explanation(r.model, r.clip_id)
        s = keep_bins(waves[r.clip_id], e.keep)
        for j, g in enumerate(names):
            pred = models[g].labels[int(np.argmax(models[g].predict_proba(s[None])[0]))]
            hits[names.index(r.model), j] += pred == e.target
            counts[names.index(r.model), j] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = tr.summarise(table, n_boot=100, models=names)
        with np.errstate(invalid="ignore"):
            np.testing.assert_allclose(summary.matrix.to_numpy(), hits / counts)
        fe = tr.model_table(table, res.predictions, n_boot=100, models=names)
    assert list(fe["model"]) == names and fe["method"].iloc[0] in ("loo", "none")


def test_spectral_features_of_study_sufficiencies(study):
    res, _, _ = study
    rows, waves, keeps = [], [], []
    for r in res.explanations[res.explanations["found"]].itertuples():
        e = res.explanation(r.model, r.clip_id)
        rows.append({"model": r.model, "clip_id": r.clip_id, "true_label": r.true_label})
        waves.append(e.waveform)
        keeps.append(e.keep)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        feats = pd.concat([pd.DataFrame(rows), sp.features(waves, keeps).reset_index(drop=True)], axis=1)
        res_mw = st.compare_groups(feats, "centroid_hz", n_boot=50)
    np.testing.assert_array_equal(feats["n_kept"], [int(k.sum()) for k in keeps])
    # an empty sufficient set (silence is enough for the class) has NaN descriptors, not an error
    assert feats.loc[feats["n_kept"] == 0, "psd_entropy"].isna().all()
    assert set(res_mw["model"]) == set(feats["model"])
