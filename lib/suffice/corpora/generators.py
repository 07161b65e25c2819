"""The generator module of each built task (``genre``, ``emotion``, ``deepfake``)."""
from __future__ import annotations

from types import ModuleType

from ..tasks import task_labels


def task_module(task: str) -> ModuleType:
    """The generator module of ``task`` (a clear error for an unknown task)."""
    task_labels(task)
    from . import deepfake, emotion, genre
    return {"genre": genre, "emotion": emotion, "deepfake": deepfake}[task]
