"""``suffice book {run-chapter,build,toc,student-edition}``: execute chapters and render the book
(``python -m suffice.book`` is the same command)."""
from __future__ import annotations

import argparse
from typing import Any

from ..constants import PROFILES


def add(sub: Any) -> None:
    p = sub.add_parser("book", help="execute chapters and render the book", description=__doc__)
    s = p.add_subparsers(dest="book_command", required=True, metavar="ACTION")
    r = s.add_parser("run-chapter", help="execute notebooks/NAME.md with a YAML parameter file")
    r.add_argument("name", help="chapter name: notebooks/NAME.md")
    r.add_argument("--params", help="YAML file of parameters (keys must be declared in the notebook)")
    r.add_argument("--out", help="output folder (default book/_generated)")
    r.add_argument("--timeout", type=int, help="per-cell limit in seconds")
    r.add_argument("--force", action="store_true", help="execute even when the stored run is current")
    b = s.add_parser("build", help="run every chapter of a profile and render the book")
    b.add_argument("--profile", default="default", choices=PROFILES)
    b.add_argument("--fresh", action="store_true", help="re-render every page (jupyter-book --all)")
    b.add_argument("--force-run", action="store_true", help="re-execute every chapter")
    b.add_argument("--only", nargs="+", metavar="CHAPTER", help="just these notebook chapters (and every narrative page)")
    t = s.add_parser("toc", help="write book/_toc.yml from the chapter registry")
    t.add_argument("--profile", default="default", choices=PROFILES)
    e = s.add_parser("student-edition", help="write a chapter without its solutions (cells tagged 'solution')")
    e.add_argument("name", nargs="?", default="teaching", help="chapter name: notebooks/NAME.md (default teaching)")
    e.add_argument("--out", required=True, help="folder to write NAME-student.ipynb (or .md) into")
    e.add_argument("--format", default="ipynb", choices=("ipynb", "md"), help="notebook (default) or MyST markdown")
    e.add_argument("--force", action="store_true", help="replace an existing student edition")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.book_command == "run-chapter":
        from ..book.run import run_chapter
        from .outputs import output_folder
        if args.out:
            output_folder(args.out, "--out")
        res = run_chapter(args.name, args.params, out_dir=args.out, timeout=args.timeout, force=args.force)
        state = "current, not re-run" if res.skipped else f"executed in {res.seconds:.0f} s"
        print(f"{res.notebook} ({state})")
    elif args.book_command == "student-edition":
        from ..book.student import write_student_edition
        from .outputs import output_folder
        out = write_student_edition(output_folder(args.out, "--out"), args.name, fmt=args.format, force=args.force)
        print(f"{out} (student edition of notebooks/{args.name}.md: solutions left out)")
    elif args.book_command == "build":
        from ..book.build import build
        build(args.profile, fresh=args.fresh, force_run=args.force_run, only=args.only)
    else:
        from ..book.build import write_toc
        from ..paths import repo_root
        print(write_toc(repo_root(), args.profile))
    return 0
