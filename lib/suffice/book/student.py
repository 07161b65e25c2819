"""The student edition of a chapter: the same notebook without its solutions.

A chapter marks each solution by tagging its cells ``solution`` (code cells, and markdown cells such as
notes for the teacher).  :func:`strip_solutions` drops those cells and every output, and puts a note
under the title saying that this is the student edition; :func:`write_student_edition` writes the
result, unexecuted, as ``<chapter>-student.ipynb`` (opens as a notebook in JupyterLab on double-click)
or ``<chapter>-student.md`` (MyST markdown, as the source).  ``suffice book student-edition``
is the command.
"""
from __future__ import annotations

import copy
from pathlib import Path

from ..errors import OptionError, SufficeError, UnknownNameError
from .chapters import notebook_names, unknown_chapter
from .params import read_notebook

SOLUTION_TAG = "solution"
#: output format -> (file suffix, jupytext format)
FORMATS: dict[str, tuple[str, str]] = {"ipynb": (".ipynb", "ipynb"), "md": (".md", "md:myst")}
#: the note under the title (a plain quote: JupyterLab renders it, MyST directives it would not)
NOTE = ("> **Student edition**: the solutions and the notes for the teacher are left out.  Run the cells "
        "from the top; write your answers in new cells under each exercise.")


def is_solution(cell) -> bool:
    """Whether ``cell`` is tagged ``solution``."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def strip_solutions(nb, *, where: str = "notebook"):
    """A copy of ``nb`` without its ``solution`` cells, outputs, execution counts and run metadata, with
    a student-edition note under the title (or first, when the notebook does not open with one).

    Raises :class:`~suffice.errors.SufficeError` when ``nb`` has no solution cell (nothing to leave out:
    the chapter is not tagged for a class).
    """
    if not any(is_solution(c) for c in nb.cells):
        raise SufficeError(f"{where} has no cell tagged {SOLUTION_TAG!r}: tag each solution cell to make a "
                           "student edition")
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if not is_solution(c)]
    for cell in out.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    out.metadata.pop("papermill", None)
    first = next((c for c in out.cells if c.cell_type == "markdown"), None)
    if first is not None and first.source.startswith("# "):  # the note goes right under the title
        title, _, rest = first.source.partition("\n")
        first.source = f"{title}\n\n{NOTE}\n{rest}"
    else:
        import nbformat
        note = nbformat.v4.new_markdown_cell(NOTE)
        if not all("id" in c for c in out.cells):  # cell ids exist from nbformat 4.5 on
            note.pop("id", None)
        out.cells.insert(0, note)
    return out


def write_student_edition(out_dir: str | Path, chapter: str = "teaching", *, fmt: str = "ipynb",
                          force: bool = False, root: Path | None = None) -> Path:
    """Write the student edition of ``notebooks/<chapter>.md`` into the folder ``out_dir`` (created if
    missing) as ``<chapter>-student.<fmt>``; returns its path.

    Raises :class:`~suffice.errors.OptionError` for an unknown format or an existing file without
    ``force``, :class:`~suffice.errors.UnknownNameError` for an unknown chapter.
    """
    import jupytext

    from ..paths import repo_root

    if fmt not in FORMATS:
        raise OptionError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    root = root or repo_root()
    source = root / "notebooks" / f"{chapter}.md"
    if not source.is_file():
        if chapter in notebook_names():
            raise SufficeError(f"no chapter notebook {source}")
        raise UnknownNameError(unknown_chapter(chapter))
    suffix, jformat = FORMATS[fmt]
    folder = Path(out_dir).expanduser()
    target = folder / f"{chapter}-student{suffix}"
    if target.resolve() == source.resolve():
        raise OptionError(f"--out: {target} is the chapter's own source; give another folder")
    if target.exists() and not force:
        raise OptionError(f"--out: {target} exists; pass --force to replace it, or give another folder")
    nb = strip_solutions(read_notebook(source), where=f"notebooks/{chapter}.md")
    if fmt == "ipynb":
        nb.metadata.pop("jupytext", None)  # a plain notebook, not paired with a text file
    try:
        folder.mkdir(parents=True, exist_ok=True)
        jupytext.write(nb, target, fmt=jformat)
    except OSError as e:
        raise OptionError(f"--out: cannot write {target}: {e.strerror or e}") from None
    return target


__all__ = ["FORMATS", "SOLUTION_TAG", "is_solution", "strip_solutions", "write_student_edition"]
