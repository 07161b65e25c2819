"""MIDI arrangement helpers: beats with swing and humanising, chords, voicings, scales (pretty_midi)."""
from __future__ import annotations

import numpy as np

from .tools import require_module

CHORDS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "m7": (0, 3, 7, 10),
    "m7b5": (0, 3, 6, 10), "9": (0, 4, 7, 10, 14), "m9": (0, 3, 7, 10, 14), "maj9": (0, 4, 7, 11, 14),
    "13": (0, 4, 10, 14, 21), "5": (0, 7, 12), "sus4": (0, 5, 7), "add9": (0, 4, 7, 14),
}
SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10), "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10), "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "blues": (0, 3, 5, 6, 7, 10), "maj_pent": (0, 2, 4, 7, 9), "min_pent": (0, 3, 5, 7, 10),
    "bebop": (0, 2, 4, 5, 7, 9, 10, 11),
}
# General MIDI percussion keys
KICK, SIDE, SNARE, CLAP, HAT, PEDAL, OPEN_HAT, CRASH, RIDE, TAMB, CHINA, RIDE_BELL = \
    36, 37, 38, 39, 42, 44, 46, 49, 51, 54, 52, 53
TOM_LO, TOM_MID, TOM_HI, COWBELL, SHAKER, CONGA_HI, CONGA_LO = 45, 47, 50, 56, 70, 63, 64


class Arrangement:
    """A pretty_midi score written in beats; swing delays off-beat 8ths (or 16ths)."""

    def __init__(self, tempo: float, rng: np.random.Generator, swing: float = 0.0, swing_unit: float = 0.5,
                 humanise_ms: float = 8.0):
        require_module("pretty_midi", "pretty-midi==0.2.11.post0")
        import pretty_midi
        self._pm_mod = pretty_midi
        self.pm = pretty_midi.PrettyMIDI(initial_tempo=float(tempo))
        self.spb = 60.0 / float(tempo)
        self.rng, self.swing, self.unit, self.hum = rng, float(swing), float(swing_unit), humanise_ms / 1000

    def inst(self, program: int, drum: bool = False, level: float = 1.0, stem: str = "main"):
        """A new instrument track; ``level`` scales its velocities (the mix); tracks of stem 'drive' are
        rendered separately and put through an amplifier-like distortion."""
        i = self._pm_mod.Instrument(program=int(program), is_drum=drum)
        i.level = float(level)  # type: ignore[attr-defined]
        i.stem = stem  # type: ignore[attr-defined]
        self.pm.instruments.append(i)
        return i

    def time(self, beat: float) -> float:
        """Seconds of ``beat``, with swing on the off-beat of each swing unit."""
        whole, frac = divmod(beat, self.unit)
        if self.swing and abs(frac - self.unit / 2) < 1e-6:
            frac = self.unit / 2 + self.swing * self.unit / 6  # swing=1 gives triplet feel
        return (whole * self.unit + frac) * self.spb

    def note(self, inst, pitch: int, beat: float, dur: float, vel: float) -> None:
        """Add a note at ``beat`` lasting ``dur`` beats at velocity ``vel`` (0-127, before the mix)."""
        start = max(0.0, self.time(beat) + self.rng.normal(0, self.hum))
        end = max(start + 0.03, self.time(beat + dur) + self.rng.normal(0, self.hum) - 0.01)
        v = int(np.clip(vel * getattr(inst, "level", 1.0) + self.rng.normal(0, 6), 1, 127))
        p = int(pitch)
        while p < 24:
            p += 12
        while p > 108:
            p -= 12
        inst.notes.append(self._pm_mod.Note(velocity=v, pitch=p, start=start, end=end))

    def chord(self, inst, notes, beat: float, dur: float, vel: float, strum: float = 0.0) -> None:
        """Several notes together, optionally strummed (``strum`` beats between strings)."""
        for k, p in enumerate(notes):
            self.note(inst, p, beat + k * strum, dur - k * strum, vel)

    def stems(self) -> list[str]:
        """Names of the stems present."""
        return sorted({getattr(i, "stem", "main") for i in self.pm.instruments})

    def write(self, path: str, stem: str | None = None, until: float | None = None) -> None:
        """Write the MIDI file (only ``stem`` if given), dropping notes after ``until`` seconds."""
        keep = [i for i in self.pm.instruments if stem is None or getattr(i, "stem", "main") == stem]
        out = self._pm_mod.PrettyMIDI(initial_tempo=60.0 / self.spb)
        for i in keep:
            j = self._pm_mod.Instrument(program=i.program, is_drum=i.is_drum)
            for n in i.notes:
                if until is None or n.start < until:
                    end = n.end if until is None else min(n.end, until + 0.3)
                    j.notes.append(self._pm_mod.Note(velocity=n.velocity, pitch=n.pitch, start=n.start, end=end))
            out.instruments.append(j)
        out.write(path)


def voicing(root: int, quality: str, rng: np.random.Generator, low: int = 52, high: int = 76) -> list[int]:
    """A chord voicing in [low, high]: random inversion, notes folded into range."""
    notes = [root + i for i in CHORDS[quality]]
    inv = int(rng.integers(len(notes)))
    notes = notes[inv:] + [n + 12 for n in notes[:inv]]
    while min(notes) < low:
        notes = [n + 12 for n in notes]
    while max(notes) > high and min(notes) - 12 >= low - 12:
        notes = [n - 12 for n in notes]
    return sorted(notes)


def scale_notes(tonic: int, scale: str, low: int, high: int) -> list[int]:
    """Every pitch of ``scale`` on ``tonic`` within [low, high]."""
    steps = SCALES[scale]
    return [p for p in range(low, high + 1) if (p - tonic) % 12 in steps]


def melody(arr: Arrangement, inst, tonic: int, scale: str, beats: float, rng: np.random.Generator, *,
           low: int = 64, high: int = 84, density: float = 0.6, grid: float = 0.5, vel: float = 90,
           chord_tones: list[tuple[float, list[int]]] | None = None) -> None:
    """A random-walk melody on ``scale``; long notes land on chord tones when ``chord_tones`` is given."""
    pool = scale_notes(tonic, scale, low, high)
    idx = len(pool) // 2
    b = 0.0
    while b < beats:
        if rng.random() < density:
            idx = int(np.clip(idx + rng.choice([-2, -1, -1, 1, 1, 2, 0, 3, -3]), 0, len(pool) - 1))
            dur = grid * int(rng.choice([1, 1, 2, 2, 3, 4]))
            pitch = pool[idx]
            if chord_tones and dur >= 1.0:
                tones = next((t for s, t in reversed(chord_tones) if s <= b), chord_tones[0][1])
                pitch = min((p for p in pool if (p % 12) in {t % 12 for t in tones}), key=lambda p: abs(p - pitch),
                            default=pitch)
            arr.note(inst, pitch, b, dur * 0.95, vel + rng.normal(0, 8))
            b += dur
        else:
            b += grid
