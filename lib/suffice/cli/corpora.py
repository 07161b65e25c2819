"""``suffice corpora {build,check}``: build the audio corpora and run their checks
(``python -m suffice.corpora`` is the same command)."""
from __future__ import annotations

import argparse
from typing import Any

from ..constants import PROFILES
from ..tasks import TASKS


def add(sub: Any) -> None:
    p = sub.add_parser("corpora", help="build the audio corpora and run their checks", description=__doc__)
    s = p.add_subparsers(dest="corpora_command", required=True, metavar="ACTION")
    b = s.add_parser("build", help="build corpora (skipped when their configuration is unchanged)")
    b.add_argument("--profile", choices=PROFILES, default="default")
    b.add_argument("--task", choices=TASKS, action="append", help="repeatable; default: all three")
    b.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    b.add_argument("--no-checks", action="store_true", help="skip the tagger and channel shortcut checks")
    c = s.add_parser("check", help="(re)run the corpus checks and update the READMEs")
    c.add_argument("--profile", choices=PROFILES, default="default")
    c.add_argument("--task", choices=TASKS, action="append")
    p.set_defaults(func=run)


def _model_checks(task: str) -> dict:
    """Checks that need a model (the CLI may import models; the corpora layer does not)."""
    if task != "genre":
        return {}

    def yamnet(df):
        from ..corpora.checks import tagger_check
        from ..corpora.tools import pin_threads
        try:
            from ..models.yamnet import YAMNetZeroShot
            pin_threads(1)  # torch is loaded now: its intra-op pool (and the ONNX session's) on one thread
            model = YAMNetZeroShot("genre")
        except Exception as exc:  # noqa: BLE001 - the check is optional; say why it did not run
            return {"summary": f"not run: YAMNet unavailable ({type(exc).__name__}: {exc})"}
        return tagger_check(df, model)
    return {"Pretrained tagger agreement (YAMNet)": yamnet}


def run(args: argparse.Namespace) -> int:
    from ..corpora.builder import build
    from ..corpora.checks import run_checks
    for task in args.task or TASKS:
        if args.corpora_command == "build":
            build(task, args.profile, jobs=args.jobs, seed=args.seed, force=args.force)
            if not args.no_checks:
                run_checks(task, args.profile, only_missing=True, extra=_model_checks(task))
        else:
            run_checks(task, args.profile, extra=_model_checks(task))
    return 0
