"""Convert the musicnn taggers' TF1 checkpoints (PyPI ``musicnn==0.1.0``, ISC licence) to ONNX.

Run by ``make musicnn`` with the Python of ``.venv-musicnn`` (tensorflow-cpu 2.15.1, numpy 1.26, tf2onnx;
see ``requirements-musicnn.txt``), never by the project's own environment: it imports tensorflow and
musicnn and nothing of ``suffice``.  For MSD_musicnn and MTT_musicnn it rebuilds the inference graph
with musicnn's own ``models.define_model`` (``is_training=False``: batch norm uses its moving statistics,
dropout is off), restores the packaged checkpoint, freezes it and converts it with tf2onnx.

Each ONNX model takes ``patches`` (N, 187, 96) float32 (3 s of musicnn's log-mel, batch free) and gives
``tags`` (N, 50), the sigmoid tag probabilities, and ``embedding`` (N, 200), the penultimate dense layer
(after its ReLU and batch norm).  Why the penultimate layer: it is the representation the tagger's final
linear layer reads, so a linear head on it is a probe of what the pretrained model knows; it is compact
(200-d, against 753-d for each of the mean/max pooled mid-end features), which suits linear heads trained
on a few hundred clips; and it is what musicnn documents as its ``penultimate`` feature.

Written to ``--out`` (default ``$SUFFICE_DATA/models/musicnn`` or ``<repo>/data/models/musicnn``), through
a temporary folder renamed at the end:

* ``MSD_musicnn.onnx``, ``MTT_musicnn.onnx``;
* ``tags.json``: each model's tag names in output order (musicnn's ``configuration.py``);
* ``reference.npz`` (plain arrays, loadable with ``allow_pickle=False``): three deterministic synthetic
  4 s waveforms, the first 187-frame patch of each from musicnn's own librosa front end
  (``musicnn.extractor.batch_data``), and TF's ``tags``/``embedding`` for those patches and for some
  random patches, so that tests can check our front end and onnxruntime against musicnn and TF;
* ``export.json``: versions, the sha256 of every wheel file used (checked against the wheel's RECORD), of
  this script, of the ONNX files and of the reference file, and the front-end constants.  tf2onnx does not
  write byte-identical files twice (node names and constant folding order vary; outputs agree to 1e-6),
  so a model's identity is the hash of what it was converted from and how (``source_sha256``, the script,
  the converter versions), and ``onnx_sha256`` checks that the file is the one this export wrote.
"""
from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

# run as a script, this file's folder heads sys.path, where our own musicnn.py would shadow the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore", category=UserWarning)  # tf.compat.v1.layers deprecation notices

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

MODELS = ("MSD_musicnn", "MTT_musicnn")
N_FRAMES = 187  # librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1, as musicnn computes it
OPSET = 15
SR = 16000


def package_dir() -> Path:
    """The installed ``musicnn`` package folder (the checkpoints are data files inside it)."""
    import musicnn
    return Path(musicnn.__file__).parent


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checked_wheel_files(pkg: Path) -> dict[str, str]:
    """sha256 of the wheel files used (code + the two models' checkpoints), checked against RECORD."""
    dist = next(pkg.parent.glob("musicnn-*.dist-info"))
    record = {}
    with open(dist / "RECORD", newline="") as f:
        for row in csv.reader(f):
            if len(row) >= 2 and row[1].startswith("sha256="):
                record[row[0]] = row[1][len("sha256="):]
    wanted = ["musicnn/configuration.py", "musicnn/models.py", "musicnn/extractor.py"]
    for m in MODELS:
        wanted += [f"musicnn/{m}/{n}" for n in (".data-00000-of-00001", ".index", ".meta", "config.json")]
    out = {}
    for rel in wanted:
        digest = sha256(pkg.parent / rel)
        b64 = base64.urlsafe_b64encode(bytes.fromhex(digest)).rstrip(b"=").decode()
        if record.get(rel) != b64:
            sys.exit(f"{rel} does not match the musicnn wheel's RECORD: reinstall musicnn==0.1.0")
        out[rel] = digest
    return out


def tag_names(model: str) -> list[str]:
    from musicnn import configuration as config
    return list(config.MSD_LABELS if model.startswith("MSD") else config.MTT_LABELS)


def build_graph(model: str) -> tuple[tf.compat.v1.Session, dict[str, tf.Tensor]]:
    """musicnn's inference graph with the checkpoint restored; named tensors: ``patches`` (input),
    ``tags`` (sigmoid), ``penultimate``, ``mean_pool``, ``max_pool``."""
    from musicnn import models
    graph = tf.Graph()
    with graph.as_default():
        with tf.name_scope("model"):  # as musicnn.extractor builds it (the variable names must match)
            x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, 96], name="patches")
            out = models.define_model(x, False, model, len(tag_names(model)))
        logits, mean_pool, max_pool, penultimate = out[0], out[6], out[7], out[8]
        named = {"patches": x, "tags": tf.identity(tf.nn.sigmoid(logits), name="tags"),
                 "penultimate": tf.identity(penultimate, name="penultimate"),
                 "mean_pool": tf.identity(mean_pool, name="mean_pool"),
                 "max_pool": tf.identity(max_pool, name="max_pool")}
        cfg = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=2, inter_op_parallelism_threads=1)
        sess = tf.compat.v1.Session(graph=graph, config=cfg)
        tf.compat.v1.train.Saver().restore(sess, str(package_dir() / model) + "/")
    return sess, named


def to_onnx(sess: tf.compat.v1.Session, named: dict[str, tf.Tensor], outputs: dict[str, str],
            path: Path) -> None:
    """Freeze and convert; ``outputs`` maps ONNX output names to keys of ``named``.  Batch dim: ``N``."""
    import onnx
    import tf2onnx
    frozen = tf.compat.v1.graph_util.convert_variables_to_constants(
        sess, sess.graph.as_graph_def(), [named[k].op.name for k in outputs.values()])
    inp = named["patches"].name
    rename = {inp: "patches", **{named[k].name: o for o, k in outputs.items()}}
    with tf.Graph().as_default():
        proto, _ = tf2onnx.convert.from_graph_def(
            frozen, input_names=[inp], output_names=[named[k].name for k in outputs.values()], opset=OPSET,
            tensors_to_rename=rename)
    for v in list(proto.graph.input) + list(proto.graph.output):
        v.type.tensor_type.shape.dim[0].dim_param = "N"
    proto.doc_string = f"musicnn 0.1.0 {path.stem}, converted by suffice.models.musicnn_export"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def synthetic_waveforms(seconds: float = 4.0) -> np.ndarray:
    """Three deterministic music-like test signals (chords with vibrato, drum-like noise bursts, a loud
    sweep with a bass line), (3, seconds * 16000) float32."""
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(20190712)
    chord = sum(np.sin(2 * np.pi * f * (1 + 0.004 * np.sin(2 * np.pi * 5 * t)) * k * t) / k
                for f in (220.0, 277.18, 329.63) for k in (1, 2, 3))
    chord = 0.1 * chord * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t) ** 2)
    beat = (t * 2.0) % 1.0
    drums = 0.5 * rng.standard_normal(t.size) * np.exp(-30 * beat) + 0.3 * np.sin(2 * np.pi * 60 * t) * np.exp(-12 * beat)
    sweep = 0.6 * np.sin(2 * np.pi * (100 * t + 400 * t ** 2)) + 0.3 * np.sign(np.sin(2 * np.pi * 55 * t))
    x = np.stack([chord, drums, sweep]).astype(np.float32)
    return np.clip(x, -1, 1)


def musicnn_patches(waves: np.ndarray) -> np.ndarray:
    """The first 187-frame patch of each waveform from musicnn's own front end (librosa), (N, 187, 96)."""
    import soundfile as sf
    from musicnn.extractor import batch_data
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, w in enumerate(waves):
            f = Path(tmp) / f"clip{i}.wav"
            sf.write(str(f), w, SR, subtype="FLOAT")  # float WAV at 16 kHz: librosa.load returns it as is
            batch, _ = batch_data(str(f), N_FRAMES, N_FRAMES)
            out.append(batch[0])
    return np.stack(out).astype(np.float32)


def versions() -> dict[str, str]:
    import librosa
    import onnx
    import tf2onnx
    from importlib.metadata import version
    return {"musicnn": version("musicnn"), "tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__,
            "onnx": onnx.__version__, "numpy": np.__version__, "librosa": librosa.__version__,
            "python": platform.python_version()}


def export(out: Path) -> dict[str, Any]:
    """Write everything into ``out`` (replaced); returns the content of ``export.json``."""
    for folder in (out, out.with_name(out.name + ".tmp")):
        refuse_foreign(folder)
    pkg = package_dir()
    files = checked_wheel_files(pkg)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    waves = synthetic_waveforms()
    ref: dict[str, np.ndarray] = {"waveforms": waves, "patches": musicnn_patches(waves),
                                  "random_patches": np.random.default_rng(0).uniform(0, 4, (4, N_FRAMES, 96))
                                  .astype(np.float32)}
    meta: dict[str, Any] = {"source": "PyPI musicnn==0.1.0 (ISC licence), TF1 checkpoints in its wheel",
                            "versions": versions(), "opset": OPSET, "wheel_files_sha256": files,
                            "export_script_sha256": sha256(Path(__file__).resolve()),
                            "front_end": {"sample_rate": SR, "n_fft": 512, "hop": 256, "n_mels": 96,
                                          "mel": "librosa.feature.melspectrogram defaults (Slaney, power 2, "
                                                 "centred, zero padding), rounded to float16",
                                          "log": "log10(10000 * mel + 1)", "patch_frames": N_FRAMES},
                            "inputs": {"patches": ["N", N_FRAMES, 96]}, "models": {}}
    tags = {}
    for model in MODELS:
        sess, named = build_graph(model)
        path = tmp / f"{model}.onnx"
        to_onnx(sess, named, {"tags": "tags", "embedding": "penultimate"}, path)
        for key in ("patches", "random_patches"):
            t, e = sess.run([named["tags"], named["penultimate"]], {named["patches"]: ref[key]})
            suffix = "" if key == "patches" else "_random"
            ref[f"{model}_tags{suffix}"], ref[f"{model}_embedding{suffix}"] = t, e
        sess.close()
        tags[model] = tag_names(model)
        source = {k: v for k, v in files.items() if f"/{model}/" in k or k.count("/") == 1}
        meta["models"][model] = {"onnx": path.name, "onnx_sha256": sha256(path), "source_sha256": source,
                                 "n_tags": len(tags[model]),
                                 "outputs": {"tags": ["N", len(tags[model])], "embedding": ["N", 200]},
                                 "embedding": "penultimate dense layer (ReLU, batch norm), 200-d"}
    np.savez(tmp / "reference.npz", **{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in ref.items()})
    meta["reference_sha256"] = sha256(tmp / "reference.npz")
    (tmp / "tags.json").write_text(json.dumps(tags, indent=1))
    (tmp / "export.json").write_text(json.dumps(meta, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return meta


def refuse_foreign(folder: Path) -> None:
    """Exit with one line unless ``folder`` is missing, empty or an export (the rule of
    ``suffice.folders``, restated here because this script runs without suffice)."""
    if folder.is_symlink():
        sys.exit(f"musicnn_export: {folder} is a symbolic link; give a real folder")
    if not folder.exists():
        return
    odd = [] if not folder.is_dir() else [p.name for p in folder.iterdir()
                                          if p.suffix not in (".onnx", ".json", ".npz") or p.is_dir()]
    if not folder.is_dir() or odd:
        sys.exit(f"musicnn_export: {folder} holds files that this export did not write "
                 f"({', '.join(sorted(odd)[:3]) or 'not a folder'}); it is never replaced: give another --out")


def default_out() -> Path:
    env = os.environ.get("SUFFICE_DATA")
    root = Path(env).expanduser().resolve() if env else Path(__file__).resolve().parents[3] / "data"
    return root / "models" / "musicnn"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=default_out(), help="output folder (replaced)")
    args = ap.parse_args(argv)
    meta = export(args.out.resolve())
    for m, info in meta["models"].items():
        print(f"{m}: {args.out / info['onnx']} ({(args.out / info['onnx']).stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
