"""Command line: ``suffice explain FILE --model NAME`` and ``suffice study --params FILE``."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

import numpy as np
import soundfile as sf
import yaml

from .errors import OptionError, SufficeError


def resolve_model(name: str, profile: str = "default"):
    """A classifier by name: ``toy/...`` (analytic test models) or a zoo / hub model."""
    if name.startswith(("toy/", "oracle/")):
        from .toys import from_name
        return from_name(name)
    from . import models  # the zoo; imported lazily (torch)
    return models.load(name, profile=profile)


def _parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise OptionError(f"--option expects KEY=VALUE, got {p!r}")
        out[key.strip()] = yaml.safe_load(value)
    return out


def _explain(args: argparse.Namespace) -> int:
    from .search import explain
    model = resolve_model(args.model, args.profile)
    opts = _parse_options(args.option or [])
    for flag in ("contrastive", "complete"):
        if getattr(args, flag):
            opts[flag] = True
    e = explain(model, args.file, seed=args.seed, strategy=args.strategy, **opts)
    if args.out:
        sf.write(args.out, e.sufficient_signal, e.sample_rate, subtype="FLOAT")
    if args.save:
        e.to_json(args.save)
    s = e.summary()
    if args.json:
        print(json.dumps(s))
    else:
        print(f"model           {s['model']}")
        print(f"target          {s['target']}  (confidence {s['confidence']:.4f})")
        print(f"found           {s['found']}" + ("" if s["found"] else "  (only the whole spectrum is sufficient)"))
        print(f"set size        {s['size']} of {s['n_bins']} bins ({100 * s['fraction']:.3f} %)")
        print(f"confidence kept {s['sufficient_confidence']:.4f}")
        print(f"model calls     {s['n_model_calls']}")
        if s["necessary_size"] is not None:
            print(f"contrastive     {s['necessary_size']} bins")
        if s["complete_size"] is not None:
            print(f"complete        {s['complete_size']} bins")
        if args.out:
            print(f"sufficient signal written to {args.out}")
    return 0


def _study(args: argparse.Namespace) -> int:
    from . import study
    result = study.run_params(args.params)
    print(result)
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="suffice", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    e = sub.add_parser("explain", help="find a minimal sufficient set of frequencies for one clip")
    e.add_argument("file", help="sound file (any rate, mono or multichannel)")
    e.add_argument("--model", required=True, help="zoo model (e.g. genre/ast-tiny), hub id/folder, or toy/...")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--strategy", default="suffice", help="suffice (default) or rex")
    e.add_argument("--option", "-o", action="append", metavar="KEY=VALUE", help="search option (repeatable)")
    e.add_argument("--contrastive", action="store_true", help="also find a sufficient-and-necessary set")
    e.add_argument("--complete", action="store_true", help="also find a complete set")
    e.add_argument("--json", action="store_true", help="print the summary as JSON")
    e.add_argument("--out", help="write the sufficient signal to this wav file")
    e.add_argument("--save", help="write the whole explanation as JSON to this file")
    e.add_argument("--profile", default="default", help="zoo profile (default or smoke)")
    e.set_defaults(func=_explain)
    s = sub.add_parser("study", help="run a transferability study from a YAML parameter file")
    s.add_argument("--params", required=True)
    s.set_defaults(func=_study)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SufficeError as exc:
        print(f"suffice: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
