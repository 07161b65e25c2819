"""The benchmark's work items: (model, clip) pairs, with the true minimum where it is known.

* ``oracle``: analytic classifiers (:mod:`suffice.toys`) whose minimal sufficient sets are known
  exactly (tones: the required bins; band: the fewest loudest in-band bins), a non-monotone model
  (keeping a loud bin loses the class; minimum 1) and a magnitude-prior trap (20 loud tones needed
  together, or one quiet tone alone; minimum 1), plus one clip where only the whole spectrum is
  sufficient.  1 s clips at 16 kHz (8,001 bins).  Standalone: no data needed.
* ``scaling``: one tone oracle on 1 s, 4 s and 30 s clips (8,001, 32,001 and 240,001 bins; 30 s at
  16 kHz is the paper's setting).
* ``real``: clips of each task's corpus (``suffice.corpora``) under zoo models (``suffice.models``)
  of every model family of the task (wav2vec2, ast, yamnet, whisper, musicnn ...: the name's stem
  before the first ``-``), at least ``models_per_task``; skipped, with the reason recorded, when the
  corpora or models are not built.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..classifier import Classifier
from ..toys import (BandEnergyClassifier, ToneClassifier, WholeSpectrumClassifier, pairs_clip, share_clip,
                    tone_clip, trap_clip)
from ..tasks import TASKS

from ..constants import SAMPLE_RATE as RATE


@dataclass
class Case:
    """One explanation to run with every method."""

    kind: str                    # oracle | scaling | real
    name: str                    # unique within a run
    model: Classifier
    waveform: np.ndarray
    task: str = ""
    clip: str = ""
    true_min: int | None = None  # size of the smallest sufficient set, when known
    expect_found: bool = True
    rex_ok: bool = True          # run the ReX family (thousands of calls) on this case

    @property
    def n_bins(self) -> int:
        return len(self.waveform) // 2 + 1

    @property
    def seconds(self) -> float:
        return len(self.waveform) / RATE

    @property
    def family(self) -> str:
        """The model family (:func:`model_family`) for real clips; ``"toy"`` for oracle and scaling cases."""
        return model_family(str(self.model.name)) if self.kind == "real" else "toy"


def _tone_case(name: str, required_hz: list[float], decoys_hz: list[float], seconds: float,
               decoy_gain: float, seed: int, kind: str = "oracle") -> Case:
    n = int(round(seconds * RATE))
    bins = [int(round(f * n / RATE)) for f in required_hz]
    dec = [int(round(f * n / RATE)) for f in decoys_hz]
    amps = [0.05] * len(bins) + [0.05 * decoy_gain] * len(dec)
    x = tone_clip(bins + dec, n, amps, noise=0.003, seed=seed)
    model = ToneClassifier(freqs=required_hz, min_amplitude=0.02, name=f"toy/tones:{len(bins)}")
    return Case(kind, name, model, x, clip=name, true_min=len(bins))


def oracle_cases(quick: bool = False) -> list[Case]:
    """Analytic cases with known minimal sets (and one 'not found' case)."""
    cases = [
        _tone_case("tones1-loudest", [1000.0], [250.0, 3000.0], 1.0, 0.5, 1),
        _tone_case("tones3-decoys", [300.0, 1250.0, 4100.0], [700.0, 2000.0, 5500.0], 1.0, 2.0, 2),
        _tone_case("tones5-spread", [180.0, 950.0, 2600.0, 4800.0, 7100.0], [500.0, 3300.0], 1.0, 1.5, 3),
        _tone_case("tones2-near", [2000.0, 2003.0], [1000.0], 1.0, 3.0, 4),
    ]
    rng = np.random.default_rng(7)
    t = np.arange(RATE) / RATE
    band_clip = (0.02 * rng.standard_normal(RATE) + 0.05 * np.sin(2 * np.pi * 1200 * t)
                 + 0.03 * np.sin(2 * np.pi * 2400 * t + 1.0)).astype(np.float32)
    band = BandEnergyClassifier(800.0, 3000.0, min_rms=0.02)
    cases.append(Case("oracle", "band800-3000", band, band_clip, clip="band800-3000",
                      true_min=band.minimum_size(band_clip)))
    share_model, share_x = share_clip(RATE, seed=0)
    cases.append(Case("oracle", "non-monotone", share_model, share_x, clip="non-monotone", true_min=1))
    trap_model, trap_x = trap_clip(RATE, seed=0)
    cases.append(Case("oracle", "prior-trap", trap_model, trap_x, clip="prior-trap", true_min=1))
    pairs_model, pairs_x = pairs_clip(RATE, 120, seed=1)
    cases.append(Case("oracle", "pairs120", pairs_model, pairs_x, clip="pairs120", true_min=120))
    whole_clip = (0.05 * rng.standard_normal(RATE)).astype(np.float32)
    cases.append(Case("oracle", "whole-spectrum", WholeSpectrumClassifier(whole_clip), whole_clip,
                      clip="whole-spectrum", true_min=None, expect_found=False))
    if quick:
        cases = [c for c in cases if c.name in ("tones1-loudest", "tones3-decoys", "band800-3000",
                                                "prior-trap", "pairs120", "whole-spectrum")]
    return cases


def scaling_cases(durations: tuple[float, ...] = (1.0, 4.0, 30.0)) -> list[Case]:
    """The same tone oracle on clips of each duration."""
    return [_tone_case(f"scaling-{d:g}s", [440.0, 1000.0, 2500.0], [300.0, 1800.0], d, 1.5, 11,
                       kind="scaling") for d in durations]


@dataclass
class RealPlan:
    """Which real clips and models to use."""

    clips_per_task: int = 2
    models_per_task: int = 3
    rex_clips_per_model: int = 1   # clips per model that the ReX family (rex-xai, rex) also runs on
    rex_budget_s: float = 360.0    # total time the ReX family may spend on real clips
    rex_case_cap_s: float = 90.0   # skip a ReX run whose estimated time exceeds this
    #: True: every model family is benchmarked on one task only (see :func:`spread_families`), so each
    #: family still appears once, at a third of the real cases; False: every family on every task
    spread_families: bool = False
    skipped: list[str] = field(default_factory=list)


def quick_plan() -> RealPlan:
    """``--quick``: 1 clip per task, every model family once (on one task each, the first model of
    the family), a small ReX budget."""
    return RealPlan(clips_per_task=1, models_per_task=1, rex_clips_per_model=1, rex_budget_s=120.0,
                    rex_case_cap_s=60.0, spread_families=True)


def spread_families(names_by_task: dict[str, list[str]]) -> dict[str, set[str]]:
    """Each model family given to one task: the families found in fewest tasks first (then in order of
    first appearance), each to the task that has it with the fewest families so far (ties: task
    order).  Returns task -> families."""
    tasks = list(names_by_task)
    having = {}
    for t in tasks:
        for fam in map(model_family, names_by_task[t]):
            having.setdefault(fam, [])
            if t not in having[fam]:
                having[fam].append(t)
    out: dict[str, set[str]] = {t: set() for t in tasks}
    for fam in sorted(having, key=lambda f: len(having[f])):  # stable: first appearance breaks ties
        out[min(having[fam], key=lambda t: (len(out[t]), tasks.index(t)))].add(fam)
    return out


def real_cases(profile: str, plan: RealPlan, *, log: Callable[[str], Any] = print,
               seed: int = 0) -> list[Case]:
    """Clips of each task under the first ``models_per_task`` zoo models (fast and slow mixed).

    Reasons for anything skipped are appended to ``plan.skipped``.
    """
    try:
        from .. import models as zoo
        from ..corpora import manifest
        from ..study.clips import load_clips
    except Exception as exc:  # the zoo or corpora are not there (yet)
        plan.skipped.append(f"real clips skipped: {type(exc).__name__}: {exc}")
        return []
    cases: list[Case] = []
    all_names = {task: list(zoo.names(task, profile=profile)) for task in TASKS}
    spread = spread_families(all_names) if plan.spread_families else None
    for task in TASKS:
        try:
            names = all_names[task]
            man = manifest(task, profile)
        except Exception as exc:
            plan.skipped.append(f"{task}: {type(exc).__name__}: {exc}")
            continue
        if spread is not None:
            names = [n for n in names if model_family(n) in spread[task]]
        primary = pick_by_family(names, plan.models_per_task)
        names = primary + [n for n in names if n not in primary]  # the rest are spares for unbuilt ones
        test = man[man["split"] == "test"] if "split" in man.columns else man
        if test.empty:
            test = man
        rows = test.sample(n=min(plan.clips_per_task, len(test)), random_state=seed).sort_values("clip_id")
        clips, failures = load_clips(rows, RATE)
        for f in failures:
            plan.skipped.append(f"{task}/{f['clip_id']}: {f['reason']}")
        used = []
        for name in names:
            if len(used) == len(primary):
                break
            try:
                model = zoo.load(name, profile=profile)
            except Exception as exc:
                plan.skipped.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            used.append(name)
            for i, c in enumerate(clips):
                cases.append(Case("real", f"{name}/{c.clip_id}", model, c.waveform, task=task,
                                  clip=c.clip_id, rex_ok=i < plan.rex_clips_per_model))
        log(f"{task}: {len(clips)} clips x {len(used)} models ({', '.join(used)})")
    return interleave(cases)


def interleave(cases: list[Case]) -> list[Case]:
    """ReX-eligible cases first, round-robin over tasks (so a time budget is shared by the tasks)."""
    rank: dict[tuple[str, str], int] = {}
    for c in cases:
        rank.setdefault((c.task, str(c.model.name)), sum(t == c.task for t, _ in rank))
    order = {t: i for i, t in enumerate(TASKS)}
    return sorted(cases, key=lambda c: (not c.rex_ok, rank[(c.task, str(c.model.name))], order.get(c.task, 9)))


def pick_models(names: list[str], k: int) -> list[str]:
    """``k`` names spread over the list (the zoo lists cheap models first, so both ends are kept)."""
    if len(names) <= k:
        return names
    idx = np.unique(np.linspace(0, len(names) - 1, k).round().astype(int))
    return [names[i] for i in idx]


def model_family(name: str) -> str:
    """A zoo model's family: the stem of its name before the first ``-`` (``genre/ast-tiny`` -> ``ast``)."""
    return name.rsplit("/", 1)[-1].split("-", 1)[0]


def pick_by_family(names: list[str], k: int) -> list[str]:
    """The first model of every family (the zoo lists cheap ones first), then others spread over
    the list up to ``k`` in all; in the zoo's order."""
    first: dict[str, str] = {}
    for n in names:
        first.setdefault(model_family(n), n)
    chosen = list(first.values())
    rest = [n for n in names if n not in chosen]
    chosen += pick_models(rest, max(0, k - len(chosen)))
    return [n for n in names if n in chosen]
