"""Leave-one-speaker-out folds of the deepfake detectors: exact masks on synthetic splits."""
from __future__ import annotations

import json

import numpy as np
import pytest

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


def test_every_clip_of_a_language_is_held_out_exactly_once() -> None:
    """Null: a fold leaks a clip of its language into training or misses one.  Exact over all splits."""
    langs = {"train": ["en", "en", "es", "fr", "it", "ru"], "val": ["en", "es", "ru"], "test": ["it", "fr", "en"]}
    data = {s: _split(s, v) for s, v in langs.items()}
    seen = {s: np.zeros(len(data[s].y), dtype=int) for s in data}
    for lang, m in loso.folds(data):
        for s in data:
            truth = np.array([c.split("-")[3] == lang for c in data[s].clip_ids])
            assert (m[f"held_{s}"] == truth).all()
            if s != "test":
                assert (m[s] == ~truth).all()
            seen[s] += m[f"held_{s}"]
        x, y = loso._held(data, m)
        assert len(x) == len(y) == sum(int(m[f"held_{s}"].sum()) for s in data)
    assert all((v == 1).all() for v in seen.values())


def test_protocol_states_the_reduced_recipe_and_current_follows_it() -> None:
    from suffice.models.zoo import SPECS, train_settings
    w, a, p, g = (SPECS[n] for n in ("deepfake/wav2vec2-tiny", "deepfake/ast-tiny", "deepfake/yamnet-probe",
                                     "genre/ast-tiny"))
    sw, sa = train_settings(w, "default"), train_settings(a, "default")
    pw = loso.protocol(w, sw)
    assert pw["recipe_epochs"] == sw["epochs"] == 16 and pw["epochs"] == 4 and pw["lr"] == sw["lr"]
    assert loso.protocol(a, sa)["epochs"] == 2 and loso.protocol(a, sa, hf_epochs=8)["epochs"] == 8
    assert loso.protocol(g, sa) is None and loso.protocol(p)["training"].startswith("the zoo's head")
    data = {"train": _split("train", ["en", "fr"]), "val": _split("val", ["en", "fr"]),
            "test": _split("test", ["en", "fr"])}
    assert not loso.current({}, w, data, sw)
    assert not loso.current({"loso": {"status": "not run"}}, w, data, sw)  # an old card
    assert loso.current({"loso": {"protocol": pw}}, w, data, sw)
    assert not loso.current({"loso": {"protocol": pw}}, w, data, {**sw, "epochs": 8})  # recipe changed
    assert loso.current({"loso": None}, g, data) and not loso.current({}, g, data)
    other = {s: Split(np.zeros((1, 4), dtype=np.float32), ["spoof"], ["itw-1"]) for s in data}
    assert loso.current({"loso": None}, w, other, sw)  # no speakers to hold out in that corpus


@pytest.mark.slow
def test_fine_tuned_loso_on_the_smoke_corpus_fills_the_card_without_retraining(tmp_path, monkeypatch) -> None:
    """End to end: build a fine-tuned smoke detector, its card has the reduced-recipe LOSO over every
    clip; an old card without it gets it on the next build and the saved weights are not touched."""
    from suffice.errors import SufficeError
    from suffice.models.build import build_one
    from suffice.models.data import load_task
    from suffice.models.zoo import SPECS, train_settings
    try:
        data, h = load_task("deepfake", "smoke", progress=False)
    except SufficeError:
        pytest.skip("smoke deepfake corpus not built (make data PROFILE=smoke)")
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    s = SPECS["deepfake/ast-tiny"]
    c = build_one(s, "smoke", data, h, progress=False)
    lo = c["loso"]
    assert lo["status"] == "done" and lo["protocol"] == loso.protocol(s, train_settings(s, "smoke"))
    assert lo["protocol"]["epochs"] == 2 and lo["protocol"]["recipe_epochs"] == 6
    n_all = sum(len(data[k].y) for k in ("train", "val", "test"))
    assert lo["n"] == n_all and len(lo["folds"]) == len(set(loso.languages(
        [i for k in ("train", "val", "test") for i in data[k].clip_ids])))
    assert lo["accuracy"] == round(sum(f["correct"] for f in lo["folds"]) / n_all, 4)
    assert lo["lo"] <= lo["accuracy"] <= lo["hi"]
    assert s.name in loso.FULL_RECIPE_CHECK and lo["full_recipe"]["epochs"] == 6 and lo["full_recipe"]["n"] == n_all
    for f in lo["folds"]:
        assert f["n_train"] == sum(1 for i in data["train"].clip_ids if f"-{f['language']}-" not in i)
    card_path = tmp_path / "models/smoke/deepfake/ast-tiny/card.json"
    weights = card_path.parent / "model.safetensors"
    mtime = weights.stat().st_mtime_ns
    old = json.loads(card_path.read_text())
    old["loso"] = {"status": "not run", "reason": "an earlier build"}
    card_path.write_text(json.dumps(old))
    again = build_one(s, "smoke", data, h, progress=False)
    assert weights.stat().st_mtime_ns == mtime and again["training_seconds"] == c["training_seconds"]
    strip = lambda d: [{k: v for k, v in f.items() if k != "seconds"} for f in d["folds"]]  # noqa: E731
    assert strip(again["loso"]) == strip(lo)  # same seed, same folds
    assert json.loads(card_path.read_text())["loso"]["protocol"] == lo["protocol"]


def _card(name: str, test: float, k: int, n: int, full: tuple[int, int] | None = None) -> dict:
    rows = [{"language": "en", "n": n, "correct": k, "accuracy": round(k / n, 4)}]
    lo = {"status": "done", "protocol": {"epochs": 2}, "note": "p", "folds": rows, **loso._pooled(rows),
          "seconds": 1.0}
    if full:
        frows = [{"language": "en", "n": full[1], "correct": full[0], "accuracy": full[0] / full[1]}]
        lo["full_recipe"] = {"epochs": 8, "folds": frows, **loso._pooled(frows), "seconds": 2.0}
    return {"name": name, "kind": "hf", "test": {"accuracy": test}, "loso": lo}


def test_table_and_sentences_are_computed_from_the_cards() -> None:
    cards = [_card("deepfake/a", 0.9, 80, 100), _card("deepfake/b", 0.95, 60, 100, full=(70, 100)),
             {"name": "deepfake/c", "kind": "hf", "test": {"accuracy": 0.8},
              "loso": {"status": "not run", "reason": "old"}}]
    rows = loso.table(cards)
    assert [r.get("drop") for r in rows] == [0.1, 0.35, None] and rows[2]["LOSO protocol"].startswith("not run: old")
    from suffice.stats import wilson_interval
    lo, hi = (float(v) for v in wilson_interval(60, 100))
    assert rows[1]["lo"] == round(lo, 4) and rows[1]["held out en"] == 0.6
    s = loso.largest_drop(rows)
    assert "0.350, for `deepfake/b`" in s and f"[{round(lo, 4):.3f}, {round(hi, 4):.3f}]" in s
    r = loso.reduction_cost(cards)
    assert "`deepfake/b`" in r and "by -0.100, of a drop of 0.350 from its test accuracy (0.950)" in r
    assert "`deepfake/a`" not in r
    assert "not measured" in loso.reduction_cost(cards[:1]) and "yet" in loso.largest_drop(rows[2:])
