"""The built zoo, ready to use: a model's folder, the model itself and its card."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import SufficeError
from .data import models_dir
from .hf import load_hf
from .zoo import not_built_hint, spec


def model_dir(name: str, profile: str) -> Path:
    """``data/models/<profile>/<task>/<short>``."""
    task, short = name.split("/", 1)
    return models_dir(profile, task) / short


def load(name: str, profile: str = "default") -> Any:
    """The built model ``name`` (e.g. ``"genre/ast-tiny"``) of ``profile``, ready to predict."""
    s = spec(name)
    if s.kind == "zeroshot":
        if s.arch == "musicnn":
            from .musicnn import MusicnnZeroShot
            return MusicnnZeroShot(s.task, name=s.name, code=s.code)
        from .yamnet import YAMNetZeroShot
        return YAMNetZeroShot(s.task, name=s.name, code=s.code)
    folder = model_dir(name, profile)
    if not folder.exists():
        raise SufficeError(f"model {name!r} ({profile} profile) is not built yet: {not_built_hint(name, profile)} "
                           f"(looked in {folder})")
    if s.kind == "hf":
        return load_hf(folder, task=s.task, name=s.name, code=s.code)
    from .heads import EmbeddingHeadClassifier
    return EmbeddingHeadClassifier.load(folder, name=s.name, code=s.code, task=s.task)


def card(name: str, profile: str = "default") -> dict[str, Any]:
    """The model card (JSON) of a built model: architecture, parameters, data hash, seed, metrics ..."""
    spec(name)
    path = model_dir(name, profile) / "card.json"
    if not path.exists():
        raise SufficeError(f"no card for {name!r} ({profile}): run `make models PROFILE={profile}`")
    return json.loads(path.read_text())
