"""Manifests for the real datasets, read from their standard on-disk layouts.

Every file that is unreadable, empty, too short or named outside the layout is skipped with its reason:
logged as a warning (logger ``suffice.corpora``) and listed in ``df.attrs["skipped"]`` as (path, reason)
pairs, which :func:`~suffice.corpora.schema.register_dataset` writes to the corpus's ``build.log``.

Splits: GTZAN has no official split, so tracks 00-69 of each genre are train, 70-84 val, 85-99 test;
RAVDESS is split by actor (01-16 train, 17-20 val, 21-24 test); ASVspoof 2019 LA keeps its
train/dev/eval partitions (as train/val/test); In-the-Wild is an evaluation set (all test) unless
``split=None``, which assigns speakers 70/15/15 by a stable hash (speaker-disjoint).
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Iterable

import pandas as pd
import soundfile as sf

from ..audio import MIN_DURATION_S
from ..errors import SufficeError
from ..tasks import task_labels
from .jobs import stable_hash
from .schema import normalise

log = logging.getLogger("suffice.corpora")

RAVDESS_EMOTIONS = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry", "06": "fearful",
                    "07": "disgust", "08": "surprised"}
RAVDESS_STATEMENTS = {"01": "Kids are talking by the door.", "02": "Dogs are sitting by the door."}
_RAVDESS_NAME = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")
_GTZAN_NAME = re.compile(r"^([a-z]+)\.(\d{5})$")


class _Collector:
    """Rows and skips of one loader run."""

    def __init__(self, task: str):
        self.task, self.rows, self.skipped = task, [], []

    def skip(self, path: Path | str, reason: str) -> None:
        self.skipped.append((str(path), reason))
        log.warning("skipped %s: %s", path, reason)

    def add(self, path: Path, **fields) -> None:
        """Add ``path`` after checking it reads as audio of a usable length."""
        try:
            info = sf.info(str(path))
        except Exception as exc:  # noqa: BLE001 - soundfile raises several types for corrupt files
            self.skip(path, f"unreadable as audio ({type(exc).__name__}: {str(exc)[:120]})")
            return
        if info.frames <= 0 or info.samplerate <= 0:
            self.skip(path, "empty (0 samples)")
            return
        duration = info.frames / info.samplerate
        if duration < MIN_DURATION_S:
            self.skip(path, f"too short ({duration:.3f} s < {MIN_DURATION_S} s)")
            return
        self.rows.append({"path": str(path.resolve()), "duration": round(duration, 4),
                          "sample_rate": int(info.samplerate), **fields})

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            raise SufficeError(f"no usable {self.task} audio found ({len(self.skipped)} file(s) skipped"
                               + (f", e.g. {self.skipped[0][0]}: {self.skipped[0][1]})" if self.skipped else ")"))
        df = normalise(pd.DataFrame(self.rows))
        df.attrs["skipped"] = list(self.skipped)
        return df


def _root(root: str | os.PathLike, candidates: Iterable[str], what: str) -> Path:
    base = Path(root).expanduser()
    if not base.is_dir():
        raise SufficeError(f"{what} root {base} is not a folder")
    for c in candidates:
        if (base / c).is_dir():
            return base / c
    return base


def from_gtzan(root: str | os.PathLike) -> pd.DataFrame:
    """GTZAN: ``genres_original/<genre>/<genre>.000NN.wav`` (``root`` may be any folder above it)."""
    labels = set(task_labels("genre"))
    base = _root(root, ("genres_original", "Data/genres_original", "genres"), "GTZAN")
    col = _Collector("genre")
    for path in sorted(base.glob("*/*")):
        if not path.is_file():
            continue
        genre = path.parent.name
        m = _GTZAN_NAME.match(path.stem)
        if genre not in labels:
            col.skip(path, f"folder {genre!r} is not a GTZAN genre")
            continue
        if path.suffix.lower() not in (".wav", ".au") or not m or m.group(1) != genre:
            col.skip(path, f"name does not follow <genre>/<genre>.000NN.wav")
            continue
        n = int(m.group(2))
        split = "train" if n < 70 else "val" if n < 85 else "test"
        col.add(path, clip_id=f"gtzan-{path.stem}", label=genre, split=split, source="gtzan")
    return col.frame()


def from_ravdess(root: str | os.PathLike) -> pd.DataFrame:
    """RAVDESS audio: ``Actor_XX/03-01-EE-II-SS-RR-AA.wav``; emotion from the name, split by actor."""
    base = Path(root).expanduser()
    if not base.is_dir():
        raise SufficeError(f"RAVDESS root {base} is not a folder")
    col = _Collector("emotion")
    for path in sorted(base.rglob("*")):
        if not path.is_file() or not path.parent.name.startswith("Actor_"):
            continue
        m = _RAVDESS_NAME.match(path.stem)
        if path.suffix.lower() != ".wav" or not m:
            col.skip(path, "name does not follow Actor_XX/MM-VV-EE-II-SS-RR-AA.wav")
            continue
        modality, channel, emo, intensity, statement, rep, actor = m.groups()
        if modality != "03":
            col.skip(path, f"modality {modality} is not audio-only (03)")
            continue
        if emo not in RAVDESS_EMOTIONS:
            col.skip(path, f"unknown emotion code {emo}")
            continue
        a = int(actor)
        if f"Actor_{actor}" != path.parent.name:
            col.skip(path, f"actor {actor} in the name differs from folder {path.parent.name}")
            continue
        split = "train" if a <= 16 else "val" if a <= 20 else "test"
        col.add(path, clip_id=f"ravdess-{path.stem}", label=RAVDESS_EMOTIONS[emo], split=split,
                source="ravdess-" + ("speech" if channel == "01" else "song"),
                speaker=f"actor{actor}-{'m' if a % 2 else 'f'}", system=f"intensity{int(intensity)}",
                text=RAVDESS_STATEMENTS.get(statement, ""))
    return col.frame()


def from_asvspoof2019_la(root: str | os.PathLike) -> pd.DataFrame:
    """ASVspoof 2019 LA: CM protocol files and ``ASVspoof2019_LA_{train,dev,eval}/flac/<utt>.flac``."""
    base = _root(root, ("LA",), "ASVspoof 2019 LA")
    proto_dir = base / "ASVspoof2019_LA_cm_protocols"
    if not proto_dir.is_dir():
        raise SufficeError(f"no ASVspoof2019_LA_cm_protocols folder under {base}")
    col = _Collector("deepfake")
    found = False
    for part, split, pattern in (("train", "train", "*train.trn*.txt"), ("dev", "val", "*dev.trl*.txt"),
                                 ("eval", "test", "*eval.trl*.txt")):
        for proto in sorted(proto_dir.glob(pattern)):
            found = True
            audio = base / f"ASVspoof2019_LA_{part}" / "flac"
            for k, line in enumerate(proto.read_text().splitlines()):
                f = line.split()
                if not f:
                    continue
                if len(f) < 5 or f[-1] not in ("bonafide", "spoof"):
                    col.skip(f"{proto}:{k + 1}", f"protocol line not 'SPEAKER UTT - SYSTEM KEY': {line[:80]!r}")
                    continue
                path = audio / f"{f[1]}.flac"
                if not path.is_file():
                    col.skip(path, "listed in the protocol but missing")
                    continue
                col.add(path, clip_id=f"asvspoof19la-{f[1]}", label=f[-1], split=split, source="asvspoof2019-la",
                        speaker=f[0], system="bonafide" if f[3] == "-" else f[3])
    if not found:
        raise SufficeError(f"no CM protocol files (*.train.trn.txt, *.dev.trl.txt, *.eval.trl.txt) in {proto_dir}")
    return col.frame()


def from_in_the_wild(root: str | os.PathLike, split: str | None = "test") -> pd.DataFrame:
    """In-the-Wild: ``meta.csv`` (file, speaker, label 'spoof' or 'bona-fide') next to the wavs.

    ``split='test'`` (default) marks every clip as test, since the dataset is an evaluation set;
    ``split=None`` splits speakers 70/15/15 by a stable hash (speaker-disjoint).
    """
    base = _root(root, ("release_in_the_wild",), "In-the-Wild")
    meta = base / "meta.csv"
    if not meta.is_file():
        raise SufficeError(f"no meta.csv in {base}")
    df = pd.read_csv(meta, dtype=str, keep_default_na=False)
    need = {"file", "speaker", "label"}
    if not need <= set(df.columns):
        raise SufficeError(f"{meta} must have columns {sorted(need)}, has {list(df.columns)}")
    col = _Collector("deepfake")
    for k, r in df.iterrows():
        lab = r["label"].strip().lower().replace("-", "").replace("_", "")
        lab = {"bonafide": "bonafide", "spoof": "spoof"}.get(lab)
        path = base / r["file"]
        if lab is None:
            col.skip(path, f"label {r['label']!r} is neither 'spoof' nor 'bona-fide'")
            continue
        if not path.is_file():
            col.skip(path, "listed in meta.csv but missing")
            continue
        s = split
        if s is None:
            h = stable_hash(r["speaker"]) % 100
            s = "train" if h < 70 else "val" if h < 85 else "test"
        col.add(path, clip_id=f"itw-{Path(r['file']).stem}", label=lab, split=s, source="in-the-wild",
                speaker=r["speaker"], system="bonafide" if lab == "bonafide" else "in-the-wild")
    return col.frame()
