"""Batched torch log-mel front ends (fast replacements of per-clip numpy feature extraction).

* :func:`ast_fbank` reproduces transformers' ``ASTFeatureExtractor`` numpy path (Kaldi-style fbank:
  DC removal, pre-emphasis 0.97, Hann(400, symmetric), 512-point FFT, power, Kaldi mel filters, log).
* :func:`yamnet_logmel` is YAMNet's front end: 25 ms / 10 ms frames, periodic Hann, 512-point FFT,
  magnitude, 64 HTK mel bands 125-7500 Hz (no normalisation), ``log(mel + 1e-6)``.
* :func:`whisper_logmel` is Whisper's: 400-point periodic Hann STFT (centred, reflect padding), hop 160,
  80 Slaney mel bands, ``log10``, clamp to (max - 8), ``(x + 4) / 4``.
Tests compare each with its reference implementation.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..constants import SAMPLE_RATE


def _frames(x: torch.Tensor, length: int, hop: int) -> torch.Tensor:
    """(N, T) -> (N, F, length) frames without padding (``center=False``)."""
    if x.shape[-1] < length:
        x = torch.nn.functional.pad(x, (0, length - x.shape[-1]))
    return x.unfold(-1, length, hop)


def ast_fbank(x: np.ndarray, mel_filters: np.ndarray, window: np.ndarray, *, max_length: int,
              mean: float, std: float, do_normalize: bool = True) -> torch.Tensor:
    """AST input features, (N, max_length, n_mels) float32, from (N, T) float32 waveforms."""
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    fr = _frames(t, 400, 160)
    m = fr.mean(dim=-1, keepdim=True)
    # DC removal then pre-emphasis, in one pass: y_i = f_i - 0.97 f_{i-1} - 0.03 m; y_0 = 0.03 (f_0 - m)
    pre = torch.empty(fr.shape, dtype=torch.float32)
    pre[..., 1:] = fr[..., 1:] - 0.97 * fr[..., :-1] - 0.03 * m
    pre[..., :1] = (fr[..., :1] - m) * (1 - 0.97)
    pre *= torch.from_numpy(np.asarray(window, dtype=np.float32))
    spec = torch.view_as_real(torch.fft.rfft(pre, n=512))
    power = spec.square().sum(-1)
    mel = torch.clamp(power @ torch.from_numpy(np.asarray(mel_filters, dtype=np.float32)), min=1.192092955078125e-07)
    feats = torch.log(mel)
    n = feats.shape[1]
    if n < max_length:
        feats = torch.nn.functional.pad(feats, (0, 0, 0, max_length - n))
    else:
        feats = feats[:, :max_length]
    if do_normalize:
        feats = (feats - mean) / (std * 2)
    return feats.contiguous()


@lru_cache(maxsize=4)
def _htk_mel(n_fft: int, n_mels: int, fmin: float, fmax: float, sr: int) -> torch.Tensor:
    import librosa
    m = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=True, norm=None)
    return torch.from_numpy(m.T.astype(np.float32))


def yamnet_logmel(x: np.ndarray) -> torch.Tensor:
    """(N, T) -> (N, frames, 64) YAMNet log-mel."""
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    st = torch.stft(t, 512, 160, win_length=400, window=torch.hann_window(400, periodic=True), center=False,
                    return_complex=True)  # the window is centred in the 512-point frame (shift-invariant |X|)
    mag = st.abs().transpose(1, 2)
    return torch.log(mag @ _htk_mel(512, 64, 125.0, 7500.0, SAMPLE_RATE) + 1e-6)


def yamnet_patches(x: np.ndarray) -> tuple[np.ndarray, int]:
    """(N, T) -> ((N * P, 1, 96, 64) float32 patches, P): 96-frame patches at a hop of 48 frames."""
    lm = yamnet_logmel(x)
    if lm.shape[1] < 96:
        lm = torch.nn.functional.pad(lm, (0, 0, 0, 96 - lm.shape[1]))
    patches = lm.unfold(1, 96, 48).permute(0, 1, 3, 2)  # (N, P, 96, 64)
    n, p = patches.shape[:2]
    return patches.reshape(n * p, 1, 96, 64).numpy(), p


@lru_cache(maxsize=2)
def _whisper_mel(n_mels: int) -> torch.Tensor:
    from transformers import WhisperFeatureExtractor
    return torch.from_numpy(np.asarray(WhisperFeatureExtractor(feature_size=n_mels).mel_filters, dtype=np.float32))


def whisper_logmel(x: np.ndarray, n_mels: int = 80) -> torch.Tensor:
    """(N, T) -> (N, n_mels, T // 160) Whisper log-mel (no padding to 30 s)."""
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    st = torch.stft(t, 400, 160, window=torch.hann_window(400), return_complex=True)
    mag = st[..., :-1].abs() ** 2
    mel = (_whisper_mel(n_mels).T @ mag)
    log = torch.clamp(mel, min=1e-10).log10()
    log = torch.maximum(log, log.amax(dim=(1, 2), keepdim=True) - 8.0)
    return (log + 4.0) / 4.0
