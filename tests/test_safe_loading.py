"""Safe loading: model weights only as safetensors (or the bundled ONNX), never a pickle; no remote code.

Each pickle below is *live*: unpickling it creates a marker file (the positive control proves it),
so "the marker does not exist" proves the loader never unpickled it.
"""
from __future__ import annotations

import inspect
import json
import pathlib

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from suffice import models  # noqa: E402
from suffice.errors import OptionError, SufficeError  # noqa: E402
from suffice.models.hf import check_folder, load_hf  # noqa: E402
from suffice.models.tiny import build  # noqa: E402

LABELS = ("bonafide", "spoof")


class _Payload:
    """Unpickling this runs code: it creates ``marker``."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def _live_pickle(path: pathlib.Path, marker: pathlib.Path) -> pathlib.Path:
    torch.save({"weight": torch.zeros(2), "payload": _Payload(marker)}, path)  # a real torch pickle
    return path


def _saved_model(folder: pathlib.Path) -> pathlib.Path:
    torch.manual_seed(0)
    model, fe = build("wav2vec2", LABELS, 1.0)
    model.save_pretrained(folder)
    fe.save_pretrained(folder)
    return folder


def test_the_payload_is_live(tmp_path):
    """Positive control: an unrestricted torch.load of our pickle really runs its code."""
    marker = tmp_path / "pwned"
    p = _live_pickle(tmp_path / "x.bin", marker)
    torch.load(p, weights_only=False)
    assert marker.exists()


@pytest.mark.parametrize("name", ["pytorch_model.bin", "model.pt", "model.pth", "model.ckpt", "model.pkl"])
def test_pickle_only_folder_is_refused_without_unpickling(tmp_path, name):
    folder = _saved_model(tmp_path / "m")
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "pwned"
    _live_pickle(folder / name, marker)
    with pytest.raises(OptionError, match="pickle"):
        load_hf(folder, task="deepfake")
    assert not marker.exists()


def test_safetensors_wins_and_a_pickle_beside_it_is_never_opened(tmp_path):
    folder = _saved_model(tmp_path / "m")
    marker = tmp_path / "pwned"
    _live_pickle(folder / "pytorch_model.bin", marker)
    m = load_hf(folder, task="deepfake")
    assert list(m.labels) == list(LABELS) and not marker.exists()


def test_pickle_renamed_to_safetensors_is_not_unpickled(tmp_path):
    folder = _saved_model(tmp_path / "m")
    marker = tmp_path / "pwned"
    _live_pickle(folder / "model.safetensors", marker)
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do, as long as nothing ran
        load_hf(folder, task="deepfake")
    assert not marker.exists()


def test_remote_code_is_refused(tmp_path):
    folder = _saved_model(tmp_path / "m")
    cfg = json.loads((folder / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForAudioClassification": "evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(cfg))
    (folder / "evil.py").write_text(f"open({str(tmp_path / 'pwned')!r}, 'w').close()\n")
    with pytest.raises(OptionError, match="remote code"):
        load_hf(folder, task="deepfake")
    assert not (tmp_path / "pwned").exists()


def test_trust_remote_code_cannot_be_passed_through():
    for fn in (load_hf, models.load):
        params = inspect.signature(fn).parameters
        assert "trust_remote_code" not in params
        assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    with pytest.raises(TypeError):
        load_hf("x", task="deepfake", trust_remote_code=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        models.load("deepfake/x", trust_remote_code=True)  # type: ignore[call-arg]


def test_folders_without_weights_or_config_are_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(OptionError, match="config.json"):
        check_folder(tmp_path / "empty")
    folder = _saved_model(tmp_path / "m")
    (folder / "model.safetensors").unlink()
    with pytest.raises(OptionError, match="no weights"):
        check_folder(folder)


def test_hub_id_offline_fails_clearly_without_download(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SufficeError, match="not in the local Hugging Face cache"):
        load_hf("nobody-x9/not-a-model", task="deepfake")
