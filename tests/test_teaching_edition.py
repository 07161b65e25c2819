"""The class edition of the teaching chapter: the student edition leaves out every solution and keeps every
exercise, the chapter parses against its parameter file, and both editions execute (the student one
without the solutions' variables)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from suffice.book.params import declared_parameters, load_params, parameters_cell, read_notebook
from suffice.book.student import NOTE, is_solution, strip_solutions, write_student_edition
from suffice.errors import OptionError, SufficeError, UnknownNameError

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "teaching.md"
EXERCISE = re.compile(r"^## Exercise (\d+)", re.MULTILINE)


def exercises(nb) -> list[str]:
    return [n for c in nb.cells if c.cell_type == "markdown" for n in EXERCISE.findall(c.source)]


def test_the_chapter_parses_and_matches_its_parameter_file():
    nb = read_notebook(CHAPTER)
    declared = declared_parameters(parameters_cell(nb, str(CHAPTER)))
    assert load_params(ROOT / "params" / "teaching.yaml", declared, where="teaching") == declared
    assert exercises(nb) == [str(i) for i in range(1, len(exercises(nb)) + 1)] and len(exercises(nb)) >= 6


def test_every_exercise_but_the_discussion_has_a_folded_solution():
    nb = read_notebook(CHAPTER)
    current, solved = None, {}
    for c in nb.cells:
        if c.cell_type == "markdown" and EXERCISE.search(c.source):
            current = EXERCISE.search(c.source).group(1)
        if is_solution(c) and current is not None:
            solved[current] = solved.get(current, 0) + 1
            if c.cell_type == "code":
                assert "hide-cell" in c.metadata["tags"], "solutions are folded in the book"
    assert set(solved) == set(exercises(nb))  # the discussion's solution is the teacher's notes


@pytest.mark.parametrize("fmt", ["ipynb", "md"])
def test_the_student_edition_has_no_solution_and_keeps_every_exercise(tmp_path, fmt):
    path = write_student_edition(tmp_path, fmt=fmt)
    assert path == tmp_path / f"teaching-student.{fmt}"
    student, source = jupytext.read(path), read_notebook(CHAPTER)
    assert not any(is_solution(c) for c in student.cells)
    text = "\n".join(c.source for c in student.cells)
    assert "# Solution" not in text and "Notes for the teacher" not in text and "student-edition --out" not in text
    assert exercises(student) == exercises(source)
    kept = [c.source for c in source.cells if not is_solution(c)]
    got = [c.source for c in student.cells]
    assert got[0].replace(f"\n\n{NOTE}", "", 1) == kept[0] and got[1:] == kept[1:]  # only the note is added
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in student.cells
               if c.cell_type == "code")


def test_strip_solutions_refuses_a_notebook_without_solutions_and_keeps_the_input():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("1")])
    with pytest.raises(SufficeError, match="no cell tagged 'solution'"):
        strip_solutions(nb)
    nb.cells.append(nbformat.v4.new_code_cell("2", metadata={"tags": ["solution"]}))
    out = strip_solutions(nb)
    assert [c.source for c in out.cells] == [f"# T\n\n{NOTE}\n", "1"] and len(nb.cells) == 3


def test_write_student_edition_refuses_bad_requests(tmp_path):
    write_student_edition(tmp_path)
    with pytest.raises(OptionError, match="exists; pass --force"):
        write_student_edition(tmp_path)
    write_student_edition(tmp_path, force=True)
    with pytest.raises(OptionError, match="unknown format"):
        write_student_edition(tmp_path, fmt="pdf")
    with pytest.raises(UnknownNameError, match="unknown chapter"):
        write_student_edition(tmp_path, "no_such_chapter")
    with pytest.raises(SufficeError, match="no cell tagged 'solution'"):
        write_student_edition(tmp_path, "method_toy")


def test_the_cli_writes_the_student_edition(tmp_path, capsys):
    from suffice.cli import main

    assert main(["book", "student-edition", "--out", str(tmp_path / "class")]) == 0
    assert (tmp_path / "class" / "teaching-student.ipynb").is_file()
    assert "solutions left out" in capsys.readouterr().out


def _outputs(nb) -> str:
    return json.dumps([o for c in nb.cells if c.cell_type == "code" for o in c.outputs])


@pytest.mark.slow
def test_the_student_edition_runs_without_the_solutions(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(write_student_edition(tmp_path), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = _outputs(nb)
    assert '"output_type": "error"' not in shown and "<audio" in shown  # the quiz plays, embedded
    assert "accepts (" not in shown  # the models' answers are the solution's


@pytest.mark.slow
def test_the_teaching_chapter_runs_and_prints_no_machine_path(tmp_path):
    from suffice.book import run_chapter

    res = run_chapter("teaching", ROOT / "params" / "teaching.yaml", out_dir=tmp_path / "out", quiet=True)
    nb = nbformat.read(res.notebook, as_version=4)
    shown = _outputs(nb)
    assert '"output_type": "error"' not in shown and '"name": "stderr"' not in shown  # no warning
    assert str(ROOT) not in shown and str(tmp_path) not in shown
    assert "accepts (" in shown and "rejects (" in shown  # the quiz's answers, computed by the run
    wavs = list((tmp_path / "out" / "audio" / res.run_id).glob("quiz-*.wav"))
    assert len(wavs) == 7  # the original, and each of three signals as it is and level-matched
