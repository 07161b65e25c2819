"""Real-dataset loaders on tiny fixture trees generated here (GTZAN, RAVDESS, ASVspoof 2019 LA, ITW)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from suffice.corpora import (COLUMNS, from_asvspoof2019_la, from_gtzan, from_in_the_wild, from_ravdess,
                             load_clip, manifest, manifest_from_csv, register_dataset)
from suffice.errors import SufficeError


def _tone(path: Path, sr: int = 22050, seconds: float = 0.5, fmt: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(sr * seconds)) / sr
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr, format=fmt)


def _corrupt(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF\x00\x00not really a wave file")


@pytest.fixture()
def data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path / "data"))
    return tmp_path


def test_gtzan_layout_splits_and_skips(tmp_path):
    root = tmp_path / "GTZAN" / "Data" / "genres_original"
    for genre in ("blues", "jazz"):
        for n in (0, 69, 70, 84, 85, 99):
            _tone(root / genre / f"{genre}.{n:05d}.wav")
    _corrupt(root / "jazz" / "jazz.00054.wav")               # the famous broken GTZAN file
    _tone(root / "jazz" / "blues.00001.wav")                  # wrong genre in the name
    _tone(root / "polka" / "polka.00000.wav")                 # not a GTZAN genre
    df = from_gtzan(tmp_path / "GTZAN")
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == 12
    assert df.groupby("split").size().to_dict() == {"train": 4, "val": 4, "test": 4}
    assert set(df.label) == {"blues", "jazz"}
    assert (df.sample_rate == 22050).all() and np.allclose(df.duration, 0.5)
    reasons = dict(df.attrs["skipped"])
    assert len(reasons) == 3
    assert "unreadable" in reasons[str(root / "jazz" / "jazz.00054.wav")]
    assert "not a GTZAN genre" in reasons[str(root / "polka" / "polka.00000.wav")]


def test_ravdess_codes_and_actor_split(tmp_path):
    root = tmp_path / "RAVDESS"
    for actor in (1, 2, 17, 24):
        for emo in ("01", "05", "08"):
            _tone(root / f"Actor_{actor:02d}" / f"03-01-{emo}-02-01-01-{actor:02d}.wav", sr=48000)
    _tone(root / "Actor_01" / "01-01-03-01-01-01-01.wav", sr=48000)   # audio-visual modality
    _tone(root / "Actor_01" / "03-01-09-01-01-01-01.wav", sr=48000)   # unknown emotion code
    _tone(root / "Actor_01" / "notes.wav")                            # bad name
    df = from_ravdess(root)
    assert len(df) == 12
    assert set(df.label) == {"neutral", "angry", "surprised"}
    split = df.set_index("speaker")["split"].to_dict()
    assert split["actor01-m"] == "train" and split["actor02-f"] == "train"
    assert split["actor17-m"] == "val" and split["actor24-f"] == "test"
    assert set(df.text) == {"Kids are talking by the door."}
    # speaker-disjoint
    assert not set(df[df.split == "train"].speaker) & set(df[df.split == "test"].speaker)
    assert len(df.attrs["skipped"]) == 3


def test_asvspoof2019_la_protocols(tmp_path):
    la = tmp_path / "LA"
    proto = la / "ASVspoof2019_LA_cm_protocols"
    proto.mkdir(parents=True)
    lines = {"train": ["LA_0079 LA_T_1 - - bonafide", "LA_0079 LA_T_2 - A01 spoof", "LA_0080 LA_T_3 - A06 spoof"],
             "dev": ["LA_0069 LA_D_1 - - bonafide", "LA_0069 LA_D_2 - A02 spoof"],
             "eval": ["LA_0039 LA_E_1 - A17 spoof", "LA_0039 LA_E_2 - - bonafide", "garbage line"]}
    names = {"train": "ASVspoof2019.LA.cm.train.trn.txt", "dev": "ASVspoof2019.LA.cm.dev.trl.txt",
             "eval": "ASVspoof2019.LA.cm.eval.trl.txt"}
    for part, ls in lines.items():
        (proto / names[part]).write_text("\n".join(ls) + "\n")
        for line in ls:
            f = line.split()
            if len(f) == 5 and f[1] != "LA_T_3":                      # LA_T_3 is missing on disk
                _tone(la / f"ASVspoof2019_LA_{part}" / "flac" / f"{f[1]}.flac", sr=16000, fmt="FLAC")
    df = from_asvspoof2019_la(tmp_path)
    assert len(df) == 6
    assert df.groupby("split").size().to_dict() == {"test": 2, "train": 2, "val": 2}
    row = df.set_index("clip_id").loc["asvspoof19la-LA_E_1"]
    assert (row.label, row.system, row.speaker, row.split) == ("spoof", "A17", "LA_0039", "test")
    assert df.set_index("clip_id").loc["asvspoof19la-LA_T_1", "system"] == "bonafide"
    reasons = [r for _, r in df.attrs["skipped"]]
    assert any("missing" in r for r in reasons) and any("protocol line" in r for r in reasons)


def test_in_the_wild_meta(tmp_path):
    root = tmp_path / "release_in_the_wild"
    for i in range(6):
        _tone(root / f"{i}.wav", sr=16000)
    _corrupt(root / "6.wav")
    pd.DataFrame({"file": [f"{i}.wav" for i in range(8)],
                  "speaker": ["Alec Guinness", "Alec Guinness", "Barack Obama", "Barack Obama", "Ayn Rand",
                              "Ayn Rand", "Ayn Rand", "Ayn Rand"],
                  "label": ["spoof", "bona-fide"] * 3 + ["spoof", "weird"]}).to_csv(root / "meta.csv", index=False)
    df = from_in_the_wild(tmp_path)
    assert len(df) == 6 and (df.split == "test").all()
    assert df.label.value_counts().to_dict() == {"spoof": 3, "bonafide": 3}
    assert len(df.attrs["skipped"]) == 2                               # corrupt 6.wav, 'weird' label on 7.wav
    by_speaker = from_in_the_wild(root, split=None)
    assert by_speaker.groupby("speaker")["split"].nunique().max() == 1  # speaker-disjoint


def test_register_and_read_back(data_root):
    root = data_root / "GTZAN" / "genres_original"
    for n in (1, 2, 80, 90):
        _tone(root / "rock" / f"rock.{n:05d}.wav")
    _corrupt(root / "rock" / "rock.00003.wav")
    target = register_dataset("genre", from_gtzan(root.parent), profile="real")
    assert target.is_file()
    df = manifest("genre", profile="real")
    assert len(df) == 4 and df.path.map(lambda p: Path(p).is_absolute()).all()
    assert "rock.00003.wav" in (target.parent / "build.log").read_text()
    x = load_clip(df.path[0])
    assert x.dtype == np.float32 and x.ndim == 1 and len(x) == 8000    # 0.5 s resampled to 16 kHz


def test_manifest_from_csv_relative_paths_and_errors(tmp_path):
    _tone(tmp_path / "a.wav")
    (tmp_path / "m.csv").write_text("path,label,split\na.wav,bonafide,train\n")
    df = manifest_from_csv(tmp_path / "m.csv", "deepfake")
    assert df.path[0] == str((tmp_path / "a.wav").resolve()) and df.clip_id[0] == "a"
    (tmp_path / "bad.csv").write_text("path,label,split\na.wav,fake,train\n")
    with pytest.raises(SufficeError, match="not canonical"):
        manifest_from_csv(tmp_path / "bad.csv", "deepfake")
    (tmp_path / "bad2.csv").write_text("path,label,split\na.wav,spoof,dev\n")
    with pytest.raises(SufficeError, match="split"):
        manifest_from_csv(tmp_path / "bad2.csv", "deepfake")


def test_missing_corpus_says_how_to_build(data_root):
    with pytest.raises(SufficeError, match="python -m suffice.corpora build --profile smoke --task emotion"):
        manifest("emotion", profile="smoke")


def test_loaders_reject_missing_roots(tmp_path):
    for loader in (from_gtzan, from_ravdess, from_asvspoof2019_la, from_in_the_wild):
        with pytest.raises(SufficeError):
            loader(tmp_path / "nope")
    with pytest.raises(SufficeError, match="no usable"):
        from_gtzan(tmp_path)
