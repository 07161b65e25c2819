"""``python -m suffice.corpora build --profile default|smoke [--task T] [--jobs N] [--seed S] [--force]``."""
from __future__ import annotations

import argparse
import sys

from ..errors import SufficeError
from ..tasks import TASKS
from .paths import PROFILES


def _model_checks(task: str) -> dict:
    """Checks that need a model (this entry point may import models; the corpora layer does not)."""
    if task != "genre":
        return {}

    def yamnet(df):
        from .checks import tagger_check
        from .tools import pin_threads
        try:
            from ..models.yamnet import YAMNetZeroShot
            pin_threads(1)  # torch is loaded now: its intra-op pool (and the ONNX session's) on one thread
            model = YAMNetZeroShot("genre")
        except Exception as exc:  # noqa: BLE001 - the check is optional; say why it did not run
            return {"summary": f"not run: YAMNet unavailable ({type(exc).__name__}: {exc})"}
        return tagger_check(df, model)
    return {"Pretrained tagger agreement (YAMNet)": yamnet}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m suffice.corpora", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build corpora (skipped when their configuration is unchanged)")
    b.add_argument("--profile", choices=PROFILES, default="default")
    b.add_argument("--task", choices=TASKS, action="append", help="repeatable; default: all three")
    b.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    b.add_argument("--no-checks", action="store_true", help="skip the tagger and shortcut checks")
    c = sub.add_parser("check", help="(re)run the corpus checks and update the READMEs")
    c.add_argument("--profile", choices=PROFILES, default="default")
    c.add_argument("--task", choices=TASKS, action="append")
    args = ap.parse_args(argv)
    from .builder import build
    from .checks import run_checks
    try:
        for task in args.task or TASKS:
            if args.cmd == "build":
                build(task, args.profile, jobs=args.jobs, seed=args.seed, force=args.force)
                if not args.no_checks:
                    run_checks(task, args.profile, only_missing=True, extra=_model_checks(task))
            else:
                run_checks(task, args.profile, extra=_model_checks(task))
    except SufficeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
