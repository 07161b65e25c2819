"""``suffice predict FILE --model NAME``: the model's class for one clip and its probability for every
label, top first (the model and the file are read as ``suffice explain`` reads them)."""
from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from .clip import add_clip_arguments, model_and_clip


def add(sub: Any) -> None:
    p = sub.add_parser("predict", help="the model's class and probabilities for one clip", description=__doc__)
    add_clip_arguments(p)
    p.add_argument("--json", action="store_true", help="print the prediction as JSON")
    p.set_defaults(func=run)


def ranked(labels: Any, proba: np.ndarray) -> list[tuple[str, float]]:
    """``(label, probability)`` pairs, most probable first (ties in the model's label order)."""
    order = np.argsort(-np.asarray(proba, dtype=np.float64), kind="stable")
    return [(str(labels[i]), float(proba[i])) for i in order]


def run(args: argparse.Namespace) -> int:
    from ..audio import duration_limit
    with duration_limit(args.max_seconds):
        model, x, said = model_and_clip(args)
    pairs = ranked(model.labels, model.predict_proba(x[None])[0])
    if args.json:
        print(json.dumps({"model": model.name, "class": pairs[0][0], "probabilities": dict(pairs),
                          "notes": said}))
        return 0
    width = max(len(label) for label, _ in pairs)
    print(f"model           {model.name}")
    print(f"class           {pairs[0][0]}  (probability {pairs[0][1]:.4f})")
    print("probabilities")
    for label, p in pairs:
        print(f"  {label:<{width}}  {p:.4f}")
    for n in said:
        print(f"note            {n}")
    return 0
