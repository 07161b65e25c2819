"""The book machinery: chapter registry, parameter checks, run-chapter, and a smoke build of the book.

The run and build tests execute the real toy chapter with params/smoke-toy.yaml in a copy of the book
sources (the repository's book/ is not touched) and parse the HTML that jupyter-book writes.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

import suffice

from suffice.book import chapters, run_chapter
from suffice.book.build import page_doc, page_source, toc_text
from suffice.book.params import declared_parameters, load_params, notebook_parameters
from suffice.book.site import _Page, check_html, local_target
from suffice.book.stamps import run_key
from suffice.errors import OptionError, SufficeError, UnknownNameError

ROOT = Path(__file__).resolve().parents[1]
SMOKE_CHAPTERS = ["method_toy"]  # the chapters the smoke build test executes (the others need models)


# ---- registry and table of contents ------------------------------------------------------------
def test_registry_sources_and_params_exist():
    for profile in chapters.PROFILES:
        for page in chapters.pages(profile):
            if page.is_notebook:
                notebook = ROOT / "notebooks" / f"{page.notebook_name}.md"
                load_params(ROOT / page.params_for(profile), notebook_parameters(notebook))
            else:
                assert page_source(page, ROOT).stat().st_size > 200, page.name


def test_page_names_are_unique():
    names = [p.name for p in chapters.BOOK]
    assert len(names) == len(set(names)) and names[0] == chapters.ROOT


def test_toc_lists_every_page_once_and_matches_the_committed_file():
    for profile in chapters.PROFILES:
        text = toc_text(profile)
        for page in chapters.pages(profile):
            assert text.count(f" {page_doc(page)}\n") == 1
    assert (ROOT / "book" / "_toc.yml").read_text() == toc_text("default"), \
        "book/_toc.yml is out of date: run `python -m suffice.book toc` and commit it"


def test_unknown_names_are_errors():
    with pytest.raises(UnknownNameError, match="profile"):
        chapters.pages("huge")
    with pytest.raises(UnknownNameError, match="method_toy"):
        chapters.chapter("no-such-chapter")
    with pytest.raises(UnknownNameError, match="nope"):
        chapters.pages("smoke", ["method_toy", "nope"])
    assert chapters.chapter("transferability").name == "genre"
    assert [p.name for p in chapters.pages("smoke", [])] == [p.name for p in chapters.BOOK
                                                             if not p.is_notebook or p.name == chapters.ROOT]


# ---- parameters ---------------------------------------------------------------------------------
def test_declared_parameters_reads_literals_only():
    assert declared_parameters("a = 1\nb: float = 2.5  # c\nc = [1, 'x']\n'doc'\n") == \
        {"a": 1, "b": 2.5, "c": [1, "x"]}
    with pytest.raises(SufficeError, match="literal"):
        declared_parameters("a = len('x')")
    with pytest.raises(SufficeError, match="simple assignments"):
        declared_parameters("import os")


def test_load_params_rejects_unknown_keys_and_wrong_types(tmp_path):
    declared = {"seed": 0, "rate": 0.5, "names": ["a"], "flag": False, "path": None}
    f = tmp_path / "p.yaml"
    f.write_text("seed: 3\nrate: 1\nnames: [b, c]\nflag: true\npath: x.wav\n")
    assert load_params(f, declared) == {"seed": 3, "rate": 1, "names": ["b", "c"], "flag": True, "path": "x.wav"}
    f.write_text("seed: 1\nsede: 2\n")
    with pytest.raises(OptionError, match=r"unknown parameter\(s\) \['sede'\].*declares: flag, names"):
        load_params(f, declared)
    f.write_text("seed: '1'\n")
    with pytest.raises(OptionError, match="'seed' must be like its default"):
        load_params(f, declared)
    f.write_text("flag: 1\n")
    with pytest.raises(OptionError, match="'flag'"):
        load_params(f, declared)
    f.write_text("- 1\n")
    with pytest.raises(OptionError, match="mapping"):
        load_params(f, declared)
    with pytest.raises(OptionError, match="not found"):
        load_params(tmp_path / "missing.yaml", declared)


def test_run_chapter_rejects_an_unknown_key_before_running(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 0\nno_such_parameter: 3\n")
    with pytest.raises(OptionError, match="no_such_parameter"):
        run_chapter("method_toy", bad, out_dir=tmp_path / "out", root=ROOT)
    assert not (tmp_path / "out" / "method_toy--bad.ipynb").exists()


def test_run_chapter_needs_a_notebook(tmp_path):
    with pytest.raises(UnknownNameError, match="unknown chapter .no_such_chapter.*chapters: intro, method_toy"):
        run_chapter("no_such_chapter", None, out_dir=tmp_path, root=ROOT)


def test_an_unknown_chapter_name_is_answered_with_the_command_to_run(tmp_path, capsys):
    """A task's page runs the transferability notebook with its parameter file; a typo gets a suggestion,
    and every chapter is listed."""
    from suffice.cli import main
    for task in ("genre", "emotion", "deepfake"):
        assert main(["book", "run-chapter", task]) == 2
        err = capsys.readouterr().err
        assert f"run-chapter transferability --params params/{task}.yaml" in err and err.count("\n") == 1
    assert main(["book", "run-chapter", "transferabilty"]) == 2
    err = capsys.readouterr().err
    assert "did you mean transferability?" in err
    assert all(name in err for name in chapters.notebook_names())
    assert "did you mean" not in chapters.unknown_chapter("zzz")
    assert "did you mean genre?" in chapters.unknown_chapter("genr")
    assert chapters.notebook_names().count("transferability") == 1


# ---- HTML checks ----------------------------------------------------------------------------------
def test_check_html_finds_missing_files_empty_pages_and_remote_scripts(tmp_path):
    (tmp_path / "a.html").write_text("<main>" + "text " * 100 + "<img src='fig.png'></main>")
    (tmp_path / "fig.png").write_bytes(b"png")
    assert check_html(tmp_path, ["a"])["images"] == 1
    (tmp_path / "b.html").write_text("<main>short<audio src='audio/x.wav'></audio>"
                                     "<script src='https://cdn.example/x.js'></script></main>")
    with pytest.raises(SufficeError) as err:
        check_html(tmp_path, ["a", "b", "c"])
    msg = str(err.value)
    assert "page not rendered" in msg and "nearly empty" in msg
    assert "missing file: audio/x.wav" in msg and "network: https://cdn.example/x.js" in msg
    assert local_target(tmp_path / "a.html", "#top") is None
    assert local_target(tmp_path / "a.html", "mailto:x@y") is None


# ---- run-chapter and the smoke build (one real execution, shared) --------------------------------
@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory):
    """A copy of the book sources, built with the smoke profile."""
    from suffice.book.build import build, ensure_mathjax

    ensure_mathjax(ROOT)  # npm ci into the checkout when node_modules is missing
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copytree(ROOT / "book", root / "book", ignore=shutil.ignore_patterns("_build", "_generated", "*.ipynb"))
    (root / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    html = build("smoke", root=root, only=SMOKE_CHAPTERS)
    # a second run straight away must be skipped (checked here, before anyone can edit the library)
    res = run_chapter("method_toy", root / "params" / "smoke-toy.yaml", root=root, quiet=True)
    (root / "second-run.json").write_text(json.dumps({"skipped": res.skipped, "notebook": res.notebook.name}))
    return root, html



@pytest.mark.slow
def test_run_chapter_output_has_no_errors_and_shows_its_parameters(smoke_book):
    root, _ = smoke_book
    nb = nbformat.read(root / "book" / "_generated" / "method_toy--smoke-toy.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(o.output_type != "error" for c in code for o in c.outputs)
    assert all(c.execution_count for c in code)  # every cell ran
    injected = [c for c in code if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "duration_s = 0.5" in injected[0].source
    shown = json.dumps([o for c in code for o in c.outputs])
    assert "parameter: duration_s" in shown and "params/smoke-toy.yaml" in shown
    assert "the sufficient set is exactly the known minimal set: True" in shown
    assert "widgets" not in nb.metadata
    audio = list((root / "book" / "_generated" / "audio" / "method_toy--smoke-toy").glob("*.wav"))
    assert len(audio) >= 4


@pytest.mark.slow
def test_second_run_is_skipped(smoke_book):
    root, _ = smoke_book
    again = root / "second-run.json"  # written by the fixture right after the build
    assert json.loads(again.read_text()) == {"skipped": True, "notebook": "method_toy--smoke-toy.ipynb"}


def test_data_dependencies_follow_the_chapter_profile():
    from suffice.book.run import resolve_depends

    assert resolve_depends(chapters.DEFAULT_DEPENDS, "smoke") == ["data/corpora/smoke", "data/models/smoke"]
    assert resolve_depends(chapters.DEFAULT_DEPENDS, None) == ["data/corpora", "data/models"]


def test_run_key_changes_with_notebook_params_and_data(tmp_path):
    (tmp_path / "data").mkdir()
    key = run_key("text", {"seed": 0}, ["data"], tmp_path)
    assert run_key("text", {"seed": 0}, ["data"], tmp_path) == key
    assert run_key("text!", {"seed": 0}, ["data"], tmp_path)["notebook"] != key["notebook"]
    assert run_key("text", {"seed": 1}, ["data"], tmp_path)["params"] != key["params"]
    (tmp_path / "data" / "model.onnx").write_bytes(b"weights")
    assert run_key("text", {"seed": 0}, ["data"], tmp_path)["data"] != key["data"]
    assert key["library"].startswith(suffice.__version__ + "+")


@pytest.mark.slow
def test_smoke_book_pages_figures_and_audio_exist(smoke_book):
    root, html = smoke_book
    listed = chapters.pages("smoke", SMOKE_CHAPTERS)
    counts = check_html(html, [page_doc(p) for p in listed])
    assert counts["pages"] == len(listed) and "method_toy" in [p.name for p in listed]
    assert counts["images"] >= 5 and counts["audio"] >= 4
    page = _Page()
    page.feed((html / "method_toy.html").read_text())
    wavs = [r for r in page.refs if r.endswith(".wav")]
    assert wavs and all(r.startswith("audio/method_toy--smoke-toy/") for r in wavs)
    assert all((html / r).is_file() for r in wavs)
    method = (html / "method.html").read_text()
    assert 'src="_static/../mathjax/tex-mml-chtml.js' in method and (html / "mathjax" / "tex-mml-chtml.js").is_file()
    assert not page.remote_scripts


SLOW_NOTEBOOK = """---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# Slow

```{code-cell} ipython3
:tags: [parameters]
wait = 30
```

```{code-cell} ipython3
import time
time.sleep(wait)
```
"""


def test_a_cell_past_its_time_limit_is_a_clear_error(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks" / "slow.md").write_text(SLOW_NOTEBOOK)
    with pytest.raises(SufficeError, match=r"CellTimeoutError, cell limit 1 s"):
        run_chapter("slow", None, root=tmp_path, timeout=1, quiet=True)
    assert not (tmp_path / "book" / "_generated" / "slow--defaults.stamp.json").exists()


def test_provenance_lists_parameters_with_their_values(monkeypatch):
    from suffice.book import provenance

    monkeypatch.delenv("SUFFICE_NOTEBOOK", raising=False)
    monkeypatch.setenv("SUFFICE_PARAMS_FILE", str(ROOT / "params" / "smoke-toy.yaml"))
    monkeypatch.setenv("SUFFICE_ROOT", str(ROOT))
    table = provenance({"seed": 7, "n_seeds": 2, "unrelated": 1}, notebook=ROOT / "notebooks" / "method_toy.md")
    values = table["value"]
    declared = notebook_parameters(ROOT / "notebooks" / "method_toy.md")
    assert [i for i in table.index if i.startswith("parameter: ")] == [f"parameter: {k}" for k in declared]
    assert values["parameter: seed"] == "7" and values["parameter: rex_iters"] == repr(declared["rex_iters"])
    assert values["parameter file"] == "params/smoke-toy.yaml" and values["suffice"] == suffice.__version__
    assert "parameter: unrelated" not in table.index


def test_a_chapter_shows_a_warning_without_the_build_machines_path(monkeypatch):
    import warnings

    from suffice.book import provenance
    from suffice.book.htmlcheck import MACHINE_PATH

    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # restored after the test
    monkeypatch.setenv("SUFFICE_ROOT", str(ROOT))
    provenance({}, notebook=ROOT / "notebooks" / "method_toy.md")
    shown = warnings.formatwarning("model 'm': its outputs vary", UserWarning, str(ROOT / "lib" / "x.py"), 243)
    assert shown == "UserWarning: model 'm': its outputs vary\n" and not MACHINE_PATH.search(shown)


def test_the_task_chapter_declares_every_study_parameter():
    """The transferability chapter passes every study and analysis parameter on to the study: its
    parameters cell must declare each of them, with the declaration's default (one list:
    suffice.study.ALL_DEFAULTS)."""
    from suffice.book.params import declared_parameters, parameters_cell, read_notebook
    from suffice.study import ALL_DEFAULTS
    md = Path(__file__).resolve().parents[1] / "notebooks" / "transferability.md"
    declared = declared_parameters(parameters_cell(read_notebook(md), str(md)), str(md))
    assert sorted(set(ALL_DEFAULTS) - set(declared)) == []
    assert {k: (declared[k], v) for k, v in ALL_DEFAULTS.items() if declared[k] != v} == {}


def test_the_injected_parameters_cell_folds_like_the_parameters_cell(tmp_path):
    """A page whose parameters cell is folded (the opening page) does not show papermill's injected copy
    unfolded; a chapter whose parameters are shown keeps its injected cell shown."""
    from suffice.book.run import _static_only
    for shown, expect in ((["parameters", "hide-input"], ["injected-parameters", "hide-input"]),
                          (["parameters"], ["injected-parameters"])):
        nb = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell("x = 1", metadata={"tags": shown}),
            nbformat.v4.new_code_cell("x = 2", metadata={"tags": ["injected-parameters"]}),
            nbformat.v4.new_code_cell("print(x)", metadata={"tags": []})])
        path = tmp_path / "page.ipynb"
        nbformat.write(nb, path)
        _static_only(path)
        cells = nbformat.read(path, as_version=4).cells
        assert cells[1].metadata["tags"] == expect and cells[2].metadata["tags"] == []
