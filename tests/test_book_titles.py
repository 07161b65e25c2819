"""Pages that share one notebook (one per task) get headings that name their page.

The registry's titles (book/_toc.yml's "Music genre", ...) are appended to the shared notebook's H1
when run-chapter executes it with that page's parameter file; a parameter file of the user's own leaves
the heading as written.  One small end-to-end run of a two-cell notebook in a temporary root.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from suffice.book import chapters, run_chapter
from suffice.book.chapters import page_of_run, task_heading
from suffice.book.run import name_page
from test_book import SLOW_NOTEBOOK  # its front matter

ROOT = Path(__file__).resolve().parents[1]
TASK_TITLES = {"genre": "Music genre", "emotion": "Speech emotion", "deepfake": "Deepfake detection"}


def test_task_heading_appends_the_title_once():
    assert task_heading("Do sufficiencies transfer?", "Music genre") == "Do sufficiencies transfer? Music genre"
    assert task_heading("Transfer", "Speech emotion") == "Transfer: Speech emotion"
    done = task_heading("Do sufficiencies transfer?", "Deepfake detection")
    assert task_heading(done, "Deepfake detection") == done
    assert task_heading("  Heading  ", "") == "Heading" and task_heading("", "Music genre") == "Music genre"


def test_every_task_page_is_found_from_its_parameter_files_with_its_title():
    for page in chapters.BOOK:
        if page.notebook == "transferability":
            for params in page.params.values():
                found = page_of_run("transferability", ROOT / params, ROOT)
                assert found is page and found.title == TASK_TITLES[page.name]
    titles = {p.name: p.title for p in chapters.BOOK if p.notebook == "transferability"}
    assert titles == TASK_TITLES
    assert page_of_run("transferability", None, ROOT) is None
    assert page_of_run("transferability", ROOT / "params" / "mine.yaml", ROOT) is None
    assert page_of_run("flips", ROOT / "params" / "genre.yaml", ROOT) is None
    assert page_of_run("flips", ROOT / "params" / "flips.yaml", ROOT).notebook is None  # not shared


def test_name_page_renames_the_first_heading_outside_code():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("# a comment, not a heading"),
        nbformat.v4.new_markdown_cell("(label)=\n```text\n# inside a fence\n```\n# Do sufficiencies transfer?\n\n"
                                      "## Overview\n# A later heading"),
    ])
    assert name_page(nb, "Speech emotion")
    md = nb.cells[1].source.split("\n")
    assert md[2] == "# inside a fence" and md[4] == "# Do sufficiencies transfer? Speech emotion"
    assert md[-1] == "# A later heading" and nb.cells[0].source == "# a comment, not a heading"
    assert not name_page(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## only h2")]), "x")


SHARED_NOTEBOOK = SLOW_NOTEBOOK.split("# Slow")[0] + """# Do sufficiencies transfer?

```{code-cell} ipython3
:tags: [parameters]
task = "genre"
```

```{code-cell} ipython3
print(task)
```
"""


def test_run_chapter_writes_the_task_into_the_heading(tmp_path):
    """One kernel run (a user's own parameter file, which leaves the heading alone, is page_of_run's None)."""
    params, heading = "smoke-emotion.yaml", "Do sufficiencies transfer? Speech emotion"
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "params").mkdir()
    (tmp_path / "notebooks" / "transferability.md").write_text(SHARED_NOTEBOOK)
    (tmp_path / "params" / params).write_text("task: emotion\n")
    res = run_chapter("transferability", tmp_path / "params" / params, root=tmp_path, quiet=True)
    nb = nbformat.read(res.notebook, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    assert f"# {heading}\n" in first.source + "\n"
    assert [o.get("text") for c in nb.cells if c.cell_type == "code" for o in c.outputs] == ["emotion\n"]
