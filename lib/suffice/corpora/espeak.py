"""espeak-ng synthesis with SSML prosody, as float32 at 16 kHz."""
from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np

from .external import run_to_wav
from .tools import require_program

#: espeak-ng voices per language of the Asterisk transcripts
LANG_VOICES: dict[str, tuple[str, ...]] = {
    "en": ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc", "en-gb-x-gbclan"),
    "es": ("es", "es-419"), "fr": ("fr-fr", "fr-be", "fr-ch"), "it": ("it",), "ru": ("ru", "ru-lv"),
}
#: human-sounding variants (whisper, croak and robot variants left out)
VARIANTS: tuple[str, ...] = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
                             "adam", "Alex", "Andy", "annie", "benjamin", "david", "ed", "edward", "john",
                             "linda", "max", "michel", "paul", "pablo", "pedro", "robert", "steph", "travis",
                             "victor", "zac", "klatt", "klatt2", "klatt3")


def speak(text: str, voice: str, *, pitch: str = "+0%", rate: str = "100%", volume: str = "+0dB",
          prange: str = "100%") -> np.ndarray:
    """Synthesise ``text`` with espeak-ng voice ``voice`` (e.g. 'en-us+f3') and SSML prosody."""
    exe = require_program("espeak-ng", "espeak-ng")
    ssml = (f'<speak><prosody pitch="{pitch}" rate="{rate}" volume="{volume}" range="{prange}">'
            f"{escape(text)}</prosody></speak>")
    return run_to_wav([exe, "-m", "-v", voice, "-w", "{out}", ssml], what=f"espeak-ng (voice {voice})",
                      timeout=60)
