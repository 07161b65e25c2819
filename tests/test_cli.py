"""The command line, as a user runs it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from suffice.cli import main
from suffice.toys import tone_clip


def _wav(tmp_path, rate=16000):
    p = tmp_path / "tones.wav"
    sf.write(p, tone_clip([440, 1000, 2500, 300], rate, [0.05, 0.05, 0.05, 0.3]), rate)
    return p


def test_explain_prints_summary_and_writes_signal(tmp_path, capsys):
    p = _wav(tmp_path)
    out = tmp_path / "suff.wav"
    assert main(["explain", str(p), "--model", "toy/tones:440,1000,2500", "--out", str(out),
                 "--contrastive", "--complete"]) == 0
    text = capsys.readouterr().out
    assert "set size        3 of 8001 bins" in text and "model calls" in text
    y, sr = sf.read(out)
    assert sr == 16000 and len(y) == 16000
    spec = np.abs(np.fft.rfft(y))
    assert set(np.argsort(spec)[-3:]) == {440, 1000, 2500}


def test_explain_json_and_options(tmp_path, capsys):
    p = _wav(tmp_path)
    assert main(["explain", str(p), "--model", "toy/tones:440", "--json", "--seed", "3",
                 "-o", "max_calls=50", "--save", str(tmp_path / "e.json")]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["found"] and s["size"] == 1 and s["seed"] == 3
    assert (tmp_path / "e.json").exists()


def test_errors_are_clear_and_exit_2(tmp_path, capsys):
    assert main(["explain", str(tmp_path / "missing.wav"), "--model", "toy/tones:440"]) == 2
    assert "no such audio file" in capsys.readouterr().err
    p = _wav(tmp_path)
    assert main(["explain", str(p), "--model", "toy/tones:440", "-o", "bogus=1"]) == 2
    assert "unknown option" in capsys.readouterr().err
    assert main(["explain", str(p), "--model", "toy/wat"]) == 2
    assert "unknown toy model" in capsys.readouterr().err


def test_console_script_runs(tmp_path):
    p = _wav(tmp_path)
    r = subprocess.run([sys.executable, "-m", "suffice", "explain", str(p), "--model", "toy/band:300-3000",
                        "--json"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["target"] in ("band", "other")


# ---- own checkpoints: outputs checked first, what is surprising is said ----------------------------
def _checkpoint(folder, labels=("calm-ish", "tense-ish"), family="ast"):
    """A tiny transformers audio classifier saved as safetensors (labels of a task of our own)."""
    import torch

    from suffice.models import tiny
    torch.manual_seed(0)
    model, fe = tiny.build(family, list(labels), 1.0)
    model.save_pretrained(folder, safe_serialization=True)
    fe.save_pretrained(folder)
    return folder


def test_explain_a_local_checkpoint_with_its_own_labels(tmp_path, capsys):
    """A folder with labels that fit no project task is explained with its labels as they are."""
    folder = _checkpoint(tmp_path / "my-model")
    p = _wav(tmp_path)
    assert main(["explain", str(p), "--model", str(folder), "--json", "-o", "max_calls=40"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["model"] == "custom/my-model" and s["target"] in ("calm-ish", "tense-ish")
    # a label map renames them (inline), and a task of one's own names them
    assert main(["explain", str(p), "--model", str(folder), "--labels", "calm-ish=calm,tense-ish=tense",
                 "--task", "mood", "--json", "-o", "max_calls=40"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["model"] == "mood/my-model" and s["target"] in ("calm", "tense")


def test_explain_a_checkpoint_mapped_onto_a_task_from_a_file(tmp_path, capsys):
    folder = _checkpoint(tmp_path / "df", labels=("LABEL_0", "LABEL_1"))
    (tmp_path / "map.yaml").write_text("LABEL_0: spoof\nLABEL_1: bonafide\n")
    p = _wav(tmp_path)
    assert main(["explain", str(p), "--model", str(folder), "--task", "deepfake", "--labels",
                 str(tmp_path / "map.yaml"), "--json", "-o", "max_calls=40"]) == 0
    assert json.loads(capsys.readouterr().out)["target"] in ("bonafide", "spoof")
    # without the map, generic labels onto a project task are refused in one line
    assert main(["explain", str(p), "--model", str(folder), "--task", "deepfake"]) == 2
    assert "label_map" in capsys.readouterr().err


def test_missing_folder_and_bad_model_names_are_one_line(tmp_path, capsys):
    p = _wav(tmp_path)
    assert main(["explain", str(p), "--model", str(tmp_path / "nope" / "model")]) == 2
    assert "no such model folder" in capsys.readouterr().err
    assert main(["explain", str(p), "--model", "genre/not-a-model"]) == 2
    assert "unknown zoo model" in capsys.readouterr().err
    assert main(["explain", str(p), "--model", "toy/tones:440", "--labels", "a=b"]) == 2
    assert "for checkpoints" in capsys.readouterr().err


def test_outputs_are_checked_before_the_search(tmp_path, capsys):
    p = _wav(tmp_path)
    for out, why in [(tmp_path / "missing" / "s.wav", "does not exist"), (tmp_path / "s.txt", "cannot write .txt"),
                     (tmp_path, "is a folder")]:
        assert main(["explain", str(p), "--model", "toy/tones:440", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert why in err and err.startswith("suffice: error:") and err.count("\n") == 1
    assert main(["explain", str(p), "--model", "toy/tones:440", "--save", str(tmp_path / "e.txt")]) == 2
    assert "*.json" in capsys.readouterr().err


def test_flac_and_ogg_outputs_get_a_subtype_they_hold(tmp_path, capsys):
    p = _wav(tmp_path)
    for ext, subtype in ((".flac", "PCM_24"), (".ogg", "VORBIS")):
        out = tmp_path / f"s{ext}"
        assert main(["explain", str(p), "--model", "toy/tones:440,1000", "--out", str(out)]) == 0
        assert sf.info(out).subtype == subtype
        y, _ = sf.read(out)
        spec = np.abs(np.fft.rfft(y))
        assert set(np.argsort(spec)[-2:]) == {440, 1000}
    capsys.readouterr()


def test_kept_frequencies_are_printed_as_ranges():
    from suffice.cli.explain import hz_ranges
    keep = np.zeros(20, bool)
    keep[[2, 3, 4, 7, 12, 13]] = True
    assert hz_ranges(keep, 10.0) == "20-40 (3 bins), 70, 120-130 (2 bins)"
    assert hz_ranges(keep, 10.0, max_ranges=1) == "20-40 (3 bins) and 2 more ranges"
    assert hz_ranges(np.zeros(5, bool), 1.0) == "none"


def test_text_output_names_kept_hz_and_a_non_predicted_target(tmp_path, capsys):
    p = _wav(tmp_path)
    assert main(["explain", str(p), "--model", "toy/tones:440,1000"]) == 0
    out = capsys.readouterr().out
    assert "kept (Hz)       440, 1000" in out
    assert main(["explain", str(p), "--model", "toy/tones:440,1000", "--target", "other"]) == 0
    out = capsys.readouterr().out
    assert "is not the model's prediction ('tones')" in out


def test_an_empty_sufficient_set_is_said(tmp_path, capsys):
    """A model that says 'quiet' for silence: the empty set suffices for 'quiet', and the CLI says why."""
    from suffice.cli.explain import notes
    from suffice.search import explain

    class Quiet:
        name, labels, sample_rate = "quiet", ("quiet", "loud"), 16000

        def predict_proba(self, x):
            e = (np.asarray(x, np.float64) ** 2).mean(axis=1)
            loud = (e > 1.0).astype(float)      # nothing here is that loud
            return np.stack([0.9 - 0.8 * loud, 0.1 + 0.8 * loud], axis=1)

    x = tone_clip([440], 16000, 0.1)
    e = explain(Quiet(), x, seed=0)
    assert e.found and e.size == 0
    said = notes(Quiet(), e, e.waveform, target_given=False)
    assert len(said) == 1 and "says 'quiet' for silence" in said[0]


def test_clip_length_limit_is_a_parameter(tmp_path, capsys):
    p = tmp_path / "long.wav"
    sf.write(p, tone_clip([440], 16000 * 3, 0.1), 16000)
    assert main(["explain", str(p), "--model", "toy/tones:440", "--max-seconds", "2"]) == 2
    assert "too long" in capsys.readouterr().err
    assert main(["explain", str(p), "--model", "toy/tones:440", "--max-seconds", "4", "--json"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("module", ["suffice.book", pytest.param("suffice.models", marks=pytest.mark.slow),
                                    "suffice.corpora", "suffice.bench"])
def test_module_entry_points_are_aliases(module):
    """``python -m suffice.X`` is ``suffice X``: same usage line, exit 2 and one format for a user error."""
    r = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and f"usage: suffice {module.split('.')[1]}" in r.stdout
    r = subprocess.run([sys.executable, "-m", module, "--no-such-flag"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "error:" in r.stderr


def test_models_list_says_what_is_built(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    assert main(["models", "list", "--profile", "smoke", "--task", "genre"]) == 0
    out = capsys.readouterr()
    rows = {line.split()[0]: " ".join(line.split()[1:]) for line in out.out.splitlines()}
    assert rows["genre/ast-tiny"] == "not built" and "make models PROFILE=smoke" in out.err


def test_models_list_names_every_model_explain_takes(tmp_path, monkeypatch, capsys):
    """The optional zero-shot models (deepfake/emotion yamnet-zeroshot: in no profile's zoo, nothing to
    build) are listed too, as zero-shot, and each listed name resolves."""
    from suffice.models import SPECS
    from suffice.models.zoo import loadable_names
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    for profile in ("default", "smoke"):
        assert main(["models", "list", "--profile", profile]) == 0
        rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
        assert {"deepfake/yamnet-zeroshot", "emotion/yamnet-zeroshot", "genre/yamnet-zeroshot"} <= set(rows)
        assert set(rows) == set(loadable_names(None, profile))
        for name, line in rows.items():
            assert ("zero-shot" in line) == (SPECS[name].kind == "zeroshot"), line
        assert "optional" in rows["emotion/yamnet-zeroshot"] and "optional" not in rows["genre/yamnet-zeroshot"]
    # a trained model outside the smoke zoo is listed once it is built for smoke (models build --only)
    card = tmp_path / "models" / "smoke" / "genre" / "hubert-tiny" / "card.json"
    card.parent.mkdir(parents=True)
    card.write_text("{}")
    assert main(["models", "list", "--profile", "smoke", "--task", "genre"]) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("genre/hubert-tiny")]
    assert line and "built" in line[0] and "optional" in line[0]


# ---- predict: conversions said, options checked before the model loads ---------------------------
def _stereo_44k(tmp_path):
    """A stereo 44.1 kHz file of the test tones (right channel quieter)."""
    x = tone_clip([440, 1000, 2500, 300], 44100, [0.05, 0.05, 0.05, 0.3])
    p = tmp_path / "stereo.wav"
    sf.write(p, np.stack([x, 0.5 * x], axis=1), 44100)
    return p


def test_explain_says_the_file_was_mixed_and_resampled(tmp_path, capsys):
    p = _stereo_44k(tmp_path)
    said = "the file is 44100 Hz stereo; it was mixed to mono and resampled to 16000 Hz for the model"
    assert main(["explain", str(p), "--model", "toy/tones:440,1000"]) == 0
    assert f"note            {said}" in capsys.readouterr().out
    assert main(["explain", str(p), "--model", "toy/tones:440,1000", "--json"]) == 0
    assert said in json.loads(capsys.readouterr().out)["notes"]
    # a mono file at the model's rate: nothing to say
    assert main(["explain", str(_wav(tmp_path)), "--model", "toy/tones:440,1000", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == []
    from suffice.cli.clip import conversion_note
    mono = tmp_path / "mono44.wav"
    sf.write(mono, tone_clip([440], 44100, 0.1), 44100)
    assert conversion_note(str(mono), 16000) == ("the file is 44100 Hz mono; it was resampled to 16000 Hz "
                                                 "for the model")


def test_predict_prints_the_class_and_sorted_probabilities(tmp_path, capsys):
    p = _stereo_44k(tmp_path)
    assert main(["predict", str(p), "--model", "toy/tones:440,1000", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["model"] == "toy/tones:440,1000" and s["class"] == "tones"
    probs = list(s["probabilities"].items())
    assert [k for k, _ in probs] == ["tones", "other"] and probs[0][1] >= probs[1][1]
    assert abs(sum(v for _, v in probs) - 1) < 1e-6
    assert "mixed to mono and resampled to 16000 Hz" in s["notes"][0]
    # a model whose tones are not in the clip says "other" first
    assert main(["predict", str(p), "--model", "toy/tones:5000"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["model", "toy/tones:5000"] and out[1].startswith("class           other")
    assert out[2] == "probabilities" and out[3].split()[0] == "other" and out[4].split()[0] == "tones"
    assert out[-1].startswith("note            the file is 44100 Hz stereo")


def test_predict_reads_a_checkpoint_with_a_label_map(tmp_path, capsys):
    folder = _checkpoint(tmp_path / "df", labels=("LABEL_0", "LABEL_1"))
    p = _wav(tmp_path)
    assert main(["predict", str(p), "--model", str(folder), "--task", "deepfake",
                 "--labels", "LABEL_0=spoof,LABEL_1=bonafide", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["model"] == "deepfake/df" and set(s["probabilities"]) == {"bonafide", "spoof"}
    assert s["class"] == next(iter(s["probabilities"])) and s["notes"] == []
    assert main(["predict", str(tmp_path / "missing.wav"), "--model", "toy/tones:440"]) == 2
    assert "no such audio file" in capsys.readouterr().err


def test_a_bad_strategy_or_option_is_refused_before_the_model_loads(tmp_path, monkeypatch, capsys):
    """The model named here cannot load (a zoo model not built under an empty data folder): the error must
    be about the strategy or option, so they were checked first."""
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    p = _wav(tmp_path)
    assert main(["explain", str(p), "--model", "genre/ast-tiny"]) == 2
    assert "not built" in capsys.readouterr().err  # the model really fails when it is reached
    for extra, why in [(["--strategy", "nope"], "unknown strategy 'nope'"),
                       (["-o", "bogus=1"], "unknown option"),
                       (["-o", "max_calls=-3"], "max_calls")]:
        assert main(["explain", str(p), "--model", "genre/ast-tiny", *extra]) == 2
        err = capsys.readouterr().err
        assert why in err and "not built" not in err, err


def test_not_built_message_names_the_profile_that_has_it(tmp_path, monkeypatch, capsys):
    (tmp_path / "models" / "smoke" / "genre" / "ast-tiny").mkdir(parents=True)
    (tmp_path / "models" / "smoke" / "genre" / "ast-tiny" / "card.json").write_text("{}")
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    p = _wav(tmp_path)
    assert main(["explain", str(p), "--model", "genre/ast-tiny"]) == 2
    err = capsys.readouterr().err
    assert "PROFILE=default" in err and "--profile smoke" in err




@pytest.mark.slow
def test_study_from_a_parameter_file_with_a_local_checkpoint(tmp_path, capsys):
    """The whole route of a user's own checkpoint and data: a folder, a label-map file, a manifest and an
    output folder, all relative to the parameter file's folder; the CLI ends with where things went."""
    import yaml
    home = tmp_path / "project"
    (home / "clips").mkdir(parents=True)
    _checkpoint(home / "ckpt-a", labels=("LABEL_0", "LABEL_1"))
    _checkpoint(home / "ckpt-b", labels=("LABEL_0", "LABEL_1"), family="wav2vec2")
    (home / "map.yaml").write_text("LABEL_0: bonafide\nLABEL_1: spoof\n")
    rows = ["clip_id,path,label,split"]
    for i, label in enumerate(["bonafide", "spoof"]):
        p = home / "clips" / f"c{i}.wav"
        sf.write(p, tone_clip([300 + 200 * i, 1200], 16000, [0.2, 0.1]), 16000)
        rows.append(f"c{i},{p},{label},test")
    (home / "manifest.csv").write_text("\n".join(rows) + "\n")
    params = {"task": "deepfake", "manifest": "manifest.csv", "clips_per_class": 1, "workers": 1,
              "options": {"max_calls": 30}, "output_dir": "out", "cache_dir": "cache", "null_random_n": 0,
              "models": [{"model": "ckpt-a", "labels": "map.yaml"}, {"model": "./ckpt-b", "labels": "map.yaml"}]}
    (home / "study.yaml").write_text(yaml.safe_dump(params))
    assert main(["study", "--params", str(home / "study.yaml")]) == 0
    out = capsys.readouterr().out
    assert f"tables          {home / 'out'}" in out and f"cache           {home / 'cache'}" in out
    table = __import__("pandas").read_csv(home / "out" / "table.csv")
    assert set(table["source"]) == {"deepfake/ckpt-a", "deepfake/ckpt-b"}


def test_explain_says_when_the_budget_cut_the_contrastive_set(tmp_path, capsys):
    """The contrastive line tells a finished set, a set the budget cut short and a set the budget left
    unfound apart (never "none found" for a budget that ran out), as the library's explanation says."""
    import suffice
    from suffice.models import resolve_model
    p = tmp_path / "band.wav"
    sf.write(p, tone_clip([440, 1000, 2500, 300, 1500, 700], 16000, [0.05, 0.05, 0.05, 0.3, 0.1, 0.08],
                          noise=0.01, seed=0), 16000, subtype="FLOAT")
    spec = "toy/band:300-3000"       # a loud in-band tone is sufficient; N needs more in-band bins
    model = resolve_model(spec)
    full = suffice.explain(model, str(p), seed=0, contrastive=True, max_calls=10 ** 5)
    picks = {"finished": 10 ** 5}
    for mc in range(full.search_calls, full.n_model_calls):
        e = suffice.explain(model, str(p), seed=0, contrastive=True, max_calls=mc)
        if e.necessary_budget_cut:
            picks.setdefault("cut set" if e.necessary_keep is not None else "cut none", mc)
    assert set(picks) == {"finished", "cut set", "cut none"}
    want = {"finished": f"contrastive     {int(full.necessary_keep.sum())} bins",
            "cut set": "(budget-cut: sufficient and necessary, not pruned to the end)",
            "cut none": "contrastive     none: the budget ran out before one was found"}
    for kind, mc in picks.items():
        assert main(["explain", str(p), "--model", spec, "--contrastive", "-o", f"max_calls={mc}"]) == 0
        line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("contrastive")][0]
        assert want[kind] in line and ("budget" in line) == (kind != "finished"), (kind, line)


def test_explain_never_overwrites_without_force_and_never_the_input(tmp_path, capsys):
    clip = tmp_path / "clip.wav"
    t = np.arange(8000) / 16000
    sf.write(clip, 0.3 * np.sin(2 * np.pi * 440 * t), 16000)
    original = clip.read_bytes()
    taken = tmp_path / "taken.wav"
    taken.write_bytes(b"my recording")
    saved = tmp_path / "e.json"
    saved.write_text("{}")
    base = ["explain", str(clip), "--model", "toy/tones:440"]
    for extra in (["--out", str(taken)], ["--save", str(saved)]):
        assert main(base + extra) == 2
        assert "exists; pass --force" in capsys.readouterr().err
    for extra in (["--out", str(clip)], ["--out", str(clip), "--force"]):
        assert main(base + extra) == 2
        assert "is the input file" in capsys.readouterr().err
    hard = tmp_path / "hard.wav"
    os.link(clip, hard)
    assert main(base + ["--out", str(hard), "--force"]) == 2  # the same file under another name
    assert clip.read_bytes() == original and taken.read_bytes() == b"my recording" and saved.read_text() == "{}"
    assert main(base + ["--out", str(taken), "--save", str(saved), "--force"]) == 0
    assert sf.info(str(taken)).frames == 8000 and saved.read_text().startswith("{\"")


def test_cli_study_exits_2_on_a_bad_parameter(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_text("task: deepfake\nseed: -1\n")
    assert main(["study", "--params", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("suffice: error:") and "\n" not in err
