"""Hugging Face wrapper: save a tiny model to a folder and load it back through the real loading path."""
import json

import numpy as np
import pytest
import torch
import transformers as T

from suffice import Classifier
from suffice.classifier import check_probabilities
from suffice.errors import OptionError
from suffice.models import frontends, load_hf, tiny
from suffice.models.hf import HFAudioClassifier

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((5, 16000)) * 0.1).astype(np.float32)


def _save(folder, family="whisper", labels=("fake", "real"), seconds=1.0):
    torch.manual_seed(0)
    model, fe = tiny.build(family, list(labels), seconds)
    model.save_pretrained(folder, safe_serialization=True)
    fe.save_pretrained(folder)
    return model, fe


@pytest.mark.parametrize("family", list(tiny.FAMILIES))
def test_save_and_load_back(tmp_path, family):
    labels = ["blues", "jazz", "rock"]
    model, _ = _save(tmp_path, family, labels)
    clf = load_hf(tmp_path, task="genre", code="T")
    assert isinstance(clf, Classifier) and clf.name == f"genre/{tmp_path.name}" and clf.task == "genre"
    assert clf.labels == ("blues", "jazz", "rock") and clf.sample_rate == 16000
    p = clf.predict_proba(X)
    check_probabilities(p, 5, 3)
    # same weights as saved: logits agree with the in-memory model on the same features
    with torch.inference_mode():
        ref = model.eval()(**clf.features(X)).logits.softmax(-1).numpy()
    np.testing.assert_allclose(p, ref, atol=1e-5)
    # deterministic, batch-size independent
    np.testing.assert_allclose(np.concatenate([clf.predict_proba(X[:2]), clf.predict_proba(X[2:])]), p, atol=1e-5)
    assert clf.identity() == load_hf(tmp_path, task="genre").identity()


def test_polarity_through_a_saved_model(tmp_path):
    """A checkpoint with 0 = fake: columns come out in canonical order (bonafide, spoof)."""
    _save(tmp_path, labels=("fake", "real"))
    clf = load_hf(tmp_path, task="deepfake")
    assert clf.raw_labels == ("fake", "real") and clf.labels == ("bonafide", "spoof")
    raw = clf.raw_scores(X)
    np.testing.assert_allclose(clf.predict_proba(X), raw[:, ::-1], atol=1e-9)
    with pytest.raises(OptionError, match="polarity"):
        load_hf(tmp_path, task="deepfake", label_map={"fake": "bonafide", "real": "spoof"})


def test_generic_labels_refused_without_a_map(tmp_path):
    _save(tmp_path, labels=("LABEL_0", "LABEL_1"))
    with pytest.raises(OptionError, match="explicitly"):
        load_hf(tmp_path, task="deepfake")
    clf = load_hf(tmp_path, task="deepfake", label_map={"LABEL_0": "bonafide", "LABEL_1": "spoof"})
    assert clf.labels == ("bonafide", "spoof")


def test_pickle_only_folder_is_refused(tmp_path):
    model, fe = tiny.build("whisper", ["blues", "jazz"], 1.0)
    model.config.save_pretrained(tmp_path)
    fe.save_pretrained(tmp_path)
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")  # a pickle checkpoint
    with pytest.raises(OptionError, match="pickle"):
        load_hf(tmp_path, task="genre")


def test_remote_code_folder_is_refused(tmp_path):
    _save(tmp_path, labels=("blues", "jazz"))
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForAudioClassification": "evil.Model"}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(OptionError, match="remote code"):
        load_hf(tmp_path, task="genre")


def test_identity_changes_with_weights(tmp_path):
    _save(tmp_path / "a", labels=("blues", "jazz"))
    torch.manual_seed(1)
    m, fe = tiny.build("whisper", ["blues", "jazz"], 1.0)
    a = load_hf(tmp_path / "a", task="genre")
    b = HFAudioClassifier(m, fe, task="genre", name=a.name, code="T")
    assert a.identity() != b.identity()


def test_fast_front_ends_match_reference():
    x = (RNG.standard_normal((2, 24000)) * 0.1).astype(np.float32)
    fe = T.ASTFeatureExtractor(max_length=150, num_mel_bins=64)
    ref = fe(list(x), sampling_rate=16000, return_tensors="np")["input_values"]
    got = frontends.ast_fbank(x, fe.mel_filters, fe.window, max_length=150, mean=fe.mean, std=fe.std).numpy()
    np.testing.assert_allclose(got, ref, atol=1e-4)
    wfe = T.WhisperFeatureExtractor(chunk_length=1)
    ref = wfe(list(x[:, :16000]), sampling_rate=16000, return_tensors="np")["input_features"]
    np.testing.assert_allclose(frontends.whisper_logmel(x[:, :16000]).numpy(), ref, atol=1e-4)


def test_resolve_model_finds_a_folder_and_answers_a_mistyped_one(tmp_path):
    """One function for every kind of name; a missing folder is a missing folder, not a hub id."""
    from suffice.models.resolve import resolve_model
    _save(tmp_path / "ck", family="ast", labels=("LABEL_0", "LABEL_1"))
    clf = resolve_model(str(tmp_path / "ck"), labels="LABEL_0=spoof,LABEL_1=bonafide", task="deepfake")
    assert clf.labels == ("bonafide", "spoof") and clf.name == "deepfake/ck"
    np.testing.assert_allclose(clf.predict_proba(X), clf.raw_scores(X)[:, ::-1], atol=1e-9)
    own = resolve_model(tmp_path / "ck", labels="as-is", task="mine")
    assert own.task == "mine" and own.labels == ("LABEL_0", "LABEL_1")
    spec = '{"model": "%s", "labels": "as-is"}' % (tmp_path / "ck")
    assert resolve_model(spec).labels == ("LABEL_0", "LABEL_1")
    with pytest.raises(OptionError, match="no such model folder"):
        resolve_model(str(tmp_path / "ck-typo" / "x"))
    with pytest.raises(OptionError, match="no such model folder"):
        load_hf(str(tmp_path / "ck-typo") + "/", task="genre")
    assert resolve_model("toy/tones:440").labels == ("tones", "other")
    with pytest.raises(OptionError, match="expected a model"):
        resolve_model(3.5)


# ---- hub ids are read from the local Hugging Face cache only -------------------------------------
def _cache_env(monkeypatch, tmp_path):
    """Point the Hugging Face cache at an empty folder of the test's (both variables the hub reads)."""
    cache = tmp_path / "hf-home" / "hub"
    cache.mkdir(parents=True)
    monkeypatch.setenv("HF_HOME", str(cache.parent))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    return cache


def test_an_uncached_hub_id_fails_at_once_saying_how_to_get_it(tmp_path, monkeypatch, capsys):
    """No download, no retries: one UnknownNameError within seconds naming the cache and `hf download`."""
    import time

    import huggingface_hub.constants

    from suffice.errors import UnknownNameError
    from suffice.models.resolve import resolve_model
    cache = _cache_env(monkeypatch, tmp_path)
    # the tests run with HF_HUB_OFFLINE=1 (conftest), which would hide a loader that tries the network:
    # lift it, so that trying would retry for ~25 s offline (or reach the hub online) and fail this test
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # read once, at import
    t = time.perf_counter()
    with pytest.raises(UnknownNameError) as info:
        resolve_model("someone/not-cached-here", task="genre")
    seconds = time.perf_counter() - t
    msg = str(info.value)
    assert seconds < 5, f"took {seconds:.1f} s: the network was tried"
    assert "not in the local Hugging Face cache" in msg and str(cache) in msg and "\n" not in msg
    assert "hf download someone/not-cached-here" in msg and "local folder" in msg
    # the command line: one line, exit 2, as fast
    import soundfile as sf

    from suffice.cli import main
    sf.write(tmp_path / "clip.wav", X[0], 16000)
    capsys.readouterr()
    t = time.perf_counter()
    assert main(["explain", str(tmp_path / "clip.wav"), "--model", "someone/not-cached-here"]) == 2
    assert time.perf_counter() - t < 5
    err = capsys.readouterr().err
    assert err.startswith("suffice: error: hub id 'someone/not-cached-here' is not in the local Hugging Face "
                          "cache") and err.count("\n") == 1


def test_a_hub_id_in_the_local_cache_is_loaded_by_id(tmp_path, monkeypatch):
    """A tiny checkpoint placed the way the hub cache stores it (refs/main -> snapshots/<hash>/)."""
    from suffice.models.resolve import resolve_model
    cache = _cache_env(monkeypatch, tmp_path)
    repo = cache / "models--someone--tiny-genre"
    commit = "0123456789abcdef0123456789abcdef01234567"
    model, _ = _save(repo / "snapshots" / commit, family="wav2vec2", labels=("blues", "jazz", "rock"))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    clf = resolve_model("someone/tiny-genre")
    assert clf.name == "genre/tiny-genre" and clf.labels == ("blues", "jazz", "rock")
    assert clf.info["source"] == "someone/tiny-genre"
    with torch.inference_mode():
        ref = model.eval()(**clf.features(X)).logits.softmax(-1).numpy()
    np.testing.assert_allclose(clf.predict_proba(X), ref, atol=1e-5)
    # a cached snapshot is checked like a folder: pickle-only weights are refused
    for f in (repo / "snapshots" / commit).glob("*.safetensors"):
        f.unlink()
    torch.save(model.state_dict(), repo / "snapshots" / commit / "pytorch_model.bin")
    with pytest.raises(OptionError, match="pickle"):
        resolve_model("someone/tiny-genre")
