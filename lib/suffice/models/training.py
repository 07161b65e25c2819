"""Training the tiny transformers classifiers and the embedding heads (deterministic for a seed)."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from ..constants import SAMPLE_RATE
from ..errors import SufficeError
from ..tasks import task_labels
from . import tiny
from .data import Split
from .heads import EmbeddingHeadClassifier, embed_all, embedder, fit_head
from .hf import HFAudioClassifier


def present_labels(task: str, y: Sequence[str]) -> list[str]:
    """Canonical labels occurring in ``y``, in the task's canonical order (unknown labels are an error)."""
    canon = task_labels(task)
    bad = sorted(set(y) - set(canon))
    if bad:
        raise SufficeError(f"corpus labels {bad} are not {task} labels ({', '.join(canon)})")
    return [c for c in canon if c in set(y)]


def _features(clf: HFAudioClassifier, x: np.ndarray, batch: int = 64) -> dict[str, torch.Tensor]:
    parts = [clf.features(x[i:i + batch]) for i in range(0, len(x), batch)]
    return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}


def _accuracy(model: torch.nn.Module, feats: dict[str, torch.Tensor], y: torch.Tensor, batch: int = 64) -> float:
    model.eval()
    hits = 0
    with torch.inference_mode():
        for i in range(0, len(y), batch):
            out = model(**{k: v[i:i + batch] for k, v in feats.items()}).logits
            hits += int((out.argmax(-1) == y[i:i + batch]).sum())
    return hits / max(1, len(y))


#: families that read the waveform itself (trained on random crops: cheaper steps, more variety)
WAVEFORM_FAMILIES = ("wav2vec2", "hubert", "distilhubert")


def _crop(feats: dict[str, torch.Tensor], b: torch.Tensor, crop: int, rng: np.random.Generator
          ) -> dict[str, torch.Tensor]:
    x = feats["input_values"][b]
    if crop <= 0 or crop >= x.shape[1]:
        return {"input_values": x}
    starts = rng.integers(0, x.shape[1] - crop + 1, size=len(b))
    return {"input_values": torch.stack([x[i, s:s + crop] for i, s in enumerate(starts)])}


def train_hf(family: str, task: str, data: dict[str, Split], *, name: str, code: str, seed: int = 0,
             epochs: int = 10, lr: float = 2e-3, batch_size: int = 16, weight_decay: float = 1e-2,
             crop_seconds: float = 1.0, progress: bool = True) -> tuple[HFAudioClassifier, dict[str, Any]]:
    """Train a tiny ``family`` model on ``data['train']``; keep the epoch with the best val accuracy.

    Waveform families train on random ``crop_seconds`` crops (mean pooling makes them length-agnostic) and
    are validated on whole clips; spectrogram families (AST, Whisper) train on whole clips.
    """
    labels = present_labels(task, data["train"].y)
    seconds = data["train"].x.shape[1] / SAMPLE_RATE
    torch.manual_seed(seed)
    model, fe = tiny.build(family, labels, seconds)
    clf = HFAudioClassifier(model, fe, task=task, name=name, code=code, device="cpu")
    idx = {l: i for i, l in enumerate(labels)}
    tr = _features(clf, data["train"].x)
    ytr = torch.tensor([idx[l] for l in data["train"].y])
    va = _features(clf, data["val"].x)
    yva = torch.tensor([idx.get(l, -1) for l in data["val"].y])
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps = epochs * int(np.ceil(len(ytr) / batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(1, steps), pct_start=0.2)
    rng = np.random.default_rng(seed)
    best = (-1.0, 0, copy.deepcopy(model.state_dict()))
    history = []
    bar = tqdm(range(epochs), desc=f"train {name}", disable=not progress, leave=False)
    for ep in bar:
        model.train()
        order = torch.from_numpy(rng.permutation(len(ytr)))
        losses = []
        for i in range(0, len(order), batch_size):
            b = order[i:i + batch_size]
            if family in WAVEFORM_FAMILIES:
                inputs = _crop(tr, b, int(crop_seconds * SAMPLE_RATE), rng)
            else:
                inputs = {k: v[b] for k, v in tr.items()}
            out = model(**inputs, labels=ytr[b])
            opt.zero_grad()
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(out.loss.item())
        acc = _accuracy(model, va, yva)
        history.append({"epoch": ep + 1, "loss": float(np.mean(losses)), "val_accuracy": acc})
        bar.set_postfix(loss=f"{np.mean(losses):.3f}", val=f"{acc:.2f}")
        if acc > best[0]:
            best = (acc, ep + 1, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[2])
    model.eval()
    return clf, {"epochs": epochs, "best_epoch": best[1], "lr": lr, "batch_size": batch_size,
                 "crop_seconds": crop_seconds if family in WAVEFORM_FAMILIES else None,
                 "weight_decay": weight_decay, "history": history}


def save_hf(clf: HFAudioClassifier, folder: Path) -> None:
    """Save weights (safetensors) and feature extractor config."""
    folder.mkdir(parents=True, exist_ok=True)
    clf.model.save_pretrained(folder, safe_serialization=True)
    clf.extractor.save_pretrained(folder)


def train_head(backbone: str, task: str, data: dict[str, Split], *, name: str, code: str, seed: int = 0,
               progress: bool = True) -> tuple[EmbeddingHeadClassifier, dict[str, Any]]:
    """Fit a linear head on frozen ``backbone`` embeddings; weight decay chosen on the val split."""
    labels = present_labels(task, data["train"].y)
    idx = {l: i for i, l in enumerate(labels)}
    emb = embedder(backbone)
    with tqdm(total=2, desc=f"embed {name}", disable=not progress, leave=False) as bar:
        etr = embed_all(emb, data["train"].x)
        bar.update()
        eva = embed_all(emb, data["val"].x)
        bar.update()
    ytr = np.array([idx[l] for l in data["train"].y])
    yva = np.array([idx.get(l, -1) for l in data["val"].y])
    trials = []
    for wd in (1e-3, 1e-2, 1e-1):
        p = fit_head(etr, ytr, len(labels), weight_decay=wd, seed=seed)
        z = ((eva - p["mean"]) / p["scale"]) @ p["weight"] + p["bias"]
        trials.append((float((z.argmax(1) == yva).mean()), wd, p))
    acc, wd, params = max(trials, key=lambda t: (t[0], t[1]))  # ties: the stronger regulariser
    clf = EmbeddingHeadClassifier(backbone, params, labels, task=task, name=name, code=code)
    return clf, {"weight_decay": wd, "val_accuracy_by_weight_decay": {str(t[1]): t[0] for t in trials},
                 "optimiser": "L-BFGS, full batch"}
