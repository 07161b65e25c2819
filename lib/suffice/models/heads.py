"""Trained linear heads on frozen pretrained embeddings (YAMNet, Whisper-tiny encoder, musicnn).

A head is a softmax layer on standardised embeddings, trained with full-batch L-BFGS on a weight-decayed
cross-entropy (deterministic).  Saved as ``head.safetensors`` (weight, bias, mean, scale) + ``head.json``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

from ..errors import OptionError, SufficeError, UnknownNameError
from .base import MappedClassifier, file_hash
from .labels import build_label_map


Embed = Callable[[np.ndarray], np.ndarray]


def _yamnet() -> tuple[Any, Embed]:
    from .yamnet import backbone
    b = backbone()
    return b, lambda x: b.forward(x)[1]


def _whisper() -> tuple[Any, Embed]:
    from .whisper_ct2 import backbone
    b = backbone()
    return b, b.forward


def _musicnn() -> tuple[Any, Embed]:
    from .musicnn import backbone
    b = backbone("MSD_musicnn")
    return b, lambda x: b.forward(x)[1]


#: frozen embedding backbones: name -> factory of (the shared backbone object, with its ``weights_hash``;
#: ``embed(x: (N, T)) -> (N, D)``)
BACKBONES: dict[str, Callable[[], tuple[Any, Embed]]] = {
    "yamnet": _yamnet, "whisper-tiny": _whisper, "musicnn": _musicnn,
}


def _backbone(name: str) -> tuple[Any, Embed]:
    try:
        factory = BACKBONES[name]
    except KeyError:
        raise UnknownNameError(f"unknown backbone {name!r}; known: {', '.join(BACKBONES)}") from None
    return factory()


def embedder(name: str) -> Embed:
    """The embedding function of backbone ``name``."""
    return _backbone(name)[1]


def _backbone_hash(name: str) -> str:
    return _backbone(name)[0].weights_hash


def embed_all(embed: Callable[[np.ndarray], np.ndarray], x: np.ndarray, batch: int = 32) -> np.ndarray:
    """Embeddings of a (N, T) array in batches."""
    return np.concatenate([embed(x[i:i + batch]) for i in range(0, len(x), batch)], axis=0)


def fit_head(emb: np.ndarray, y: np.ndarray, n_classes: int, *, weight_decay: float = 1e-2,
             seed: int = 0, iters: int = 200) -> dict[str, np.ndarray]:
    """Standardise ``emb`` and fit a weight-decayed softmax regression (full-batch L-BFGS)."""
    if len(emb) != len(y) or len(y) == 0:
        raise OptionError("fit_head needs as many labels as embeddings, and at least one")
    mean = emb.mean(0)
    scale = emb.std(0) + 1e-6
    z = torch.from_numpy(((emb - mean) / scale).astype(np.float64))
    t = torch.from_numpy(np.asarray(y, dtype=np.int64))
    g = torch.Generator().manual_seed(seed)
    w = (0.01 * torch.randn(z.shape[1], n_classes, generator=g, dtype=torch.float64)).requires_grad_()
    b = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=iters, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z @ w + b, t) + weight_decay * (w ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return {"weight": w.detach().numpy().astype(np.float32), "bias": b.detach().numpy().astype(np.float32),
            "mean": mean.astype(np.float32), "scale": scale.astype(np.float32)}


class EmbeddingHeadClassifier(MappedClassifier):
    """A frozen pretrained backbone + a trained linear head."""

    def __init__(self, backbone: str, params: dict[str, np.ndarray], labels: Sequence[str], *, task: str,
                 name: str, code: str, identity_extra: str = "", info: dict | None = None) -> None:
        self.backbone = backbone
        self._embed = embedder(backbone)
        self.params = {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}
        if self.params["weight"].shape[1] != len(labels):
            raise OptionError(f"head has {self.params['weight'].shape[1]} outputs but {len(labels)} labels")
        lm = build_label_map(task, list(labels))
        ident = [backbone, _backbone_hash(backbone), identity_extra,
                 *[self.params[k].tobytes() for k in sorted(self.params)]]
        super().__init__(name=name, task=task, code=code, label_map=lm, identity_parts=ident, info=info)
        self.n_parameters = int(self.params["weight"].size + self.params["bias"].size)

    def logits_from_embeddings(self, emb: np.ndarray) -> np.ndarray:
        p = self.params
        return ((emb - p["mean"]) / p["scale"]) @ p["weight"] + p["bias"]

    def raw_scores(self, x: np.ndarray) -> np.ndarray:
        z = self.logits_from_embeddings(self._embed(x)).astype(np.float64)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        save_file(self.params, str(folder / "head.safetensors"))
        (folder / "head.json").write_text(json.dumps(
            {"backbone": self.backbone, "labels": list(self.raw_labels), "task": self.task}, indent=1))

    @classmethod
    def load(cls, folder: Path, *, name: str, code: str, task: str) -> "EmbeddingHeadClassifier":
        f = folder / "head.safetensors"
        if not f.exists():
            raise SufficeError(f"no trained head in {folder}")
        meta = json.loads((folder / "head.json").read_text())
        if meta["task"] != task:
            raise SufficeError(f"{folder} holds a {meta['task']} head, not a {task} one")
        return cls(meta["backbone"], load_file(str(f)), meta["labels"], task=task, name=name, code=code,
                   identity_extra=file_hash(str(f)))
