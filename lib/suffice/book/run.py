"""``run-chapter``: execute one MyST notebook with papermill under a YAML parameter file.

The executed notebook goes to ``book/_generated/<chapter>--<params stem>.ipynb`` with a sidecar
``.stamp.json``; a second run with the same notebook text, parameters, library and data is skipped.
The kernel runs with its working directory in the output folder and these environment variables:
``SUFFICE_NOTEBOOK`` (the source notebook, read by :func:`suffice.book.provenance`),
``SUFFICE_PARAMS_FILE``, and ``SUFFICE_AUDIO_DIR`` (where :mod:`suffice.plotting.audio` writes .wav
files, relative to the working directory).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import SufficeError, UnknownNameError
from ..folders import claim, mark, marked
from .chapters import DEFAULT_DEPENDS, BOOK, notebook_names, page_of_run, task_heading, unknown_chapter
from .params import declared_parameters, load_params, parameters_cell, read_notebook
from .stamps import run_key

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def repo_root() -> Path:
    """The repository (:func:`suffice.paths.repo_root`: the checkout the library is imported from)."""
    from ..paths import repo_root as root
    return root()


@dataclass(frozen=True)
class RunResult:
    """What ``run_chapter`` produced: the executed notebook, and whether it was already current."""

    notebook: Path
    run_id: str
    skipped: bool
    seconds: float


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


#: tags that fold or remove a cell on the page: the cell papermill injects takes those of the parameters cell
HIDE_TAGS: tuple[str, ...] = ("hide-input", "hide-cell", "remove-input", "remove-cell")


def _static_only(path: Path) -> None:
    """Drop what a static page cannot show (saved widget state and widget-only outputs, such as progress
    bars), and give the cell papermill injects the parameters cell's :data:`HIDE_TAGS`, so a page whose
    parameters are folded does not show them unfolded a second time."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    hide: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags:
            hide = [t for t in tags if t in HIDE_TAGS]
        elif "injected-parameters" in tags:
            cell.metadata["tags"] = [*tags, *(t for t in hide if t not in tags)]
    nbformat.write(nb, path)


def name_page(nb, title: str) -> bool:
    """Give the notebook's first level-1 heading (outside code fences) the page's title
    (:func:`~suffice.book.chapters.task_heading`), so that pages sharing one notebook, e.g. one per task,
    differ in browser tabs and next/previous links.  Returns whether a heading was found."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines, fenced = cell.source.split("\n"), False
        for i, line in enumerate(lines):
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            elif not fenced and line.startswith("# "):
                lines[i] = "# " + task_heading(line[2:], title)
                cell.source = "\n".join(lines)
                return True
    return False


def resolve_depends(depends: tuple[str, ...] | list[str], profile: object) -> list[str]:
    """Fill ``{profile}`` in data paths with the chapter's profile (drop the level when it has none)."""
    if isinstance(profile, str) and profile:
        return [d.format(profile=profile) for d in depends]
    return [d.replace("/{profile}", "").format(profile="") for d in depends]


def run_id(chapter: str, params_file: str | Path | None) -> str:
    """``<chapter>--<params stem>`` (``<chapter>--defaults`` without a parameter file)."""
    stem = Path(params_file).stem if params_file else "defaults"
    return f"{chapter}--{stem}"


#: the kind of folder that executed chapters are written to (see :mod:`suffice.folders`)
KIND = "chapters"


def chapter_folder(folder: Path) -> str | None:
    """None when ``folder`` holds only executed chapters (the mark, or each notebook with its stamp, and
    their ``audio/``), else why not."""
    if marked(KIND)(folder) is None:
        return None
    names = {p.name for p in folder.iterdir()}
    odd = sorted(n for n in names if n != "audio" and not (n.endswith(".stamp.json") or (
        n.endswith(".ipynb") and n[:-len(".ipynb")] + ".stamp.json" in names)))
    return f"it holds {', '.join(odd[:3])}, which a chapter run does not write" if odd else None


def run_chapter(name: str, params_file: str | Path | None = None, *, out_dir: str | Path | None = None,
                timeout: int | None = None, force: bool = False, root: Path | None = None,
                quiet: bool = False) -> RunResult:
    """Execute ``notebooks/<name>.md`` with the parameters in ``params_file`` (YAML).

    Raises :class:`~suffice.errors.OptionError` for an unknown parameter or a badly typed value, and
    :class:`~suffice.errors.SufficeError` when a cell fails (the partly executed notebook is kept).
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    root = root or repo_root()
    source = root / "notebooks" / f"{name}.md"
    if not source.is_file():
        if name in notebook_names():  # a registered chapter whose notebook is missing: a broken checkout
            raise SufficeError(f"no chapter notebook {source}")
        raise UnknownNameError(unknown_chapter(name))
    page = next((p for p in BOOK if p.is_notebook and p.notebook_name == name), None)
    depends = page.depends if page else DEFAULT_DEPENDS
    timeout = timeout or (page.timeout if page else 3600)
    params_path = None if params_file is None else Path(params_file)
    if params_path is not None and not params_path.is_absolute():
        params_path = (Path.cwd() / params_path) if (Path.cwd() / params_path).exists() else root / params_path

    nb = read_notebook(source)
    declared = declared_parameters(parameters_cell(nb, str(source)), f"{source}: parameters cell")
    params = load_params(params_path, declared, where=f"notebooks/{name}.md")

    depends = resolve_depends(depends, {**declared, **params}.get("profile"))
    out = root / "book" / "_generated"  # the book's own (git-ignored) folder
    if out_dir:  # a folder of the user's: written only when empty or holding chapter outputs
        out = claim(out_dir, KIND, what="--out", own=chapter_folder)
    out.mkdir(parents=True, exist_ok=True)
    if out_dir and marked(KIND)(out) is not None:
        mark(out, KIND)
    rid = run_id(name, params_path)
    target = out / f"{rid}.ipynb"
    stamp_file = out / f"{rid}.stamp.json"
    key = run_key(source.read_text(), params, depends, root)
    if not force and target.is_file() and stamp_file.is_file():
        try:
            if json.loads(stamp_file.read_text()) == key:
                return RunResult(target, rid, True, 0.0)
        except json.JSONDecodeError:
            pass
    stamp_file.unlink(missing_ok=True)
    shutil.rmtree(out / "audio" / rid, ignore_errors=True)  # no stale players from an earlier run

    nb.metadata["kernelspec"] = dict(KERNEL)
    nb.metadata.pop("jupytext", None)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / f"{rid}.ipynb"
        import jupytext
        jupytext.write(nb, staged)
        env = {"SUFFICE_NOTEBOOK": str(source), "SUFFICE_PARAMS_FILE": str(params_path or ""),
               "SUFFICE_AUDIO_DIR": f"audio/{rid}", "MPLBACKEND": INLINE_BACKEND, "TQDM_DISABLE": "1",
               "SUFFICE_ROOT": str(root)}
        # papermill's own parameter parsing only warns (and misreads commented defaults); ours is stricter
        logging.getLogger("papermill").setLevel(logging.ERROR)
        # tqdm reads TQDM_DISABLE when it is first imported: import it here first, so that the variable
        # quiets the kernel's bars (static pages cannot show them) but not papermill's per-cell bar
        import tqdm.auto  # noqa: F401
        bar = False if quiet else {"desc": name, "unit": "cell"}
        with _environ(**env):
            try:
                papermill.execute_notebook(str(staged), str(target), parameters=params, kernel_name="python3",
                                           language="python", cwd=str(out), execution_timeout=timeout,
                                           progress_bar=bar, log_output=False,
                                           # the kernel's "running over TCP without encryption" warning
                                           # (a local kernel on the loopback) is noise in a build log
                                           extra_arguments=["--IPKernelApp.log_level=ERROR"])
            except papermill.PapermillExecutionError as e:
                raise SufficeError(f"chapter {name!r} failed in cell {e.exec_count}: {e.ename}: {e.evalue}\n"
                                   f"the partly executed notebook is {target}") from None
            except (CellTimeoutError, DeadKernelError) as e:
                raise SufficeError(f"chapter {name!r} stopped ({type(e).__name__}, cell limit {timeout} s): "
                                   f"{str(e).splitlines()[0] if str(e) else ''}\n"
                                   f"the partly executed notebook is {target}") from None
    _static_only(target)
    shown = page_of_run(name, params_path, root)
    if shown is not None and shown.notebook and shown.title:  # one of several pages of this notebook
        import nbformat
        done = nbformat.read(target, as_version=4)
        if name_page(done, shown.title):
            nbformat.write(done, target)
    stamp_file.write_text(json.dumps(key, indent=1, sort_keys=True))
    return RunResult(target, rid, False, time.perf_counter() - t0)
