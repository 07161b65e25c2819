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

from .base import MappedClassifier
from .hf import HFAudioClassifier, load_hf
from .labels import LabelMap, build_label_map
from .loading import card, load
from .resolve import resolve_model
from .zoo import SPECS, ModelSpec, built, names, spec

__all__ = ["names", "built", "load", "load_hf", "resolve_model", "card", "spec", "ModelSpec", "MappedClassifier", "HFAudioClassifier",
           "LabelMap", "build_label_map", "SPECS"]

