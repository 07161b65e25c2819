"""Leave-one-speaker-out folds of the deepfake detectors: exact masks on synthetic splits."""
from __future__ import annotations

import numpy as np

from suffice.models import loso
from suffice.models.data import Split


def _split(name: str, langs: list[str]) -> Split:
    ids = [f"df-{kind}-{name}-{lang}-{i:03d}" for i, lang in enumerate(langs) for kind in ("bona", "spoof")]
    y = [lab for _ in langs for lab in ("bonafide", "spoof")]
    return Split(np.zeros((len(ids), 10), dtype=np.float32), y, ids)


def test_folds_hold_out_one_language_everywhere() -> None:
    data = {"train": _split("train", ["en", "en", "fr", "it"]), "val": _split("val", ["en", "fr"]),
            "test": _split("test", ["fr", "it"])}
    f = dict(loso.folds(data))
    assert sorted(f) == ["en", "fr", "it"]
    en = f["en"]
    assert en["train"].tolist() == [False] * 4 + [True] * 4
    assert en["held_train"].sum() == 4 and en["held_val"].sum() == 2 and en["held_test"].sum() == 0
    for lang, m in f.items():
        for s in ("train", "val"):
            assert not (m[s] & m[f"held_{s}"]).any() and (m[s] | m[f"held_{s}"]).all()


def test_other_corpora_have_no_folds() -> None:
    data = {s: Split(np.zeros((1, 4), dtype=np.float32), ["spoof"], ["asvspoof19la-LA_T_1"]) for s in ("train", "val", "test")}
    assert loso.folds(data) is None and loso.languages(["itw-1"]) is None


def test_fold_row_counts() -> None:
    y = np.array(["bonafide", "bonafide", "spoof", "spoof"])
    r = loso._fold_row("en", y, np.array(["bonafide", "spoof", "spoof", "spoof"]))
    assert r["held_out"] == "asterisk-en-allison" and r["n"] == 4 and r["correct"] == 3
    assert r["accuracy"] == 0.75 and r["bonafide_accuracy"] == 0.5 and r["spoof_accuracy"] == 1.0
