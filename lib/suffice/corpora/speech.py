"""Real recorded voices: the Asterisk core prompts (16 kHz G.722), decoded once into a cache."""
from __future__ import annotations

import gzip
import json
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .paths import cache_dir
from .signal import SR, trim_silence
from .tools import require_file, require_program

SOUNDS = Path("/usr/share/asterisk/sounds")
DOCS = Path("/usr/share/doc")


@dataclass(frozen=True)
class Voice:
    """One Asterisk prompt set: one professional speaker of one language."""

    lang: str
    folder: str
    gender: str

    @property
    def speaker(self) -> str:
        return f"asterisk-{self.lang}-{self.folder.split('_')[-1].lower()}"


VOICES: dict[str, Voice] = {v.lang: v for v in (
    Voice("en", "en_US_f_Allison", "female"), Voice("es", "es_MX_f_Allison", "female"),
    Voice("fr", "fr_CA_f_June", "female"), Voice("it", "it_IT_m_Carlo", "male"),
    Voice("ru", "ru_RU_f_IvrvoiceRU", "female"))}


@dataclass(frozen=True)
class Prompt:
    """A decoded prompt: cache wav path, transcript, speech duration (s, silence trimmed)."""

    lang: str
    name: str
    text: str
    wav: str
    duration: float


def transcripts(lang: str) -> dict[str, str]:
    """Prompt name -> transcript (tones and bracketed descriptions dropped)."""
    f = require_file(DOCS / f"asterisk-core-sounds-{lang}" / f"core-sounds-{lang}.txt.gz",
                     f"asterisk-core-sounds-{lang}")
    out: dict[str, str] = {}
    with gzip.open(f, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith(";") or ":" not in line:
                continue
            name, text = line.split(":", 1)
            text = re.sub(r"\([^)]*\)", "", text).replace("...", " ").strip()
            text = re.sub(r"\s+", " ", text)
            if not text or "[" in text or not re.search(r"\w", text):
                continue
            out[name.strip()] = text
    return out


def _decode_batch(pairs: list[tuple[Path, Path]]) -> None:
    args: list[str] = ["ffmpeg", "-y", "-loglevel", "error"]
    for src, _ in pairs:
        args += ["-i", str(src)]
    for i, (_, dst) in enumerate(pairs):
        dst.parent.mkdir(parents=True, exist_ok=True)
        args += ["-map", f"{i}:a", "-ar", str(SR), "-ac", "1", str(dst)]
    subprocess.run(args, check=True, capture_output=True)


def prompts(lang: str, log: list[str] | None = None) -> list[Prompt]:
    """Every usable prompt of ``lang``, decoding G.722 to a wav cache on first use.

    Files that cannot be decoded, are missing or hold under 0.3 s of speech are left out, each with its
    reason appended to ``log`` (the corpus build writes them to build.log).
    """
    require_program("ffmpeg", "ffmpeg")
    v = VOICES[lang]
    root = require_file(SOUNDS / v.folder, f"asterisk-core-sounds-{lang}-g722")
    cache = cache_dir("asterisk") / v.folder
    texts = transcripts(lang)
    todo, found = [], []
    for name, text in sorted(texts.items()):
        src = root / f"{name}.g722"
        if not src.is_file():
            continue
        dst = cache / f"{name}.wav"
        found.append((name, text, dst))
        if not dst.is_file():
            todo.append((src, dst))
    for i in range(0, len(todo), 60):
        try:
            _decode_batch(todo[i: i + 60])
        except subprocess.CalledProcessError:
            for pair in todo[i: i + 60]:  # find the bad file(s) one by one
                try:
                    _decode_batch([pair])
                except subprocess.CalledProcessError as exc:
                    if log is not None:  # not cached: it is retried (and reported) on every build
                        log.append(f"{pair[0]}: ffmpeg cannot decode it ({exc.stderr[-200:]!r})")
    index = cache / "index.json"
    if not todo and index.is_file():
        saved = json.loads(index.read_text())
        if isinstance(saved, dict):
            if log is not None:
                log.extend(saved["skipped"])
            return [Prompt(**d) for d in saved["prompts"]]
    out = []
    skipped: list[str] = []
    for name, text, dst in found:
        try:
            x, sr = sf.read(str(dst), dtype="float32")
        except Exception as exc:  # noqa: BLE001
            skipped.append(f"{dst}: unreadable ({exc})")
            continue
        dur = len(trim_silence(x)) / sr
        if dur < 0.3:
            skipped.append(f"{root / name}.g722: only {dur:.2f} s of speech, left out")
            continue
        out.append(Prompt(lang, name, text, str(dst), round(dur, 3)))
    skipped += [f"{root / n}.g722: no such file for transcript {n!r}" for n in sorted(texts)
                if not (root / f"{n}.g722").is_file()]
    index.write_text(json.dumps({"prompts": [asdict(p) for p in out], "skipped": skipped}))
    if log is not None:
        log.extend(skipped)
    return out


def load_prompt(wav: str) -> np.ndarray:
    """A decoded prompt, silence trimmed at both ends."""
    x, _ = sf.read(wav, dtype="float32")
    return trim_silence(x)


def choose_prompts(pool: list[Prompt], rng: np.random.Generator, seconds: float) -> list[Prompt]:
    """Random distinct prompts whose speech adds up to at least ``seconds``."""
    order = rng.permutation(len(pool))
    chosen, total = [], 0.0
    for i in order:
        chosen.append(pool[int(i)])
        total += pool[int(i)].duration + 0.2
        if total >= seconds:
            break
    return chosen


def join_prompts(wavs: list[str], rng: np.random.Generator) -> np.ndarray:
    """Concatenate prompts with natural pauses of 0.12-0.3 s."""
    parts = []
    for w in wavs:
        parts.append(load_prompt(w))
        parts.append(np.zeros(int(rng.uniform(0.12, 0.3) * SR), dtype=np.float32))
    return np.concatenate(parts[:-1]) if parts else np.zeros(0, dtype=np.float32)
