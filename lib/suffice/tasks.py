"""The three tasks and their canonical label vocabularies."""
from __future__ import annotations

from .errors import UnknownNameError

#: canonical labels per task (model labels are mapped onto these)
TASK_LABELS: dict[str, tuple[str, ...]] = {
    "genre": ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"),
    # RAVDESS's eight emotions; an offline corpus may use a subset
    "emotion": ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"),
    "deepfake": ("bonafide", "spoof"),
}
TASKS: tuple[str, ...] = tuple(TASK_LABELS)


def task_labels(task: str) -> tuple[str, ...]:
    """Canonical labels of ``task``; a clear error for an unknown task."""
    try:
        return TASK_LABELS[task]
    except KeyError:
        raise UnknownNameError(f"unknown task {task!r}; known tasks: {', '.join(TASKS)}") from None
