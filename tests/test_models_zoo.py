"""Registry, pretrained wrappers (YAMNet, Whisper-tiny), heads, and training that beats chance."""
import numpy as np
import pytest

from suffice import Classifier
from suffice.classifier import check_probabilities
from suffice.errors import SufficeError, UnknownNameError
from suffice.models import card, load, names, spec
from suffice.models.data import Split
from suffice.tasks import TASKS

SR = 16000


def _tones(n_per_class: int, freqs=(300.0, 1200.0, 3500.0), seconds=1.0, seed=0):
    """A toy corpus whose classes are tones of different pitch in noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    xs, ys = [], []
    for lab, f in zip(("blues", "jazz", "rock"), freqs):
        for _ in range(n_per_class):
            ph = rng.uniform(0, 2 * np.pi)
            xs.append(0.3 * np.sin(2 * np.pi * f * rng.uniform(0.97, 1.03) * t + ph) + 0.05 * rng.standard_normal(len(t)))
            ys.append(lab)
    return Split(np.array(xs, dtype=np.float32), ys, [str(i) for i in range(len(ys))])


def test_registry_names_and_codes():
    for task in TASKS:
        default, smoke = names(task), names(task, "smoke")
        assert len(default) >= 5 and len(smoke) >= 3
        assert len({spec(n).arch for n in smoke}) >= 3, "smoke zoo must span architectures"
        codes = [spec(n).code for n in default]
        assert len(codes) == len(set(codes))
        assert all(n.startswith(task + "/") for n in default)
    assert set(names()) >= set(names("genre"))


def test_unknown_and_unbuilt_models_are_clear(tmp_path, monkeypatch):
    with pytest.raises(UnknownNameError, match="known models"):
        load("genre/nope")
    with pytest.raises(UnknownNameError):
        names("cooking")
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    with pytest.raises(SufficeError, match="make models"):
        load("genre/ast-tiny")
    with pytest.raises(SufficeError, match="make models"):
        card("genre/ast-tiny")


def test_yamnet_zero_shot():
    m = load("genre/yamnet-zeroshot")
    assert isinstance(m, Classifier) and m.code == "YZS" and m.labels == ("blues", "classical", "country", "disco",
                                                                       "hiphop", "jazz", "metal", "pop",
                                                                       "reggae", "rock")
    assert len(m.raw_labels) == 521 and len(m.label_map.unmapped) == 521 - sum(
        v is not None for v in m.label_map.mapping.values())
    x = _tones(1).x
    p = m.predict_proba(x)
    check_probabilities(p, 3, 10)
    np.testing.assert_allclose(m.predict_proba(x[:1]), p[:1], atol=1e-6)
    assert m.identity() == load("genre/yamnet-zeroshot").identity()


@pytest.mark.parametrize("backbone", ["yamnet", "whisper-tiny"])
def test_embedding_head_learns_tones(tmp_path, backbone):
    from suffice.models.heads import EmbeddingHeadClassifier
    from suffice.models.training import train_head
    data = {"train": _tones(4, seed=1), "val": _tones(2, seed=2)}
    clf, info = train_head(backbone, "genre", data, name=f"genre/{backbone}-probe", code="P", progress=False)
    test = _tones(3, seed=3)
    p = clf.predict_proba(test.x)
    check_probabilities(p, 9, 3)
    assert np.mean([clf.labels[i] for i in p.argmax(1)] == np.array(test.y)) > 0.8
    clf.save(tmp_path)
    back = EmbeddingHeadClassifier.load(tmp_path, name=clf.name, code="P", task="genre")
    np.testing.assert_allclose(back.predict_proba(test.x), p, atol=1e-6)
    assert back.identity() == EmbeddingHeadClassifier.load(tmp_path, name=clf.name, code="P",
                                                           task="genre").identity()


def test_tiny_transformer_training_beats_chance_and_is_deterministic():
    from suffice.models.training import train_hf
    data = {"train": _tones(8, seed=1), "val": _tones(3, seed=2)}
    test = _tones(4, seed=3)
    kw = dict(name="genre/ast-tiny", code="AST", epochs=6, lr=3e-3, batch_size=8, progress=False)
    a, info = train_hf("ast", "genre", data, **kw)
    acc = np.mean(np.array(a.predict(test.x)) == np.array(test.y))
    assert acc > 0.6, f"AST on tones: accuracy {acc:.2f} (chance 0.33)"
    b, _ = train_hf("ast", "genre", data, **kw)
    assert a.identity() == b.identity()
    np.testing.assert_allclose(a.predict_proba(test.x), b.predict_proba(test.x), atol=1e-6)


def test_trained_model_beats_chance_on_the_smoke_corpus():
    from suffice.models.data import load_task
    from suffice.models.metrics import evaluate
    from suffice.models.training import train_head
    try:
        data, _ = load_task("genre", "smoke", progress=False)
    except SufficeError:
        pytest.skip("smoke genre corpus not built (make data PROFILE=smoke)")
    clf, _ = train_head("yamnet", "genre", data, name="genre/yamnet-probe", code="YMP", progress=False)
    ev = evaluate(clf, data["test"].x, data["test"].y)
    assert ev["accuracy"] > 3 * ev["chance"], ev
    assert sum(map(sum, ev["confusion"]["matrix"])) == ev["n"]


def test_build_writes_a_card_and_skips_what_did_not_change(tmp_path, monkeypatch):
    from suffice.models.build import build_one
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    data = {"train": _tones(4, seed=1), "val": _tones(2, seed=2), "test": _tones(3, seed=3)}
    c = build_one(spec("genre/yamnet-probe"), "smoke", data, "h1", progress=False)
    assert c["test"]["accuracy"] > 0.8 and c["test"]["chance"] == pytest.approx(1 / 3)
    for key in ("parameters_trained", "training_data_hash", "seed", "identity", "ms_per_clip_batch32",
                "size_bytes", "training_seconds"):
        assert key in c
    assert card("genre/yamnet-probe", "smoke") == c
    assert load("genre/yamnet-probe", "smoke").identity() == c["identity"]
    mtime = (tmp_path / "models/smoke/genre/yamnet-probe/head.safetensors").stat().st_mtime_ns
    assert build_one(spec("genre/yamnet-probe"), "smoke", data, "h1", progress=False) == c
    assert (tmp_path / "models/smoke/genre/yamnet-probe/head.safetensors").stat().st_mtime_ns == mtime
    c2 = build_one(spec("genre/yamnet-probe"), "smoke", data, "h2", progress=False)  # data changed
    assert c2["build_key"] != c["build_key"]


def test_default_study_set_leaves_out_only_the_slow_musicnn_and_whisper_probe_models():
    from suffice.models.zoo import names_left_out_of_study
    from suffice.study.params import load_params, resolve_models
    assert names_left_out_of_study("genre") == ["genre/whisper-tiny-probe", "genre/musicnn-zeroshot",
                                                "genre/musicnn-probe"]
    for task in ("emotion", "deepfake"):
        assert names_left_out_of_study(task) == [f"{task}/whisper-tiny-probe"]
    assert names_left_out_of_study("genre", "smoke") == []
    study = resolve_models(load_params({"task": "genre"}))
    assert "genre/musicnn-probe" not in study and set(study) < set(names("genre"))
    named = resolve_models(load_params({"task": "genre", "models": ["genre/musicnn-probe"]}))
    assert named == ["genre/musicnn-probe"]
