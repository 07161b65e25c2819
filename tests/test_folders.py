"""What the project writes (suffice.folders): nothing a user owns is ever replaced.

A study's ``output_dir`` (and every other folder writer: chapter outputs, the benchmark, corpora, models)
replaces only a missing or empty folder or one it wrote itself; concurrent saves are serialised and
checked; a failed write names the folder and leaves what was there.  Small analytic models (``_hostile_models``).
"""
from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf

from suffice import OptionError
from suffice.errors import SufficeError
from suffice.folders import MARK, claim, state
from suffice.study import clips_from_arrays, run, run_params
from suffice.study.result import check_stamp

import _hostile_models as hm


def _clips(n=2):
    return clips_from_arrays(hm.clip_items(n), 16000)[0]


def _user_files(folder: Path) -> dict[str, bytes]:
    """A folder of a user's own files (one nested), returned as {relative path: bytes}."""
    (folder / "notes").mkdir(parents=True)
    files = {"thesis.tex": b"\\section{Results}", "notes/todo.txt": b"buy milk", ".ssh": b"secret"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def _intact(folder: Path, files: dict[str, bytes]) -> bool:
    return all((folder / n).read_bytes() == b for n, b in files.items())


def _manifest(folder: Path, n: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for cid, x, label in hm.clip_items(n):
        sf.write(folder / f"{cid}.wav", x, 16000, subtype="FLOAT")
        rows.append({"clip_id": cid, "path": str(folder / f"{cid}.wav"), "label": label, "split": "test"})
    pd.DataFrame(rows).to_csv(folder / "manifest.csv", index=False)
    return folder / "manifest.csv"


# ---- a study's output_dir ------------------------------------------------------------------------
def test_a_folder_of_user_files_survives_and_no_model_is_called(tmp_path):
    user = tmp_path / "mine"
    files = _user_files(user)
    models = hm.models()[:1]
    with pytest.raises(OptionError, match="not empty and not a study folder"):
        run("deepfake", models, _clips(), cache_dir=tmp_path / "c", output_dir=user, progress=False)
    assert models[0].calls == 0 and _intact(user, files)


def test_home_and_project_folders_are_refused(tmp_path, monkeypatch):
    home = tmp_path / "home"
    files = _user_files(home)
    monkeypatch.setenv("HOME", str(home))
    for out in ("~", str(Path(__file__).resolve().parents[1])):  # a home folder; the whole project
        with pytest.raises(OptionError, match="never replaces other files"):
            run("deepfake", hm.models()[:1], _clips(1), cache_dir=tmp_path / "c", output_dir=out, progress=False)
    assert _intact(home, files)


def test_cli_study_out_dot_is_refused_and_the_project_survives(tmp_path, monkeypatch, capsys):
    from suffice.cli import main
    project = tmp_path / "project"
    files = _user_files(project)
    params = project / "p.yaml"
    params.write_text(f"task: deepfake\nmodels: [x]\ncache_dir: {tmp_path / 'c'}\n")
    monkeypatch.chdir(project)
    assert main(["study", "--params", "p.yaml", "--out", "."]) == 2
    err = capsys.readouterr().err
    assert "suffice: error: output_dir" in err and "parameter file" in err
    assert _intact(project, files) and params.is_file()


@pytest.mark.parametrize("inside", ["cache", "manifest", "clips", "params"])
def test_the_output_never_holds_the_studys_inputs(tmp_path, inside):
    """output_dir that is, or contains, the cache / manifest / clips / parameter file: refused."""
    data = tmp_path / "data"
    manifest = _manifest(data / "clips")
    params = {"task": "deepfake", "models": ["x"], "manifest": str(manifest), "cache_dir": str(tmp_path / "c")}
    where = {"cache": (tmp_path / "c", "cache folder"), "manifest": (data, "manifest"),
             "clips": (data / "clips", "manifest"), "params": (tmp_path / "p", "parameter file")}
    out, what = where[inside]
    source: object = params
    if inside == "params":
        out.mkdir()
        source = out / "p.yaml"
        source.write_text("\n".join(f"{k}: {v}" for k, v in params.items() if k != "models") + "\nmodels: [x]\n")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(OptionError, match=what):
        run_params(source, output_dir=str(out), progress=False)
    assert {p: p.read_bytes() for p in before} == before


def test_clips_in_the_output_are_refused_by_run_too(tmp_path):
    from suffice.study import load_clips
    manifest = _manifest(tmp_path / "clips")
    clips, _ = load_clips(pd.read_csv(manifest), 16000)
    with pytest.raises(OptionError, match="contains the clip"):
        run("deepfake", hm.models()[:1], clips, cache_dir=tmp_path / "c", output_dir=tmp_path / "clips",
            progress=False)


def test_previous_study_folders_are_replaced_but_not_when_changed(tmp_path):
    out = tmp_path / "out"
    first = run("deepfake", hm.models()[:1], _clips(), cache_dir=tmp_path / "c", output_dir=out, progress=False)
    run("deepfake", hm.models()[:2], _clips(), cache_dir=tmp_path / "c", output_dir=out, progress=False)
    assert check_stamp(out) and pd.read_csv(out / "table.csv")["source"].nunique() == 2
    (out / "my-notes.txt").write_text("mine")
    with pytest.raises(OptionError, match="files that are not the study's: my-notes.txt"):
        first.save(out)
    (out / "my-notes.txt").unlink()
    (out / "table.csv").write_text("edited by hand")
    with pytest.raises(OptionError, match="changed after saving"):
        first.save(out)
    assert (out / "table.csv").read_text() == "edited by hand"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_stamp(first.save(empty))


def test_a_symlinked_output_is_followed_never_replaced(tmp_path):
    target, link = tmp_path / "real", tmp_path / "link"
    target.mkdir()
    link.symlink_to(target)
    run("deepfake", hm.models()[:1], _clips(), cache_dir=tmp_path / "c", output_dir=link, progress=False)
    assert link.is_symlink() and check_stamp(target) and (link / "stamp.json").is_file()
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OptionError, match="broken symbolic link"):
        run("deepfake", hm.models()[:1], _clips(), cache_dir=tmp_path / "c", output_dir=dangling, progress=False)


def test_the_output_folder_has_the_mode_of_its_files_under_any_umask(tmp_path):
    old = os.umask(0o002)
    try:
        out = run("deepfake", hm.models()[:1], _clips(1), cache_dir=tmp_path / "c", progress=False).save(tmp_path / "o")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o775
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o664}


# ---- two studies saving to one folder ------------------------------------------------------------
def test_concurrent_saves_never_fail_raw_and_a_changed_folder_is_kept(tmp_path):
    res = run("deepfake", hm.models()[:1], _clips(), cache_dir=tmp_path / "c", progress=False)
    out = tmp_path / "out"
    errors: list[BaseException] = []

    def saver():
        for _ in range(30):
            try:
                res.save(out)
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)
    threads = [threading.Thread(target=saver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and check_stamp(out)
    # a run that claimed the folder when it was missing finds it saved by another: that folder is kept
    other = tmp_path / "race"
    seen = (state(claim(other, "study", what="output_dir")),)
    res.save(other)
    before = (other / "stamp.json").read_bytes()
    with pytest.raises(SufficeError, match="saved by another run"):
        res.save(other, expect=seen)
    assert (other / "stamp.json").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".tmp-", ".old-"))]


def test_a_study_that_loses_the_race_says_its_results_are_cached(tmp_path, monkeypatch):
    import suffice.study.result as result_mod
    out, cache = tmp_path / "out", tmp_path / "c"
    real_save = result_mod.StudyResult.save

    def first_another_run_saves(self, folder, *, expect=None):
        real_save(self, folder)  # the other run, which finished first
        return real_save(self, folder, expect=expect)
    monkeypatch.setattr(result_mod.StudyResult, "save", first_another_run_saves)
    with pytest.raises(SufficeError, match=f"saved by another run.*in the cache {cache}.*without recomputing anything"):
        run("deepfake", hm.models()[:1], _clips(), cache_dir=cache, output_dir=out, progress=False)


# ---- a failed write names the folder and leaves what was there -----------------------------------
def test_a_full_disk_names_the_folder_and_keeps_the_previous_study(tmp_path, monkeypatch):
    """A disk that fills part-way through a save: the error names the folder, and what was there stays
    (no folder, or the previous complete study), with no temporaries left either way."""
    first = run("deepfake", hm.models()[:2], _clips(), cache_dir=tmp_path / "c", progress=False)
    second = run("deepfake", hm.models(), _clips(), cache_dir=tmp_path / "c", progress=False)
    out = tmp_path / "out"
    orig = pd.DataFrame.to_csv

    def full_disk(self, path, *a, **k):
        if str(path).endswith("explanations.csv"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return orig(self, path, *a, **k)

    def leftovers():
        return [p for p in tmp_path.iterdir() if p.name.startswith((".tmp-", ".old-"))]
    def save_on_a_full_disk(res):
        monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
        with pytest.raises(SufficeError, match=f"could not write the study's tables to {out}: No space"):
            res.save(out)
        monkeypatch.undo()
        assert not leftovers()
    save_on_a_full_disk(first)
    assert not out.exists()
    first.save(out)
    stamp = check_stamp(out)
    assert set(stamp["files"]) == {"table.csv", "predictions.csv", "explanations.csv", "failures.csv", "params.yaml"}
    save_on_a_full_disk(second)
    assert check_stamp(out) == stamp                          # the previous study, whole
    assert set(pd.read_csv(out / "table.csv").source) == {"low", "mid"}
    second.save(out)
    assert set(pd.read_csv(out / "table.csv").source) == {"low", "mid", "wide"}
    (out / "table.csv").write_text("edited\n")
    with pytest.raises(SufficeError, match="does not match the stamp"):
        check_stamp(out)


def test_a_killed_save_leaves_nothing_that_lasts(tmp_path):
    res = run("deepfake", hm.models()[:1], _clips(1), cache_dir=tmp_path / "c", progress=False)
    stale = tmp_path / ".tmp-out-abandoned"
    stale.mkdir()
    (stale / "table.csv").write_text("half")
    os.utime(stale, (time.time() - 7200,) * 2)
    res.save(tmp_path / "out")
    assert not stale.exists() and check_stamp(tmp_path / "out")


# ---- the other folder writers --------------------------------------------------------------------
def test_every_folder_writer_refuses_a_folder_of_user_files(tmp_path, capsys):
    from suffice.bench.run import claim_bench_folder
    from suffice.book.run import chapter_folder
    from suffice.cli import main
    from suffice.corpora.builder import corpus_folder
    from suffice.models.build import model_folder
    user = tmp_path / "mine"
    files = _user_files(user)
    assert main(["book", "run-chapter", "method_toy", "--out", str(user)]) == 2
    assert main(["bench", "--quick", "--out", str(user)]) == 2
    assert capsys.readouterr().err.count("never replaces other files") == 2
    for own in (corpus_folder, model_folder, chapter_folder):
        with pytest.raises(OptionError, match="never replaces other files"):
            claim(user, "x", what="folder", own=own)
    assert _intact(user, files)
    # what each writer wrote before is recognised (the legacy folders of earlier versions included)
    bench = tmp_path / "bench"
    bench.mkdir()
    for name in ("results.csv", "summary.md", "notes.txt", "rexxai-worker.log"):
        (bench / name).write_text("x")
    assert claim_bench_folder(bench, "--out") == bench
    chapters = tmp_path / "chapters"
    (chapters / "audio").mkdir(parents=True)
    for name in ("a--b.ipynb", "a--b.stamp.json"):
        (chapters / name).write_text("{}")
    assert chapter_folder(chapters) is None
    (chapters / "lecture.ipynb").write_text("{}")  # a notebook of the user's (no stamp beside it)
    assert "lecture.ipynb" in chapter_folder(chapters)
    corpus = tmp_path / "corpus"
    (corpus / "clips").mkdir(parents=True)
    (corpus / "manifest.csv").write_text("x")
    assert corpus_folder(corpus) is None
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"x")
    (model / "config.json").write_text("{}")
    assert model_folder(model) is None
    marked = tmp_path / "marked"
    marked.mkdir()
    (marked / MARK).write_text('{"kind": "bench"}')
    (marked / "anything.bin").write_bytes(b"x")
    assert claim(marked, "bench", what="--out") == marked


def test_corpus_build_refuses_a_foreign_folder_before_any_work(tmp_path, monkeypatch):
    from suffice.corpora import builder
    corpus = tmp_path / "genre"
    files = _user_files(corpus)
    with pytest.raises(OptionError, match="the corpus folder of genre/smoke"):
        builder._build(None, "genre", "smoke", {}, 0, "h", corpus, 1, None, 0.0, 0.0)
    assert _intact(corpus, files)
