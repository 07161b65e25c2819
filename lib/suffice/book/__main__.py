"""Command line: ``python -m suffice.book {run-chapter,build,toc}``."""
from __future__ import annotations

import argparse
import sys

from ..errors import SufficeError
from .chapters import PROFILES


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m suffice.book", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run-chapter", help="execute notebooks/NAME.md with a YAML parameter file")
    r.add_argument("name", help="chapter name: notebooks/NAME.md")
    r.add_argument("--params", help="YAML file of parameters (keys must be declared in the notebook)")
    r.add_argument("--out", help="output folder (default book/_generated)")
    r.add_argument("--timeout", type=int, help="per-cell limit in seconds")
    r.add_argument("--force", action="store_true", help="execute even when the stored run is current")
    b = sub.add_parser("build", help="run every chapter of a profile and render the book")
    b.add_argument("--profile", default="default", choices=PROFILES)
    b.add_argument("--fresh", action="store_true", help="re-render every page (jupyter-book --all)")
    b.add_argument("--force-run", action="store_true", help="re-execute every chapter")
    b.add_argument("--only", nargs="+", metavar="CHAPTER", help="just these notebook chapters (and every narrative page)")
    t = sub.add_parser("toc", help="write book/_toc.yml from the chapter registry")
    t.add_argument("--profile", default="default", choices=PROFILES)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "run-chapter":
            from .run import run_chapter

            res = run_chapter(args.name, args.params, out_dir=args.out, timeout=args.timeout, force=args.force)
            state = "current, not re-run" if res.skipped else f"executed in {res.seconds:.0f} s"
            print(f"{res.notebook} ({state})")
        elif args.cmd == "build":
            from .build import build

            build(args.profile, fresh=args.fresh, force_run=args.force_run, only=args.only)
        else:
            from .build import write_toc
            from .run import repo_root

            print(write_toc(repo_root(), args.profile))
    except SufficeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
