"""Public hub checkpoints of the kind the paper uses (fine-tuned transformer audio classifiers, one
set per task) and how their labels map.

None can be downloaded on the project machines; a user who has one (in the Hugging Face cache or as a
local folder with safetensors weights) loads it with ``suffice.models.resolve_model(id_or_folder, labels=..., task=...)`` (or
``suffice explain --model ID --labels MAP``), or ``suffice.models.load_hf(id_or_folder, task=...,
label_map=...)``.  The mappings below are what we expect from each model card's ``id2label``; names
that are recognisable map themselves and the loader refuses a mapping that contradicts a label's name.
Generic labels (``LABEL_0``) always need an explicit mapping: check the model card before trusting one.
Unverified here (no network): treat each entry's ``label_map`` as a starting point.
"""
from __future__ import annotations

from typing import Any

#: hub id -> task, backbone family, expected raw labels, label_map (None: names map themselves)
CHECKPOINTS: dict[str, dict[str, Any]] = {
    "sanchit-gandhi/distilhubert-finetuned-gtzan": {
        "task": "genre", "family": "DistilHuBERT",
        "raw_labels": ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae",
                       "rock"], "label_map": None},
    "ehcalabres/wav2vec2-lg-xlsr-en-speech-emotion-recognition": {
        "task": "emotion", "family": "Wav2Vec2 (XLSR)",
        "raw_labels": ["angry", "calm", "disgust", "fearful", "happy", "neutral", "sad", "surprised"],
        "label_map": None},
    "abhishtagatya/hubert-base-960h-asv19-deepfake": {
        "task": "deepfake", "family": "HuBERT", "raw_labels": ["spoof", "bonafide"], "label_map": None,
        "note": "if the config says LABEL_0/LABEL_1, read the model card and pass label_map explicitly"},
    "abhishtagatya/hubert-base-960h-itw-deepfake": {
        "task": "deepfake", "family": "HuBERT", "raw_labels": ["spoof", "bonafide"], "label_map": None},
    "abhishtagatya/wavlm-base-960h-itw-deepfake": {
        "task": "deepfake", "family": "WavLM", "raw_labels": ["spoof", "bonafide"], "label_map": None},
    "MelodyMachine/Deepfake-audio-detection-V2": {
        "task": "deepfake", "family": "Wav2Vec2", "raw_labels": ["fake", "real"], "label_map": None,
        "note": "0 = fake: the order differs from bonafide-first models; the names map it correctly"},
    "Gustking/wav2vec2-large-xlsr-deepfake-audio-classification": {
        "task": "deepfake", "family": "Wav2Vec2 (XLSR)", "raw_labels": ["LABEL_0", "LABEL_1"],
        "label_map": None,
        "note": "generic labels: the loader refuses it until label_map={'LABEL_0': ..., 'LABEL_1': ...} is "
                "given from the model card"},
}


def checkpoints(task: str | None = None) -> dict[str, dict[str, Any]]:
    """The documented public checkpoints (of one task)."""
    return {k: v for k, v in CHECKPOINTS.items() if task is None or v["task"] == task}
