"""The listening table: clips chosen by the stated rule, every producer shown, files the model heard.

test_transfer_study's tiny deepfake study (six clips, two classes, four analytic band-ratio
detectors; about 5 s) gives both empty and non-empty sufficient sets; the table's players,
level-matched copies and acceptor answers are checked against the study's own tables and explanations.
"""
from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from suffice.errors import OptionError, SufficeError
from suffice.plotting.listening import PICK_RULE, listening_table, pick_listening_clips
from suffice.renderings import pcm_round_trip
from suffice.transfer import TableError
from test_transfer_study import SR
from test_transfer_study import study as transfer_study  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def study(transfer_study):
    """The StudyResult of test_transfer_study's tiny deepfake study (six clips, four detectors)."""
    return transfer_study[0]


def _shows(ex: pd.DataFrame) -> dict[str, set[str]]:
    nonempty = ex[ex["found"] & (ex["set_size"] > 0)]
    return {c: set(g["model"]) for c, g in nonempty.groupby("clip_id")}


def test_choice_covers_every_class_and_every_producer_and_is_deterministic(study):
    ex, pred = study.explanations, study.predictions
    assert ex["set_size"].eq(0).any() and ex["set_size"].gt(0).any()  # the fixture has both kinds of set
    picked = pick_listening_clips(ex, pred, seed=0)
    label = ex.drop_duplicates("clip_id").set_index("clip_id")["true_label"]
    assert set(label[picked]) == {"bonafide", "spoof"} and len(picked) == len(set(picked))
    shows = _shows(ex)
    producers = set().union(*shows.values())
    assert producers and producers <= set().union(*(shows.get(c, set()) for c in picked))
    # the class's clip that shows the most producers is chosen first
    first_bonafide = next(c for c in picked if label[c] == "bonafide")
    assert len(shows.get(first_bonafide, ())) == max(len(shows.get(c, ())) for c in label.index
                                                     if label[c] == "bonafide")
    assert pick_listening_clips(ex, pred, seed=0) == picked
    assert pick_listening_clips(ex.sample(frac=1, random_state=3), pred, seed=0) == picked  # not row order
    two = pick_listening_clips(ex, pred, per_class=2, seed=0)
    assert len(two) == 4 and set(picked) <= set(two)
    # ties are broken by the seed: some seed picks another set of clips
    assert len({tuple(pick_listening_clips(ex, pred, seed=s)) for s in range(20)}) > 1
    assert "seed" in PICK_RULE and PICK_RULE in pick_listening_clips.__doc__


def test_a_producer_shown_only_outside_the_class_picks_adds_its_clip(study):
    ex = study.explanations.copy()
    lonely = (ex["model"] == "d-a") & (ex["clip_id"] == "spoof2")
    ex.loc[lonely, "set_size"] = 5  # d-a shows only spoof2; a spoof clip with more producers is preferred
    ex.loc[(ex["clip_id"] == "spoof1") & ex["model"].isin(["d-b", "d-c"]), "set_size"] = 3
    picked = pick_listening_clips(ex, study.predictions, seed=0)
    assert "spoof1" in picked and picked[-1] == "spoof2"


def test_bad_inputs_are_one_clear_error(study):
    ex, pred = study.explanations, study.predictions
    with pytest.raises(OptionError, match="per_class"):
        pick_listening_clips(ex, pred, per_class=0)
    with pytest.raises(TableError, match="set_size"):
        pick_listening_clips(ex.drop(columns="set_size"), pred)
    with pytest.raises(SufficeError, match="no explanations"):
        pick_listening_clips(ex.iloc[:0], pred)
    extra = pd.concat([pred, pd.DataFrame([{"clip_id": "x", "model": "d-a", "true_label": "other"}])])
    with pytest.warns(UserWarning, match="class.*other"):
        pick_listening_clips(ex, extra)
    with pytest.raises(TableError, match="target_pred_sufficient"):
        listening_table(study, study.table.drop(columns="target_pred_sufficient"), ["spoof0"], name="t")
    with pytest.raises(SufficeError, match="no explanation of clip 'nope'"):
        listening_table(study, study.table, ["nope"], name="t", audio_dir="/tmp")


def _blocks(text: str) -> list[str]:
    return text.split("<div class='suffice-listening'")[1:]


def test_table_plays_what_each_producer_heard_and_says_who_accepts(study, tmp_path):
    picked = pick_listening_clips(study.explanations, study.predictions, seed=0)
    out = listening_table(study, study.table, picked, name="deepfake", audio_dir=tmp_path).data
    blocks = _blocks(out)
    assert len(blocks) == len(picked)
    producers = sorted(study.explanations["model"].unique())
    for clip, block in zip(picked, blocks):
        assert f"Clip {clip}</b>" in block
        rows = block.split("<tr")[2:]  # after the header row
        assert [re.match(r"[^>]*><td><b>([^<]+)</b>", r).group(1) for r in rows] == producers
        original = sf.read(tmp_path / f"deepfake-{clip}-original.wav", dtype="float32")[0]
        for m, row in zip(producers, rows):
            e = study.explanation(m, clip)
            assert f"says <b>{e.target}</b>" in row
            heard = tmp_path / f"deepfake-{clip}-{m}-heard.wav"
            if e.size == 0:
                assert "silence (empty set)" in row and "<audio" not in row and not heard.exists()
            else:
                # the file is exactly the 16-bit rendering the robustness check gave the model
                y, sr = sf.read(heard, dtype="float32")
                assert sr == SR and sf.info(heard).subtype == "PCM_16"
                np.testing.assert_array_equal(y, pcm_round_trip(e.sufficient_signal, SR, "PCM_16"))
                loud = sf.read(tmp_path / f"deepfake-{clip}-{m}-level-matched.wav", dtype="float32")[0]
                assert abs(np.sqrt(np.mean(loud ** 2)) / np.sqrt(np.mean(original ** 2)) - 1) < 0.01
                assert "level-matched copy for listening" in row and "not what the model heard" in row
                assert row.count("<audio") == 2
            answers = study.table[(study.table["source"] == m) & (study.table["clip_id"] == clip)
                                  & (study.table["target"] != m)]
            assert len(answers) == len(producers) - 1
            for a in answers.itertuples():
                verdict = "accepts" if a.target_pred_sufficient == a.source_pred else "rejects"
                assert f"<b>{a.target}</b>: {a.target_pred_sufficient} &mdash; {verdict}" in row
    assert "max-width:750px" in out and "table-layout:fixed" in out


def test_without_a_folder_the_audio_is_embedded_and_a_failed_producer_is_said(study, monkeypatch):
    monkeypatch.delenv("SUFFICE_AUDIO_DIR", raising=False)
    ex = study.explanations
    failed = dataclasses.replace(study, explanations=ex[~((ex["model"] == "d-b") & (ex["clip_id"] == "bonafide0"))])
    out = listening_table(failed, study.table, ["bonafide0"], name="deepfake").data
    assert "src='data:audio/wav;base64," in out
    assert "<td><b>d-b</b></td><td colspan='2'>no explanation (the model failed on this clip" in out


def test_the_example_signal_is_the_most_accepted_and_plays_with_the_answers(study, tmp_path):
    from suffice.plotting.listening import EXAMPLE_RULE, listening_example, pick_transferring_example

    table = study.table
    producer, clip = pick_transferring_example(table)
    rows = table[(table["source"] != table["target"]) & table["found"] & (table["set_size"] > 0)]
    accepted = (rows["target_pred_sufficient"] == rows["source_pred"]).groupby(
        [rows["source"], rows["clip_id"].astype(str)]).sum()
    assert accepted[(producer, clip)] == accepted.max()
    assert pick_transferring_example(table.sample(frac=1, random_state=1)) == (producer, clip)  # not row order
    assert "smallest set" in EXAMPLE_RULE
    page = listening_example(study, table, producer, clip, name="ex", audio_dir=tmp_path).data
    assert page.count("<audio") == 3 and "level-matched" in page  # original, heard, level-matched copy
    others = sorted(set(table["target"]) - {producer})
    assert all(m in page for m in others) and page.count("accepts &#10003;") == accepted[(producer, clip)]
    with pytest.raises(SufficeError, match="no non-empty"):
        pick_transferring_example(table.assign(set_size=0))
