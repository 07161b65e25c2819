"""A listening quiz for a class: hear each model's sufficient signal of one clip, predict who accepts it.

:func:`listening_quiz` explains one clip with every model, shuffles the sufficient signals into
"signal 1", "signal 2", ... (so that the order gives nothing away), and asks every model for its answer
on every signal.  :meth:`ListeningQuiz.players` gives the players for the students (each signal as it
is and a copy level-matched to the original, labelled as such); :meth:`ListeningQuiz.answers` is the
solution: who made each signal and what every model answered on it.  A model *accepts* a signal when
it gives it the class that the signal's producer gave the original clip (the class criterion of
:func:`suffice.transfer.table.transfer_outcome`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..classifier import Classifier, predict_in_batches
from ..errors import OptionError
from ..explanation import Explanation
from ..plotting.audio import level_matched


@dataclass(frozen=True)
class ListeningQuiz:
    """One clip, each model's sufficient signal of it in a shuffled order, and every model's answers.

    ``explanations[i]`` made "signal i+1"; ``probabilities[i][name]`` is model ``name``'s class
    probabilities on that signal.
    """

    clip: np.ndarray
    sample_rate: int
    models: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]
    explanations: tuple[Explanation, ...]
    probabilities: tuple[dict[str, np.ndarray], ...]

    @property
    def signal_names(self) -> list[str]:
        return [f"signal {i + 1}" for i in range(len(self.explanations))]

    def players(self, *, name: str = "quiz"):
        """HTML players: the original, then each signal as it is and level-matched to the original."""
        from ..plotting.audio import audio_players

        signals = {"original clip": self.clip}
        for label, e in zip(self.signal_names, self.explanations):
            signals[label] = e.sufficient_signal
            signals[f"{label}, level-matched to the original (for listening only)"] = level_matched(
                e.sufficient_signal, self.clip)
        return audio_players(signals, self.sample_rate, name=name)

    def plot(self, *, max_hz: float | None = None):
        """The spectrum of each signal with the bins it kept, one panel each up to ``max_hz``, titled with
        the model that made it and its size (the solution's figure).  Returns the figure."""
        import matplotlib.pyplot as plt

        from ..plotting.audio import plot_spectrum

        fig, axes = plt.subplots(len(self.explanations), 1, figsize=(8, 2.6 * len(self.explanations)),
                                 layout="constrained", sharex=True)
        for ax, label, e in zip(axes, self.signal_names, self.explanations):
            plot_spectrum(e, ax, max_hz=max_hz)
            ax.set_title(f"{label}, made by {e.model}: {e.size} bin{'s' * (e.size != 1)} kept", fontsize="medium")
        return fig

    def accepted(self) -> pd.DataFrame:
        """Signals x models: True where the model gives the signal its producer's class."""
        rows = {}
        for label, e, probs in zip(self.signal_names, self.explanations, self.probabilities):
            rows[label] = {g: self.labels[g][int(np.argmax(probs[g]))] == e.target for g in self.models}
        return pd.DataFrame.from_dict(rows, orient="index")[list(self.models)]

    def answers(self) -> pd.DataFrame:
        """The solution: per signal, its producer, its size, and each model's answer
        (``accepts``/``rejects``, its top class and that class's probability)."""
        ok = self.accepted()
        rows = []
        for label, e, probs in zip(self.signal_names, self.explanations, self.probabilities):
            row = {"signal": label, "made by": e.model, "class": e.target, "bins kept": e.size}
            for g in self.models:
                top = int(np.argmax(probs[g]))
                row[g] = (f"{'accepts' if ok.loc[label, g] else 'rejects'} "
                          f"({self.labels[g][top]}, p={probs[g][top]:.2f})")
            rows.append(row)
        return pd.DataFrame(rows).set_index("signal")


def listening_quiz(models: Sequence[Classifier], clip: np.ndarray, *, seed: int = 0,
                   **explain_options: object) -> ListeningQuiz:
    """Explain ``clip`` with each of ``models`` (each for its own top class; ``explain_options`` go to
    :func:`suffice.explain`), shuffle the sufficient signals with ``seed``, and record every model's
    probabilities on every signal.

    Raises :class:`~suffice.errors.OptionError` for fewer than two models, repeated names or models at
    different sample rates, and when a search finds no sufficient signal.
    """
    from ..search import explain

    if len(models) < 2:
        raise OptionError(f"a listening quiz needs at least two models, got {len(models)}")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise OptionError(f"the quiz's models need distinct names, got {names}")
    rates = {m.sample_rate for m in models}
    if len(rates) != 1:
        raise OptionError(f"the quiz's models must share one sample rate, got {sorted(rates)}")
    expls = []
    for m in models:
        e = explain(m, clip, seed=seed, **explain_options)
        if not e.found:
            raise OptionError(f"model {m.name!r} has no sufficient signal of this clip within the search's "
                              "budget: choose another clip or model")
        expls.append(e)
    order = np.random.default_rng(seed).permutation(len(expls))
    expls = [expls[i] for i in order]
    signals = np.stack([e.sufficient_signal for e in expls])
    by_model = {m.name: predict_in_batches(m, signals, len(signals)) for m in models}
    probs = tuple({g: by_model[g][i] for g in names} for i in range(len(expls)))
    return ListeningQuiz(np.asarray(clip, dtype=np.float32), rates.pop(), tuple(names),
                         {m.name: tuple(m.labels) for m in models}, tuple(expls), probs)


__all__ = ["ListeningQuiz", "listening_quiz"]
