"""What the pretrained ONNX taggers (YAMNet, musicnn) share: an onnxruntime session, and zero-shot use
through an explicit mapping of their tags onto a task's canonical labels."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import SufficeError
from ..parallel import default_threads
from ..tasks import task_labels
from .base import MappedClassifier
from .labels import build_label_map


def onnx_session(model: bytes | str, threads: int | None = None) -> Any:
    """A CPU onnxruntime session of ``model`` (serialised bytes or a path): ``threads`` intra-op threads
    (default: :func:`suffice.parallel.default_threads`), one inter-op thread, warnings off."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or default_threads()
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


class ZeroShotTagger(MappedClassifier):
    """A pretrained multi-label tagger used zero-shot on a task.

    ``tag_map`` names the tags that mean a canonical label; every other tag is mapped to ``None``
    explicitly (listed in ``label_map.unmapped``).  :meth:`raw_scores` gives independent per-tag
    probabilities (sigmoid outputs); ``predict_proba`` sums the mapped tags' probabilities per canonical
    label and renormalises (:meth:`LabelMap.aggregate`), so a label with several tags gets their summed
    evidence.  Canonical labels that no tag maps to cannot be predicted: they are absent from ``labels``
    and listed in ``unreachable`` (and ``info["unreachable"]``).
    """

    def __init__(self, task: str, tags: Sequence[str], tag_map: Mapping[str, str], *, name: str, code: str,
                 vocabulary: str, identity_parts: Iterable[bytes | str], info: dict[str, Any] | None = None
                 ) -> None:
        missing = sorted(set(tag_map) - set(tags))
        if missing:
            raise SufficeError(f"no {vocabulary} named {missing}")
        lm = build_label_map(task, tags, {t: tag_map.get(t) for t in tags}, unmapped="error")
        #: canonical labels of the task that no tag maps to (never predicted)
        self.unreachable: tuple[str, ...] = tuple(c for c in task_labels(task) if c not in lm.labels)
        info = {**(info or {}), "vocabulary": vocabulary, "unreachable": list(self.unreachable)}
        super().__init__(name=name, task=task, code=code, label_map=lm, identity_parts=identity_parts, info=info)

    def raw_scores(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError
