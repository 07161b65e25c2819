"""``python -m suffice.models build --profile default|smoke [--task T] [--only NAME] [--force]``;
``python -m suffice.models list [--task T]``; ``python -m suffice.models cards --profile P``."""
from __future__ import annotations

import argparse
import sys
import time

from ..errors import SufficeError


def _jobs(text: str) -> int | str:
    """``--jobs``: a number, or the text itself ("auto"; anything else is rejected by resolve_workers)."""
    try:
        return int(text)
    except ValueError:
        return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m suffice.models", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="train/evaluate the zoo and write model cards")
    b.add_argument("--profile", default="default", choices=["default", "smoke"])
    b.add_argument("--task", action="append", help="only this task (repeatable)")
    b.add_argument("--only", action="append", help="only this model name (repeatable)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    b.add_argument("--jobs", default="auto",
                   help="worker processes for training: auto (one per available CPU) or a number")
    cs = sub.add_parser("cards", help="print the metrics table of the built models")
    cs.add_argument("--profile", default="default")
    cs.add_argument("--task")
    ls = sub.add_parser("list", help="list model names")
    ls.add_argument("--task")
    ls.add_argument("--profile", default="default")
    args = ap.parse_args(argv)
    from . import build as build_mod, names
    try:
        if args.cmd == "list":
            print("\n".join(names(args.task, args.profile)))
            return 0
        if args.cmd == "cards":
            from . import card
            built = []
            for n in names(args.task, args.profile):
                try:
                    built.append(card(n, args.profile))
                except SufficeError as exc:
                    print(f"{n}: {exc}", file=sys.stderr)
            print(build_mod.summary(built))
            return 0
        t = time.perf_counter()
        cards = build_mod.build(args.profile, args.task, args.only, seed=args.seed, force=args.force,
                                jobs=_jobs(args.jobs))
        print(build_mod.summary(cards))
        print(f"{len(cards)} models up to date in {time.perf_counter() - t:.0f} s")
    except SufficeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
