"""Tiny members of the paper's backbone families, built from transformers configs (no download).

Each builder returns ``(model, feature_extractor)`` for given canonical labels and clip length; the
model is randomly initialised (seeded by the caller) and trained by :mod:`suffice.models.training`.
Sizes are chosen so that a batch of 32 clips of 4 s costs a few ms per clip on a 2-core CPU.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import transformers as T

from ..constants import SAMPLE_RATE
from ..errors import UnknownNameError

#: a small convolutional waveform encoder (hop 320 samples = 20 ms, like the full-size models)
_CONV = dict(conv_dim=(16, 32, 32, 32), conv_stride=(5, 4, 4, 4), conv_kernel=(10, 8, 4, 4),
             num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, feat_extract_norm="group")
_NO_DROP = dict(hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0,
                final_dropout=0.0, layerdrop=0.0, mask_time_prob=0.0, mask_feature_prob=0.0)


def _labels(labels: Sequence[str]) -> dict[str, Any]:
    return dict(num_labels=len(labels), id2label=dict(enumerate(labels)),
                label2id={l: i for i, l in enumerate(labels)})


def _waveform_extractor() -> Any:
    """The raw-waveform front end shared by the wav2vec2 and HuBERT families (per-clip normalisation)."""
    return T.Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=SAMPLE_RATE, do_normalize=True,
                                      return_attention_mask=False)


def wav2vec2(labels: Sequence[str], seconds: float) -> tuple[Any, Any]:
    """Wav2Vec2: conv waveform encoder + 2 transformer layers of width 64."""
    cfg = T.Wav2Vec2Config(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
                           classifier_proj_size=64, **_CONV, **_NO_DROP, **_labels(labels))
    fe = _waveform_extractor()
    return T.Wav2Vec2ForSequenceClassification(cfg), fe


def hubert(labels: Sequence[str], seconds: float) -> tuple[Any, Any]:
    """HuBERT: conv waveform encoder + 4 transformer layers of width 64."""
    cfg = T.HubertConfig(hidden_size=64, num_hidden_layers=4, num_attention_heads=4, intermediate_size=128,
                         classifier_proj_size=64, **_CONV, **_NO_DROP, **_labels(labels))
    fe = _waveform_extractor()
    return T.HubertForSequenceClassification(cfg), fe


def distilhubert(labels: Sequence[str], seconds: float) -> tuple[Any, Any]:
    """DistilHuBERT-style: a HuBERT config with distillation-sized layers (2 wide layers, 96 x 4)."""
    cfg = T.HubertConfig(hidden_size=96, num_hidden_layers=2, num_attention_heads=4, intermediate_size=384,
                         classifier_proj_size=96, **_CONV, **_NO_DROP, **_labels(labels))
    fe = _waveform_extractor()
    return T.HubertForSequenceClassification(cfg), fe


def ast(labels: Sequence[str], seconds: float) -> tuple[Any, Any]:
    """Audio Spectrogram Transformer on 64-band Kaldi fbanks, 16 x 16 patches, 2 layers of width 64."""
    frames = int(round(seconds * 100)) - 2
    cfg = T.ASTConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
                      num_mel_bins=64, max_length=frames, frequency_stride=16, time_stride=16, patch_size=16,
                      hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **_labels(labels))
    fe = T.ASTFeatureExtractor(num_mel_bins=64, max_length=frames)
    return T.ASTForAudioClassification(cfg), fe


def whisper(labels: Sequence[str], seconds: float) -> tuple[Any, Any]:
    """Whisper encoder (2 layers of width 64) on 80-band log-mels of the clip's length, mean-pooled."""
    chunk = int(round(seconds))
    cfg = T.WhisperConfig(d_model=64, encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=128,
                          decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=128, num_mel_bins=80,
                          max_source_positions=chunk * 50, classifier_proj_size=64, dropout=0.0,
                          attention_dropout=0.0, activation_dropout=0.0, **_labels(labels))
    fe = T.WhisperFeatureExtractor(feature_size=80, chunk_length=chunk)
    return T.WhisperForAudioClassification(cfg), fe


FAMILIES: dict[str, Callable[[Sequence[str], float], tuple[Any, Any]]] = {
    "wav2vec2": wav2vec2, "hubert": hubert, "distilhubert": distilhubert, "ast": ast, "whisper": whisper,
}


def build(family: str, labels: Sequence[str], seconds: float) -> tuple[Any, Any]:
    """(model, feature extractor) of a tiny ``family`` model for ``labels`` and clips of ``seconds``."""
    try:
        return FAMILIES[family](labels, seconds)
    except KeyError:
        raise UnknownNameError(f"unknown model family {family!r}; known: {', '.join(FAMILIES)}") from None
