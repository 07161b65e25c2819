"""suffice: minimal sufficient frequency sets of audio classifiers, and their transferability.

Public API: :class:`Classifier`, :func:`keep_bins`, :func:`explain`,
:class:`Explanation`; sub-packages ``suffice.models``, ``suffice.study``, ``suffice.transfer``,
``suffice.spectral``.
"""
from __future__ import annotations

from .constants import VERSION as __version__

from .errors import AudioError, SufficeError, UnknownNameError, OptionError
from .classifier import Classifier, check_probabilities
from .masking import keep_bins, n_bins
from .audio import load_audio, validate_waveform, prepare_waveform
from .explanation import Explanation
from .search import explain, STRATEGIES
from .flips import flip, Flip

__all__ = [
    "__version__", "Classifier", "check_probabilities", "keep_bins", "n_bins", "load_audio",
    "validate_waveform", "prepare_waveform", "Explanation", "explain", "STRATEGIES", "AudioError",
    "SufficeError", "UnknownNameError", "OptionError",
]
