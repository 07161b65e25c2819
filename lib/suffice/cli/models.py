"""``suffice models {build,list,cards}``: the model zoo (``python -m suffice.models`` is the same command)."""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from ..constants import PROFILES


def _jobs(text: str) -> int | str:
    """``--jobs``: a number, or the text itself ("auto"; anything else is rejected by resolve_workers)."""
    try:
        return int(text)
    except ValueError:
        return text


def add(sub: Any) -> None:
    p = sub.add_parser("models", help="build, list and describe the model zoo", description=__doc__)
    s = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    b = s.add_parser("build", help="train/evaluate the zoo and write model cards")
    b.add_argument("--profile", default="default", choices=PROFILES)
    b.add_argument("--task", action="append", help="only this task (repeatable)")
    b.add_argument("--only", action="append", help="only this model name (repeatable)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    b.add_argument("--jobs", default="auto",
                   help="worker processes for training: auto (one per available CPU) or a number")
    cs = s.add_parser("cards", help="print the metrics table of the built models")
    cs.add_argument("--profile", default="default", choices=PROFILES)
    cs.add_argument("--task")
    ls = s.add_parser("list", help="list model names and whether each is built")
    ls.add_argument("--task")
    ls.add_argument("--profile", default="default", choices=PROFILES)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import SufficeError
    from ..models import build as build_mod, names
    from ..models.zoo import built
    if args.models_command == "list":
        listed = names(args.task, args.profile)
        width = max((len(n) for n in listed), default=0)
        for n in listed:
            print(f"{n:<{width}}  {'built' if built(n, args.profile) else 'not built'}")
        missing = [n for n in listed if not built(n, args.profile)]
        if missing:
            print(f"{len(missing)} of {len(listed)} not built ({args.profile} profile): "
                  f"make models PROFILE={args.profile}", file=sys.stderr)
        return 0
    if args.models_command == "cards":
        from ..models import card
        cards = []
        for n in names(args.task, args.profile):
            try:
                cards.append(card(n, args.profile))
            except SufficeError as exc:
                print(f"{n}: {exc}", file=sys.stderr)
        print(build_mod.summary(cards))
        return 0
    t = time.perf_counter()
    cards = build_mod.build(args.profile, args.task, args.only, seed=args.seed, force=args.force,
                            jobs=_jobs(args.jobs))
    print(build_mod.summary(cards))
    print(f"{len(cards)} models up to date in {time.perf_counter() - t:.0f} s")
    return 0
