"""One MIDI generator per GTZAN genre (except classical, which arranges music21 scores)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .music import (CHORDS, CLAP, COWBELL, CRASH, HAT, KICK, OPEN_HAT, PEDAL, RIDE, SHAKER, SIDE, SNARE, TAMB,
                    TOM_HI, TOM_LO, TOM_MID, CHINA, Arrangement, melody, voicing)


def _pick(rng: np.random.Generator, xs):
    return xs[int(rng.integers(len(xs)))]


def _drums(arr: Arrangement, bars: int, pattern: dict[int, list[int]], vel: float = 100,
           fills: bool = True, crash_first: bool = True) -> None:
    """16-step drum pattern (key -> steps) repeated over ``bars``, with a crash and an optional fill."""
    d = arr.inst(0, drum=True, level=arr.rng.uniform(0.8, 1.0))
    for bar in range(bars):
        last = fills and bar == bars - 1 and arr.rng.random() < 0.5
        for key, steps in pattern.items():
            for s in steps:
                if last and s >= 12:
                    continue
                accent = 1.0 if s % 4 == 0 else 0.85
                arr.note(d, key, bar * 4 + s / 4, 0.2, vel * accent)
        if last:
            for k, s in enumerate(range(12, 16)):
                arr.note(d, (TOM_HI, TOM_MID, TOM_LO, SNARE)[k], bar * 4 + s / 4, 0.2, vel)
        if crash_first and bar == 0:
            arr.note(d, CRASH, 0, 1.0, vel)


def _bars(tempo: float, seconds: float) -> int:
    return int(np.ceil(seconds * tempo / 240.0)) + 1


def _prog(tonic: int, prog: list[tuple[int, str]], start: int, bars: int, per_bar: int = 1):
    """(beat, root, quality) for each chord slot, cycling ``prog`` from ``start``."""
    out = []
    for k in range(bars * per_bar):
        off, q = prog[(start + k) % len(prog)]
        out.append((k * 4 / per_bar, tonic + off, q))
    return out


def blues(arr: Arrangement, tonic: int, seconds: float, rng: np.random.Generator, tempo: float) -> None:
    bars = _bars(tempo, seconds)
    twelve = [(0, "7")] * 4 + [(5, "7")] * 2 + [(0, "7")] * 2 + [(7, "7"), (5, "7"), (0, "7"), (7, "7")]
    chords = _prog(tonic, twelve, int(rng.integers(12)), bars)
    bass = arr.inst(_pick(rng, [32, 33, 34]), level=rng.uniform(0.8, 1.0))
    comp = arr.inst(_pick(rng, [0, 16, 17, 27, 26]), level=rng.uniform(0.6, 0.85))
    lead_prog = _pick(rng, [22, 29, 29, 27, 30])
    lead = arr.inst(lead_prog, level=rng.uniform(0.7, 0.95), stem="crunch" if lead_prog in (29, 30) else "main")
    for b, root, q in chords:
        for k, iv in enumerate((0, 4, 7, 9, 10, 9, 7, 4)):  # boogie walking line
            arr.note(bass, root - 24 + iv, b + k * 0.5, 0.45, 95)
        v = voicing(root, _pick(rng, ["7", "9", "13"]), rng, 55, 74)
        for beat in (0, 1.5, 2, 3.5) if rng.random() < 0.5 else (0, 1, 2, 3):
            arr.chord(comp, v, b + beat, 0.4, 75)
    melody(arr, lead, tonic, "blues", bars * 4, rng, low=tonic + 12 + (0 if tonic < 58 else -12), high=tonic + 31,
           density=0.55, grid=0.5, vel=95)
    _drums(arr, bars, {KICK: [0, 8], SNARE: [4, 12], _pick(rng, [HAT, RIDE]): [0, 2, 4, 6, 8, 10, 12, 14]}, 90)


def jazz(arr: Arrangement, tonic: int, seconds: float, rng: np.random.Generator, tempo: float) -> None:
    bars = _bars(tempo, seconds)
    prog = _pick(rng, [[(2, "m7"), (7, "7"), (0, "maj7"), (9, "7")], [(0, "maj7"), (9, "m7"), (2, "m7"), (7, "7")],
                       [(2, "m7b5"), (7, "7"), (0, "m7"), (0, "m7")], [(5, "maj7"), (4, "m7"), (9, "7"), (2, "m9")]])
    chords = _prog(tonic, prog, int(rng.integers(4)), bars * 2, per_bar=1)
    chords = [(b / 2, r, q) for b, r, q in chords]  # two chords a bar
    bass = arr.inst(32, level=rng.uniform(0.85, 1.0))
    comp = arr.inst(_pick(rng, [0, 0, 11, 26, 4]), level=rng.uniform(0.55, 0.8))
    lead = arr.inst(_pick(rng, [65, 66, 56, 57, 73, 26]), level=rng.uniform(0.7, 0.95))
    for i, (b, root, q) in enumerate(chords):
        nxt = chords[(i + 1) % len(chords)][1]
        tones = [root - 24 + iv for iv in CHORDS[q][:4]]
        walk = [tones[0], _pick(rng, [_pick(rng, tones[1:]), nxt - 24 + _pick(rng, [-1, 1])])]
        for k, p in enumerate(walk):  # two walking quarters a chord: a chord tone, then a tone or approach
            arr.note(bass, p, b + k, 0.9, 90)
        rootless = voicing(root, {"maj7": "maj9", "m7": "m9", "7": "13"}.get(q, q), rng, 53, 72)[1:]
        for beat in rng.choice([0, 0.5, 1, 1.5], size=int(rng.integers(1, 3)), replace=False):
            arr.chord(comp, rootless, b + float(beat), 0.45, 70)
    tones = [(b, [r + i for i in CHORDS[q]]) for b, r, q in chords]
    melody(arr, lead, tonic, "bebop", bars * 4, rng, low=tonic + 10, high=tonic + 30, density=0.75, grid=0.5,
           vel=88, chord_tones=tones)
    _drums(arr, bars, {RIDE: [0, 4, 6, 8, 12, 14], PEDAL: [4, 12], KICK: [0, 8]}, 70, fills=False,
           crash_first=False)


def country(arr: Arrangement, tonic: int, seconds: float, rng: np.random.Generator, tempo: float) -> None:
    bars = _bars(tempo, seconds)
    prog = _pick(rng, [[(0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")], [(0, "maj"), (0, "maj"), (5, "maj"), (7, "7")],
                       [(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")]])
    chords = _prog(tonic, prog, int(rng.integers(len(prog))), bars)
    bass = arr.inst(_pick(rng, [32, 33]), level=rng.uniform(0.8, 1.0))
    guitar = arr.inst(25, level=rng.uniform(0.7, 0.9))
    lead = arr.inst(_pick(rng, [110, 105, 105, 110, 25]), level=rng.uniform(0.7, 0.9))
    if rng.random() < 0.6:  # banjo roll
        banjo = arr.inst(105, level=rng.uniform(0.5, 0.75))
        for b, root, q in chords:
            tones = voicing(root, q, rng, 60, 79)
            for k in range(16):
                arr.note(banjo, tones[[0, 1, 2, 1, 0, 2, 1, 2][k % 8] % len(tones)], b + k / 4, 0.22, 75)
    for b, root, q in chords:
        for k, iv in enumerate((0, 7, 0, 7)):  # boom on 1 and 3, alternating root and fifth
            if k % 2 == 0:
                arr.note(bass, root - 24 + (iv if k == 0 else 7 - 12), b + k, 0.8, 95)
        v = voicing(root, q, rng, 52, 72) + [root + 12]
        for beat in (1, 3, 1.5, 3.5):  # chick on 2 and 4 (strummed)
            arr.chord(guitar, v, b + beat, 0.4, 78 if beat % 1 == 0 else 60, strum=0.02)
    melody(arr, lead, tonic, "maj_pent", bars * 4, rng, low=tonic + 12, high=tonic + 31, density=0.7, grid=0.25,
           vel=85)
    _drums(arr, bars, {KICK: [0, 8], SIDE: [4, 12], HAT: [0, 2, 4, 6, 8, 10, 12, 14]}, 80)


def disco(arr: Arrangement, tonic: int, seconds: float, rng: np.random.Generator, tempo: float) -> None:
    bars = _bars(tempo, seconds)
    prog = _pick(rng, [[(0, "m7"), (5, "m7")], [(0, "m7"), (10, "maj"), (8, "maj7"), (10, "maj")],
                       [(0, "maj7"), (2, "m7")]])
    chords = _prog(tonic, prog, 0, bars)
    bass = arr.inst(_pick(rng, [33, 36, 38, 39]), level=rng.uniform(0.85, 1.0))
    strings = arr.inst(_pick(rng, [48, 49, 50]), level=rng.uniform(0.5, 0.75))
    gtr = arr.inst(28, level=rng.uniform(0.5, 0.75))
    for b, root, q in chords:
        for k in range(8):  # octave bounce
            arr.note(bass, root - 24 + (12 if k % 2 else 0), b + k * 0.5, 0.4, 100)
        arr.chord(strings, voicing(root, q, rng, 60, 80), b, 3.9, 70)
        v = voicing(root, q, rng, 55, 72)
        for s in range(16):
            if rng.random() < 0.6:
                arr.chord(gtr, v, b + s / 4, 0.12, 70 if s % 2 else 85)
    pattern = {KICK: [0, 4, 8, 12], OPEN_HAT: [2, 6, 10, 14], HAT: list(range(0, 16, 2)),
               _pick(rng, [CLAP, SNARE]): [4, 12]}
    _drums(arr, bars, pattern, 100)


def hiphop(arr: Arrangement, tonic: int, seconds: float, rng: np.random.Generator, tempo: float) -> None:
    bars = _bars(tempo, seconds)
    prog = _pick(rng, [[(0, "m7"), (8, "maj7")], [(0, "min"), (5, "min")], [(0, "m9"), (3, "maj7"), (5, "m7"), (7, "min")]])
    chords = _prog(tonic, prog, 0, bars)
    bass = arr.inst(_pick(rng, [38, 39, 33, 87]), level=rng.uniform(0.9, 1.0))
    keys = arr.inst(_pick(rng, [4, 5, 0, 48, 89, 11]), level=rng.uniform(0.35, 0.55))
    stab = arr.inst(_pick(rng, [61, 62, 55, 45]), level=rng.uniform(0.5, 0.7))
    kicks = _pick(rng, [[0, 7, 10], [0, 3, 10], [0, 8, 11], [0, 6, 10, 11]])
    for b, root, q in chords:
        for s in kicks:
            arr.note(bass, root - 24, b + s / 4, 0.6 if s < 12 else 0.3, 105)
        v = voicing(root, q, rng, 55, 75)
        arr.chord(keys, v, b, 1.8, 65)
        arr.chord(keys, v, b + 2.5, 1.2, 55)
        if rng.random() < 0.5:
            arr.chord(stab, v, b + _pick(rng, [1.5, 3.0, 3.75]), 0.25, 80)
    hats = _pick(rng, [list(range(0, 16, 2)), list(range(16))])
    _drums(arr, bars, {KICK: kicks, SNARE: [4, 12], HAT: hats}, 105, fills=False, crash_first=False)


def metal(arr: Arrangement, tonic: int, seconds: float, rng: np.random.Generator, tempo: float) -> None:
    bars = _bars(tempo, seconds)
    root = 40 + (tonic % 12) % 5  # low E..G#
    riff_deg = _pick(rng, [[0, 0, 1, 0, 3, 0, 5, 6], [0, 0, 0, 3, 0, 0, 5, 3], [0, 1, 0, 7, 6, 5, 3, 1],
                           [0, 0, 3, 0, 0, 5, 0, 6]])
    g1 = arr.inst(30, level=rng.uniform(0.8, 1.0), stem="drive")
    g2 = arr.inst(_pick(rng, [30, 29]), level=rng.uniform(0.6, 0.85), stem="drive")
    bass = arr.inst(_pick(rng, [34, 33, 35]), level=rng.uniform(0.8, 1.0))
    sixteenths = rng.random() < 0.5
    step = 0.25 if sixteenths else 0.5
    n = int(bars * 4 / step)
    for k in range(n):
        deg = riff_deg[(k // (2 if sixteenths else 1)) % len(riff_deg)]
        p = root + deg
        arr.chord(g1, [p, p + 7, p + 12], k * step, step * 0.8, 110)
        arr.chord(g2, [p + 12, p + 19], k * step, step * 0.8, 95)
        arr.note(bass, p - 12, k * step, step * 0.9, 105)
    if rng.random() < 0.5:  # blast beat: kick and snare alternating on every 16th
        pattern = {KICK: list(range(0, 16, 2)), SNARE: list(range(1, 16, 2)), _pick(rng, [RIDE, CHINA]): list(range(0, 16, 2))}
    else:  # double kick
        pattern = {KICK: list(range(16)), SNARE: [4, 12], CRASH: [0, 8], CHINA: [4, 12]}
    _drums(arr, bars, pattern, 115)


def pop(arr: Arrangement, tonic: int, seconds: float, rng: np.random.Generator, tempo: float) -> None:
    bars = _bars(tempo, seconds)
    prog = _pick(rng, [[(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")], [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")],
                       [(0, "add9"), (5, "maj"), (0, "maj"), (7, "sus4")], [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")]])
    chords = _prog(tonic, prog, 0, bars)
    bass = arr.inst(_pick(rng, [33, 38, 34]), level=rng.uniform(0.8, 1.0))
    pad = arr.inst(_pick(rng, [0, 1, 4, 89, 90, 88, 5]), level=rng.uniform(0.55, 0.8))
    lead = arr.inst(_pick(rng, [80, 81, 54, 53, 52, 85, 11]), level=rng.uniform(0.75, 0.95))
    for b, root, q in chords:
        for k in range(8):
            arr.note(bass, root - 24, b + k * 0.5, 0.4, 95)
        v = voicing(root, q, rng, 57, 77)
        for beat in _pick(rng, [(0,), (0, 1, 2, 3), (0, 1.5, 3)]):
            arr.chord(pad, v, b + beat, 4.0 / max(1, 4 - beat) if beat == 0 else 0.9, 72)
    tones = [(b, [r + i for i in CHORDS[q]]) for b, r, q in chords]
    melody(arr, lead, tonic, "maj_pent", bars * 4, rng, low=tonic + 12, high=tonic + 28, density=0.7, grid=0.5,
           vel=95, chord_tones=tones)
    pattern = {KICK: _pick(rng, [[0, 8], [0, 6, 8], [0, 10]]), _pick(rng, [SNARE, CLAP]): [4, 12],
               HAT: _pick(rng, [list(range(0, 16, 2)), list(range(16))]), TAMB: [4, 12]}
    _drums(arr, bars, pattern, 95)


def reggae(arr: Arrangement, tonic: int, seconds: float, rng: np.random.Generator, tempo: float) -> None:
    bars = _bars(tempo, seconds)
    minor = rng.random() < 0.5
    prog = [(0, "min"), (5, "min")] if minor else _pick(rng, [[(0, "maj"), (5, "maj")], [(0, "maj"), (7, "maj"), (5, "maj"), (0, "maj")]])
    chords = _prog(tonic, prog, 0, bars)
    bass = arr.inst(_pick(rng, [33, 34, 38]), level=rng.uniform(0.9, 1.0))
    skank = arr.inst(_pick(rng, [27, 28, 26]), level=rng.uniform(0.6, 0.8))
    organ = arr.inst(_pick(rng, [16, 17, 18]), level=rng.uniform(0.45, 0.65))
    for b, root, q in chords:
        third = 3 if q == "min" else 4
        line = _pick(rng, [[(0, 0), (1.5, 7), (2.5, 12), (3.5, 10)], [(0, 0), (0.75, 0), (1.5, third), (2.5, 7), (3, 5)]])
        for beat, iv in line:  # the bass leaves the one-drop beat 3 mostly open
            arr.note(bass, root - 24 + iv, b + beat, 0.45, 105)
        v = voicing(root, q, rng, 60, 76)
        for beat in (0.5, 1.5, 2.5, 3.5):  # off-beat skank
            arr.chord(skank, v, b + beat, 0.15, 85)
        for beat in (0.5, 1.0, 1.5, 2.5, 3.0, 3.5):  # organ bubble
            arr.chord(organ, v[1:] if beat % 1 else v[:1], b + beat, 0.2, 60)
    _drums(arr, bars, {KICK: [8], SIDE: [8], HAT: list(range(0, 16, 2)), OPEN_HAT: [14]}, 90, fills=False,
           crash_first=False)


def rock(arr: Arrangement, tonic: int, seconds: float, rng: np.random.Generator, tempo: float) -> None:
    bars = _bars(tempo, seconds)
    prog = _pick(rng, [[(0, "5"), (10, "5"), (5, "5"), (0, "5")], [(0, "maj"), (5, "maj"), (7, "maj"), (5, "maj")],
                       [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")], [(0, "5"), (3, "5"), (5, "5"), (3, "5")]])
    chords = _prog(tonic, prog, 0, bars)
    gtr = arr.inst(_pick(rng, [29, 29, 30, 27]), level=rng.uniform(0.75, 0.95), stem="crunch")
    bass = arr.inst(_pick(rng, [34, 33]), level=rng.uniform(0.85, 1.0))
    extra = arr.inst(_pick(rng, [0, 16, 29, 81]), level=rng.uniform(0.4, 0.65))
    for b, root, q in chords:
        r = root if root < 52 else root - 12
        shape = [r, r + 7, r + 12] if q == "5" else voicing(r, q, rng, 45, 64)
        if rng.random() < 0.5:
            for k in range(8):
                arr.chord(gtr, shape, b + k * 0.5, 0.45, 100)
        else:
            arr.chord(gtr, shape, b, 1.4, 105, strum=0.015)
            arr.chord(gtr, shape, b + 1.5, 2.4, 95, strum=0.015)
        for k in range(8):
            arr.note(bass, r - 12, b + k * 0.5, 0.45, 100)
        if rng.random() < 0.6:
            arr.chord(extra, voicing(root, "maj" if q == "5" else q, rng, 60, 79), b, 3.8, 60)
    pattern = {KICK: _pick(rng, [[0, 8], [0, 8, 10], [0, 6, 8]]), SNARE: [4, 12],
               _pick(rng, [HAT, RIDE, OPEN_HAT]): list(range(0, 16, 2))}
    _drums(arr, bars, pattern, 105)


#: name -> (generator, tempo range bpm, swing range, swing unit in beats)
STYLES: dict[str, tuple[Callable, tuple[float, float], tuple[float, float], float]] = {
    "blues": (blues, (70, 115), (0.8, 1.0), 0.5),
    "country": (country, (95, 145), (0.0, 0.2), 0.5),
    "disco": (disco, (112, 130), (0.0, 0.1), 0.5),
    "hiphop": (hiphop, (80, 98), (0.3, 0.7), 0.25),
    "jazz": (jazz, (110, 210), (0.6, 1.0), 0.5),
    "metal": (metal, (100, 200), (0.0, 0.0), 0.5),
    "pop": (pop, (95, 126), (0.0, 0.15), 0.5),
    "reggae": (reggae, (65, 90), (0.2, 0.5), 0.5),
    "rock": (rock, (100, 150), (0.0, 0.1), 0.5),
}
