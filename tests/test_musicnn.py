"""musicnn taggers (ONNX from `make musicnn`): front end and outputs against musicnn's own and TF's,
shapes, batch invariance, the explicit zero-shot tag map, and the frozen-backbone head."""
import numpy as np
import pytest

from suffice.classifier import check_probabilities
from suffice.errors import SufficeError
from suffice.models import load, spec
from suffice.models import musicnn as M
from suffice.models.data import Split

SR = 16000


def _built() -> bool:
    try:
        return all(M.onnx_path(m).exists() for m in M.MODELS) and (M.model_dir() / "reference.npz").exists()
    except SufficeError:
        return False


needs_onnx = pytest.mark.skipif(not _built(), reason="musicnn ONNX models not built (run `make musicnn`)")


@pytest.fixture(scope="module")
def ref() -> dict:
    with np.load(M.model_dir() / "reference.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _clips(n: int, seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f = rng.uniform(110, 880, (n, 1))
    x = 0.3 * np.sin(2 * np.pi * f * t) + 0.05 * rng.standard_normal((n, t.size))
    return x.astype(np.float32)


def _tones(n_per_class: int, seed: int) -> Split:
    rng = np.random.default_rng(seed)
    t = np.arange(SR) / SR
    xs, ys = [], []
    for lab, f in zip(("blues", "jazz", "rock"), (300.0, 1200.0, 3500.0)):
        for _ in range(n_per_class):
            xs.append(0.3 * np.sin(2 * np.pi * f * rng.uniform(0.97, 1.03) * t) + 0.05 * rng.standard_normal(SR))
            ys.append(lab)
    return Split(np.array(xs, dtype=np.float32), ys, [str(i) for i in range(len(ys))])


def test_patch_placement_covers_the_clip():
    assert M.patch_starts(188).tolist() == [0]  # 3 s: musicnn's own single patch
    assert M.patch_starts(251).tolist() == [0, 63]  # 4 s: the first and the last 187 frames
    for f in (187, 188, 189, 300, 374, 375, 376, 1000):
        s = M.patch_starts(f)
        assert s[0] == 0 and s[-1] + 187 == max(187, f - 1) and np.all(np.diff(s) <= 187)
    p, n = M.patches(_clips(2, 0.5))  # shorter than a patch: repeat-padded
    assert p.shape == (2, 187, 96) and n == 1 and np.isfinite(p).all()


def test_logmel_is_musicnns_librosa_melspectrogram():
    import librosa
    x = _clips(2, 1.0)
    mel = librosa.feature.melspectrogram(y=x, sr=SR, hop_length=256, n_fft=512, n_mels=96)
    want = np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1).transpose(0, 2, 1)
    got = M.logmel(x).numpy()
    assert got.shape == want.shape == (2, 1 + SR // 256, 96)
    d = np.abs(got - want)
    assert d.max() < 2e-3 and d.mean() < 1e-5  # float32 sums may round to the next float16 step, rarely


def test_missing_models_name_the_make_step(tmp_path, monkeypatch):
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    with pytest.raises(SufficeError, match="make musicnn"):
        M.MusicnnBackbone("MSD_musicnn")


@needs_onnx
def test_front_end_matches_musicnns_own(ref):
    lm = M.logmel(ref["waveforms"]).numpy()[:, :187]
    d = np.abs(lm - ref["patches"])
    assert d.max() < 2e-3 and d.mean() < 1e-5


@needs_onnx
@pytest.mark.parametrize("model", M.MODELS)
def test_onnxruntime_matches_tensorflow(ref, model):
    b = M.backbone(model)
    for key, suffix in (("patches", ""), ("random_patches", "_random")):
        tags, emb = b.session.run(["tags", "embedding"], {"patches": ref[key]})
        np.testing.assert_allclose(tags, ref[f"{model}_tags{suffix}"], atol=1e-4)
        np.testing.assert_allclose(emb, ref[f"{model}_embedding{suffix}"], atol=1e-4)
    p, n = M.patches(ref["waveforms"])  # our whole path on the waveforms; the first patch is musicnn's
    tags, emb = b.session.run(["tags", "embedding"], {"patches": p[::n]})
    np.testing.assert_allclose(tags, ref[f"{model}_tags"], atol=1e-3)
    np.testing.assert_allclose(emb, ref[f"{model}_embedding"], atol=1e-3)


@needs_onnx
def test_backbone_shapes_ranges_and_batch_invariance():
    b = M.backbone("MSD_musicnn")
    x = _clips(5, 3.5)
    tags, emb = b.forward(x)
    assert tags.shape == (5, 50) and emb.shape == (5, b.dim) == (5, 200) and len(b.tags) == 50
    assert np.all((tags >= 0) & (tags <= 1)) and np.isfinite(emb).all()
    t1, e1 = b.forward(x[3:4])
    np.testing.assert_allclose(t1, tags[3:4], atol=1e-5)
    np.testing.assert_allclose(e1, emb[3:4], atol=1e-4)


@needs_onnx
def test_zero_shot_label_map_is_explicit():
    m = load("genre/musicnn-zeroshot")
    assert m.code == "MZS" and m.name == "genre/musicnn-zeroshot"
    assert m.labels == ("blues", "country", "hiphop", "jazz", "metal", "pop", "rock")
    assert m.unreachable == ("classical", "disco", "reggae") == tuple(m.info["unreachable"])
    assert m.raw_labels == M.tag_names("MSD_musicnn") and set(m.label_map.mapping) == set(m.raw_labels)
    mapped = {t: c for t, c in m.label_map.mapping.items() if c is not None}
    assert mapped == M.ZERO_SHOT_MAPS["MSD_musicnn"]["genre"]
    assert len(m.label_map.unmapped) == 50 - len(mapped)
    x = _clips(5, 4.0, seed=1)
    p = m.predict_proba(x)
    check_probabilities(p, 5, 7)
    np.testing.assert_allclose(m.predict_proba(x[:1]), p[:1], atol=1e-5)
    assert m.identity() == load("genre/musicnn-zeroshot").identity()


@needs_onnx
def test_mtt_map_and_unknown_tags():
    m = M.MusicnnZeroShot("genre", model="MTT_musicnn", name="genre/mtt-zeroshot")
    assert m.labels == ("classical", "country", "metal", "pop", "rock")
    assert m.unreachable == ("blues", "disco", "hiphop", "jazz", "reggae")
    with pytest.raises(SufficeError, match="no MSD tags named"):
        M.MusicnnZeroShot("genre", tag_map={"polka": "country"})
    with pytest.raises(SufficeError, match="no zero-shot tag map"):
        M.MusicnnZeroShot("emotion")


@needs_onnx
def test_zero_shot_card_names_msd_tags(tmp_path, monkeypatch):
    from suffice.models import build, loading
    monkeypatch.setattr(loading, "models_dir", lambda profile, task=None: tmp_path / profile / (task or ""))
    monkeypatch.setattr(build, "ms_per_clip", lambda model, x: 0.0)  # timing is not under test here
    data = {"train": _tones(1, seed=1), "val": _tones(1, seed=2), "test": _tones(1, seed=3)}
    c = build.build_one(spec("genre/musicnn-zeroshot"), "smoke", data, "h", progress=False)
    assert c["label_map"]["unmapped"] == "35 other MSD tags (dropped, renormalised)"
    assert c["label_map"]["unreachable"] == ["classical", "disco", "reggae"]
    assert c["backbone_weights_bytes"] == M.onnx_path("MSD_musicnn").stat().st_size


@needs_onnx
def test_head_on_musicnn_embeddings_learns_tones():
    from suffice.models.training import train_head
    clf, _ = train_head("musicnn", "genre", {"train": _tones(3, seed=1), "val": _tones(1, seed=2)},
                        name="genre/musicnn-probe", code="MNP", progress=False)
    test = _tones(2, seed=3)
    p = clf.predict_proba(test.x)
    check_probabilities(p, 6, 3)
    assert np.mean(np.array(clf.predict(test.x)) == np.array(test.y)) > 0.8


@needs_onnx
def test_identity_is_the_recorded_conversion(tmp_path, monkeypatch):
    import json
    import shutil
    assert M.backbone("MSD_musicnn").weights_hash == M.weights_hash("MSD_musicnn") != M.weights_hash("MTT_musicnn")
    folder = tmp_path / "models" / "musicnn"
    shutil.copytree(M.model_dir(), folder)
    meta = json.loads((folder / "export.json").read_text())
    meta["models"]["MSD_musicnn"]["onnx_sha256"] = "0" * 64
    (folder / "export.json").write_text(json.dumps(meta))
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    with pytest.raises(SufficeError, match="not the file recorded"):
        M.weights_hash("MSD_musicnn")


@needs_onnx
def test_patches_in_chunks_give_what_one_call_gives(monkeypatch):
    """Calls of PATCH_BATCH patches (they bound onnxruntime's arena) change no output."""
    b = M.backbone()
    x = _clips(10, 4.0, seed=3)  # 20 patches: one full chunk of 16 and a partial one
    chunked = b.forward(x)
    monkeypatch.setattr(M, "PATCH_BATCH", 1000)
    whole = b.forward(x)
    for c, w in zip(chunked, whole):
        np.testing.assert_allclose(c, w, rtol=1e-5, atol=1e-6)
