"""The model zoo: classifiers per task whose labels are mapped onto the task's canonical labels.

* ``names(task)`` / ``load(name, profile)`` / ``card(name, profile)``: the built zoo (``make models``);
* ``load_hf(id_or_folder, task=..., label_map=...)``: any Hugging Face audio classifier (safetensors);
* ``resolve_model(name, profile, labels=...)``: any of these, or ``toy/...``, by name (the CLI's ``--model``);
* ``hub.checkpoints()``: public checkpoints of the paper's kind with their label mappings.

Every model is a :class:`suffice.Classifier` with ``task``, ``code``, ``raw_labels``, ``label_map`` and
``identity()`` (content hash of weights + config).  ``predict_proba`` returns probabilities over
``labels`` (canonical); for zero-shot taggers the mapped classes' scores are summed per canonical label
and renormalised.
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import SufficeError
from .base import MappedClassifier
from .hf import HFAudioClassifier, load_hf
from .labels import LabelMap, build_label_map
from .resolve import resolve_model
from .zoo import SPECS, ModelSpec, built, names, spec

__all__ = ["names", "built", "load", "load_hf", "resolve_model", "card", "spec", "ModelSpec", "MappedClassifier", "HFAudioClassifier",
           "LabelMap", "build_label_map", "SPECS"]


def load(name: str, profile: str = "default") -> Any:
    """The built model ``name`` (e.g. ``"genre/ast-tiny"``) of ``profile``, ready to predict."""
    from .build import model_dir
    s = spec(name)
    if s.kind == "zeroshot":
        if s.arch == "musicnn":
            from .musicnn import MusicnnZeroShot
            return MusicnnZeroShot(s.task, name=s.name, code=s.code)
        from .yamnet import YAMNetZeroShot
        return YAMNetZeroShot(s.task, name=s.name, code=s.code)
    folder = model_dir(name, profile)
    if not folder.exists():
        from .zoo import not_built_hint
        raise SufficeError(f"model {name!r} ({profile} profile) is not built yet: {not_built_hint(name, profile)} "
                           f"(looked in {folder})")
    if s.kind == "hf":
        return load_hf(folder, task=s.task, name=s.name, code=s.code)
    from .heads import EmbeddingHeadClassifier
    return EmbeddingHeadClassifier.load(folder, name=s.name, code=s.code, task=s.task)


def card(name: str, profile: str = "default") -> dict[str, Any]:
    """The model card (JSON) of a built model: architecture, parameters, data hash, seed, metrics ..."""
    from .build import model_dir
    spec(name)
    path = model_dir(name, profile) / "card.json"
    if not path.exists():
        raise SufficeError(f"no card for {name!r} ({profile}): run `make models PROFILE={profile}`")
    return json.loads(path.read_text())
