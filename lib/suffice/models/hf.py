"""Hugging Face audio classifiers (hub id or local folder) as zoo classifiers.

Loading is safe and offline: safetensors weights only (``use_safetensors=True``), never
``trust_remote_code``; a folder that holds only pickle weights (``pytorch_model.bin`` ...) or asks for
remote code is refused with a clear error.  A hub id is read from the local Hugging Face cache only
(``local_files_only=True``: nothing is downloaded, the network is never tried); one that is not there is
refused at once, saying how to get it there.  Labels come from the config's ``id2label`` and are mapped
onto the task's canonical labels by :func:`~suffice.models.labels.build_label_map`.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from ..constants import SAMPLE_RATE
from ..errors import OptionError, SufficeError, UnknownNameError
from .base import MappedClassifier, content_hash
from .frontends import ast_fbank
from .labels import LabelMap, build_label_map, make_label_map

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


def default_device(device: str | None = None) -> torch.device:
    """``device`` if given, else CUDA when available, else CPU."""
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def check_folder(folder: Path) -> None:
    """Refuse folders we must not load: no config, pickle-only weights, remote code."""
    if not folder.is_dir():
        raise OptionError(f"{folder} is not a folder")
    cfg = folder / "config.json"
    if not cfg.exists():
        raise OptionError(f"{folder} has no config.json: not a transformers model folder")
    if "auto_map" in json.loads(cfg.read_text()):
        raise OptionError(f"{folder}/config.json asks for custom remote code (auto_map); refusing to run it")
    files = [p.name for p in folder.iterdir() if p.is_file()]
    if not any(f.endswith(".safetensors") for f in files):
        pickles = [f for f in files if f.endswith(PICKLE_SUFFIXES)]
        what = (f"only pickle weights ({', '.join(sorted(pickles))}), which can run arbitrary code when "
                "loaded" if pickles else "no weights")
        raise OptionError(f"{folder} holds {what}; suffice loads safetensors only. Convert it once in a "
                          "trusted environment: model.save_pretrained(folder, safe_serialization=True)")


def state_hash(model: torch.nn.Module) -> str:
    """Content hash of a module's parameters and buffers (names, dtypes, shapes, values)."""
    parts: list[bytes | str] = []
    for k, v in sorted(model.state_dict().items()):
        t = v.detach().cpu().contiguous()
        parts += [k, str(t.dtype), str(tuple(t.shape)), t.view(-1).view(torch.uint8).numpy().tobytes()]
    return content_hash(parts)


class HFAudioClassifier(MappedClassifier):
    """Any ``AutoModelForAudioClassification`` + ``AutoFeatureExtractor`` as a zoo classifier."""

    def __init__(self, model: torch.nn.Module, extractor: Any, *, task: str, name: str, code: str,
                 label_map: Mapping[str, str | None] | LabelMap | None = None, unmapped: str = "error",
                 device: str | None = None, info: dict | None = None) -> None:
        cfg = model.config
        raw = [str(cfg.id2label[i]) for i in range(cfg.num_labels)]
        lm = label_map if isinstance(label_map, LabelMap) else build_label_map(task, raw, label_map,
                                                                                unmapped=unmapped)
        sr = int(getattr(extractor, "sampling_rate", SAMPLE_RATE))
        if sr != SAMPLE_RATE:
            raise OptionError(f"{name}: feature extractor expects {sr} Hz; the project works at 16 kHz")
        self.device = default_device(device)
        self.model = model.to(self.device).eval()
        self.extractor = extractor
        self.multi_label = getattr(cfg, "problem_type", None) == "multi_label_classification"
        self._lock = threading.Lock()
        ident = [state_hash(model), cfg.to_json_string(use_diff=False),
                 json.dumps(extractor.to_dict(), sort_keys=True, default=str)]
        super().__init__(name=name, task=task, code=code, label_map=lm, identity_parts=ident, info=info)
        self.n_parameters = int(sum(p.numel() for p in model.parameters()))

    def features(self, x: np.ndarray) -> dict[str, torch.Tensor]:
        """Model inputs for a (N, T) batch (a fast batched path for AST's numpy fbank)."""
        ex = self.extractor
        if type(ex).__name__ == "ASTFeatureExtractor" and hasattr(ex, "mel_filters"):
            return {"input_values": ast_fbank(x, ex.mel_filters, ex.window, max_length=ex.max_length,
                                              mean=ex.mean, std=ex.std, do_normalize=ex.do_normalize)}
        feats = ex(list(x), sampling_rate=SAMPLE_RATE, return_tensors="pt")
        names = getattr(self.model, "main_input_name", "input_values")
        return {k: v for k, v in feats.items() if k in (names, "attention_mask")}

    def logits(self, x: np.ndarray) -> torch.Tensor:
        """Raw logits (N, R) on the CPU."""
        feats = {k: v.to(self.device) for k, v in self.features(x).items()}
        with self._lock, torch.inference_mode():
            return self.model(**feats).logits.float().cpu()

    def raw_scores(self, x: np.ndarray) -> np.ndarray:
        z = self.logits(x).double()
        return (torch.sigmoid(z) if self.multi_label else torch.softmax(z, dim=-1)).numpy()


def looks_like_path(text: str) -> bool:
    """True for text a user means as a folder (``./m``, ``/abs``, ``~/m``, ``a/b/c``, a trailing slash),
    not a hub id (``owner/name``)."""
    t = str(text)
    return (t.startswith((".", "/", "~")) or t.endswith(("/", os.sep)) or "\\" in t
            or t.count("/") >= 2 or ":" in t[1:3])


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache folder: ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else huggingface_hub's
    default.  huggingface_hub reads these variables once, when it is imported; they are read again here,
    so that a variable set later in the process (a notebook, a test) is obeyed too."""
    from huggingface_hub import constants
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.path.expandvars(os.environ[var])).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.path.expandvars(os.environ["HF_HOME"])).expanduser() / "hub"
    return Path(constants.HF_HUB_CACHE)


def cached_snapshot(repo_id: str) -> Path:
    """The folder of hub id ``repo_id`` (its ``main`` revision) in the local Hugging Face cache, found
    without the network (``local_files_only=True``).  Raises :class:`UnknownNameError` in one line saying
    where it looked and how to get the checkpoint there."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import IncompleteSnapshotError, LocalEntryNotFoundError

    cache = hub_cache_dir()
    get = (f"on a machine that is online, run `hf download {repo_id}` (older huggingface_hub: "
           f"`huggingface-cli download {repo_id}`) and copy its cache folder here, or pass a local folder "
           "with the checkpoint instead (config.json, safetensors weights, preprocessor_config.json)")
    try:
        # with local_files_only, snapshot_download only reads refs/main and snapshots/<hash>/ in the cache
        return Path(snapshot_download(repo_id, cache_dir=cache, local_files_only=True))
    except IncompleteSnapshotError as exc:
        raise UnknownNameError(f"hub id {repo_id!r} is only partly in the local Hugging Face cache {cache} "
                               f"({exc}); suffice never downloads: {get}") from None
    except (LocalEntryNotFoundError, OSError, ValueError):
        raise UnknownNameError(f"hub id {repo_id!r} is not in the local Hugging Face cache {cache} (set "
                               f"HF_HUB_CACHE or HF_HOME to look elsewhere); suffice never downloads: "
                               f"{get}") from None


def load_hf(id_or_folder: str | os.PathLike, *, task: str | None = None,
            label_map: Mapping[str, str | None] | str | None = None, name: str | None = None,
            code: str | None = None, unmapped: str = "error", device: str | None = None) -> HFAudioClassifier:
    """Load a hub id or local folder as an :class:`HFAudioClassifier` (safetensors only, no remote code).

    ``label_map`` maps the checkpoint's ``id2label`` names onto ``task``'s canonical labels; names that
    are recognisable (``fake``, ``bona-fide``, ``hip-hop`` ...) map themselves, generic ones
    (``LABEL_0``) must be mapped explicitly.  ``label_map="as-is"`` keeps the checkpoint's labels (a task
    you define); ``task=None`` picks the one project task the labels fit, else keeps them as they are
    (see :func:`~suffice.models.labels.make_label_map`).  A path that does not exist is answered as a
    missing folder, not as a hub id.  A hub id is read from the local Hugging Face cache only
    (:func:`cached_snapshot`), and its snapshot folder is checked like a local folder.
    """
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    src = str(id_or_folder)
    folder = Path(src).expanduser()
    local = folder.exists() or isinstance(id_or_folder, os.PathLike)
    if not folder.exists() and (local or looks_like_path(src)):
        raise OptionError(f"no such model folder: {folder}")
    if local:
        src = str(folder.resolve())
    else:  # a hub id: its snapshot in the cache, or one line now (never a download, never a retry loop)
        folder = cached_snapshot(src)
    check_folder(folder)
    path = src if local else str(folder)
    kw: dict[str, Any] = dict(use_safetensors=True, trust_remote_code=False, local_files_only=True)
    try:
        model = AutoModelForAudioClassification.from_pretrained(path, **kw)
        extractor = AutoFeatureExtractor.from_pretrained(path, trust_remote_code=False, local_files_only=True)
    except (OSError, ValueError, EnvironmentError) as exc:
        where = "" if local else f" (its cached snapshot {path})"
        raise SufficeError(f"cannot load {src!r}{where} as a safetensors audio classifier: {exc}") from exc
    raw = [str(model.config.id2label[i]) for i in range(model.config.num_labels)]
    lm = make_label_map(raw, task, label_map, unmapped=unmapped)
    base = folder.name if local else src.rsplit("/", 1)[-1]
    return HFAudioClassifier(model, extractor, task=lm.task, name=name or f"{lm.task}/{base}",
                             code=code or base[:6].upper(), label_map=lm, unmapped=unmapped,
                             device=device, info={"source": src})
