"""``suffice study --params FILE``: a transferability study from a YAML parameter file."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .outputs import output_folder


def add(sub: Any) -> None:
    s = sub.add_parser("study", help="run a transferability study from a YAML parameter file", description=__doc__)
    s.add_argument("--params", required=True, help="YAML parameter file (relative paths in it resolve against "
                                                   "its folder; {data} stands for the data folder)")
    s.add_argument("--out", help="write the tables to this folder (overrides the file's output_dir)")
    s.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import study
    from ..paths import data_root, resolve_user_path
    params_file = Path(args.params)
    overrides = {"output_dir": str(Path(args.out).resolve())} if args.out else {}
    params = study.load_params(str(params_file), **overrides)
    base = params_file.resolve().parent
    out = resolve_user_path(params["output_dir"], base) if params.get("output_dir") else None
    cache = resolve_user_path(params["cache_dir"], base) if params.get("cache_dir") else data_root() / "study-cache"
    if out is not None:
        output_folder(out, "output_dir")   # checked before any work
    output_folder(cache, "cache_dir")
    result = study.run_params(str(params_file), **overrides)
    t = result.table
    print(f"study {result.params.get('task')}: {t['source'].nunique() if len(t) else 0} models, "
          f"{result.predictions['clip_id'].nunique() if len(result.predictions) else 0} clips, "
          f"{len(t)} transfer rows, {len(result.failures)} failures")
    s = result.stats
    print(f"model calls     {s.get('model_calls', 0)} here, {s.get('model_calls_in_workers', 0)} in workers; "
          f"explained now {s.get('explained_now', 0)}, cache hits {s.get('cache_hits', 0)}")
    print(f"tables          {out if out is not None else 'not written (no output_dir; pass --out DIR)'}")
    print(f"cache           {cache}")
    return 0 if len(result.failures) == 0 or len(t) else 1
