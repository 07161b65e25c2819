"""Classical excerpts: real scores from the music21 corpus, arranged for GM ensembles."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from .music import Arrangement
from .paths import cache_dir
from .tools import require_module

#: composers whose scores we use, and how many of their files at most (Palestrina has 1,318)
COMPOSERS: dict[str, int] = {"bach": 120, "mozart": 16, "beethoven": 26, "haydn": 9, "handel": 1, "schubert": 1,
                             "corelli": 1, "cpebach": 1, "verdi": 1, "weber": 1, "monteverdi": 30,
                             "palestrina": 40}
#: ensembles: GM programs per part, top voice first
ENSEMBLES: tuple[tuple[int, ...], ...] = (
    (40, 40, 41, 42), (0, 0, 0, 0), (19, 19, 19, 19), (73, 68, 71, 70), (48, 48, 48, 48), (6, 6, 6, 6),
    (52, 52, 52, 52), (40, 41, 42, 43), (71, 69, 70, 58), (56, 60, 57, 58), (46, 46, 46, 46),
)


def pieces() -> list[str]:
    """Corpus paths used for classical clips (a fixed, sorted selection)."""
    require_module("music21", "music21==10.5.1")
    from music21 import corpus
    out: list[str] = []
    for composer, cap in COMPOSERS.items():
        paths = sorted(str(p) for p in corpus.getComposer(composer)
                       if str(p).rsplit(".", 1)[-1] in ("mxl", "xml", "krn", "musicxml"))
        step = max(1, len(paths) // cap)
        out += paths[::step][:cap]
    return out


@functools.lru_cache(maxsize=64)
def notes_of(path: str) -> list[list[tuple[float, float, int]]]:
    """Per part: (offset, duration, pitch) in quarter notes, cached as JSON under the data cache."""
    cache = cache_dir("music21") / (Path(path).parent.name + "__" + Path(path).name + ".json")
    if cache.is_file():
        return [[tuple(n) for n in part] for part in json.loads(cache.read_text())]  # type: ignore[misc]
    require_module("music21", "music21==10.5.1")
    from music21 import corpus
    score = corpus.parse(path)
    parts = []
    for part in score.parts:
        notes = []
        for el in part.flatten().notes:
            for p in getattr(el, "pitches", ()):
                notes.append((float(el.offset), float(el.quarterLength), int(p.midi)))
        if notes:
            parts.append(sorted(notes))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(parts))
    return parts


def arrange(arr: Arrangement, path: str, seconds: float, rng: np.random.Generator) -> None:
    """An excerpt of ``path`` long enough for ``seconds``, at ``arr``'s tempo, on a random ensemble."""
    parts = notes_of(path)
    if not parts:
        raise ValueError(f"score {path} has no notes")
    end = max(o + d for part in parts for o, d, _ in part)
    beats = seconds / arr.spb + 1
    start = float(rng.uniform(0, max(0.0, end - beats)))
    start = np.floor(start)
    ens = ENSEMBLES[int(rng.integers(len(ENSEMBLES)))]
    transpose = int(rng.integers(-3, 4))
    for k, part in enumerate(parts[:6]):
        inst = arr.inst(ens[min(k, len(ens) - 1)], level=rng.uniform(0.75, 1.0) * (1.0 if k == 0 else 0.85))
        for o, d, p in part:
            if start <= o < start + beats and d > 0:
                arr.note(inst, p + transpose, o - start, d, 80)
    if not any(i.notes for i in arr.pm.instruments):
        raise ValueError(f"excerpt of {path} at beat {start} is empty")
