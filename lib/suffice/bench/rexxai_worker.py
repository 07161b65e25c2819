"""Runs real ``rex-xai`` code in the benchmark environment; the host process owns model and masking.

Started by :mod:`suffice.bench.rexxai` with the benchmark environment's Python (``rex-xai`` pins
numpy 1.26, so it cannot share the project's environment).  It imports nothing from ``suffice``.

ReX sees each clip as a 1-D "spectral" array of ``K`` ones with ``mask_value = 0``, so every array
its occluder produces is exactly a keep-mask; the prediction function sends the masks to the host,
which resynthesises them with the project's exact masking, runs the model and sends the
probabilities back.  ReX's own search (``calculate_responsibility``), map merge and global linear
extraction (``Explanation.extract``) run unchanged, one mutant per call as ReX does in spectral mode.

Protocol (binary, over the worker's stdin/stdout; ReX's own printing goes to stderr):
  host -> worker  one JSON line per job: {"K", "n_classes", "seed", "iters", "options": {...}},
                  or {"ping": true} (answered b"R" + {"pong": true}) or {"quit": true}
  worker -> host  b"Q" + uint32 n + n packed masks (numpy.packbits, ceil(K/8) bytes each)
  host -> worker  n x C float64 probabilities
  worker -> host  b"R" + uint32 len + JSON result {"keep", "found", "seconds", "stats", "error"}
"""
from __future__ import annotations

import base64
import json
import os
import struct
import sys
import time

_PROTO_OUT = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)            # anything printed (ReX logs to stdout) goes to stderr
sys.stdout = sys.stderr
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import torch as tt  # noqa: E402
from rex_xai.explanation.explanation import Explanation  # noqa: E402
from rex_xai.explanation.rex import calculate_responsibility, predict_target  # noqa: E402
from rex_xai.input.config import CausalArgs  # noqa: E402
from rex_xai.input.input_data import Data  # noqa: E402
from rex_xai.responsibility.prediction import Prediction  # noqa: E402

tt.set_num_threads(1)
_IN = sys.stdin.buffer


def _read_exact(n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = _IN.read(n - len(buf))
        if not chunk:
            raise EOFError("host closed the pipe")
        buf += chunk
    return buf


def _send(tag: bytes, payload: bytes) -> None:
    _PROTO_OUT.write(tag + struct.pack("<I", len(payload)) + payload)
    _PROTO_OUT.flush()


def make_prediction_function(K: int, n_classes: int):
    def predict(tensor, target=None, raw=False):
        x = tensor.detach().cpu().numpy().reshape(-1, K)
        keep = x != 0
        packed = np.packbits(keep, axis=1)
        _PROTO_OUT.write(b"Q" + struct.pack("<I", len(keep)) + packed.tobytes())
        _PROTO_OUT.flush()
        probs = np.frombuffer(_read_exact(8 * len(keep) * n_classes), np.float64).reshape(len(keep), n_classes)
        if raw:
            return tt.from_numpy(probs.copy())
        out = []
        for row in probs:
            c = int(np.argmax(row))
            p = Prediction(c, float(row[c]))
            if target is not None:
                p.target = target.classification
                p.target_confidence = float(row[target.classification])
            out.append(p)
        return out
    return predict


def run_job(job: dict) -> dict:
    K, n_classes = int(job["K"]), int(job["n_classes"])
    args = CausalArgs()
    args.seed = int(job["seed"])
    args.iters = int(job.get("iters", 20))
    args.mode = "spectral"
    args.mask_value = 0
    args.progress_bar = False
    for k, v in job.get("options", {}).items():
        if not hasattr(args, k):
            raise ValueError(f"CausalArgs has no option {k!r}")
        setattr(args, k, v)
    predict = make_prediction_function(K, n_classes)
    data = Data(np.ones((1, K), dtype=np.float32), [1, 1, K], "cpu", mode="spectral", process=True)
    data.set_mask_value(0)
    t0 = time.perf_counter()
    data.target = predict_target(data, args, predict)
    maps, stats = calculate_responsibility(data, args, predict)
    if maps.get(data.target.classification) is None:
        # no mutant anywhere kept the class, so rex-xai has no responsibility map (its Explanation
        # would fail on the missing map): nothing short of the whole spectrum was found
        keep = np.ones(K, dtype=bool)
    else:
        exp = Explanation(maps, predict, data, args, stats)
        exp.extract()
        keep = exp.sufficiency_mask.detach().cpu().numpy().reshape(-1)[:K].astype(bool)
    seconds = time.perf_counter() - t0
    return {"keep": base64.b64encode(np.packbits(keep).tobytes()).decode(), "found": not bool(keep.all()),
            "seconds": seconds, "target": int(data.target.classification),
            "stats": {k: float(v) for k, v in stats.items()}, "error": None}


def main() -> None:
    while True:
        line = _IN.readline()
        if not line:
            return
        job = json.loads(line)
        if job.get("quit"):
            return
        if job.get("ping"):
            _send(b"R", b'{"pong": true}')
            continue
        try:
            result = run_job(job)
        except EOFError:
            return
        except Exception as e:  # report, keep serving
            result = {"error": f"{type(e).__name__}: {e}"}
        _send(b"R", json.dumps(result).encode())


if __name__ == "__main__":
    main()
