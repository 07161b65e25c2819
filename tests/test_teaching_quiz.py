"""The listening quiz: shuffled sufficient signals, and answers that match the toy models' analytic rule."""
from __future__ import annotations

import numpy as np
import pytest

from suffice.book.teaching_quiz import listening_quiz
from suffice.plotting.audio import level_matched
from suffice.errors import OptionError
from suffice.toys import BandEnergyClassifier, ToneClassifier, WholeSpectrumClassifier, tone_clip

N = 8000


def band_models() -> list[BandEnergyClassifier]:
    return [BandEnergyClassifier(100, 1000, min_rms=0.04, name="low"),
            BandEnergyClassifier(1500, 3500, min_rms=0.04, name="high"),
            BandEnergyClassifier(100, 3500, min_rms=0.06, name="wide")]


@pytest.fixture(scope="module")
def quiz():
    # bins of a 0.5 s clip are 2 Hz apart: tones at 220, 330, 660, 1760, 2640 and 3200 Hz
    clip = tone_clip([110, 165, 330, 880, 1320, 1600], N, [0.06, 0.05, 0.04, 0.05, 0.04, 0.03], noise=0.01)
    return listening_quiz(band_models(), clip, seed=0)


def test_every_model_makes_one_signal_in_a_shuffled_order(quiz):
    assert sorted(e.model for e in quiz.explanations) == ["high", "low", "wide"]
    assert quiz.signal_names == ["signal 1", "signal 2", "signal 3"]
    assert list(quiz.answers()["made by"]) == [e.model for e in quiz.explanations]
    again = listening_quiz(band_models(), quiz.clip, seed=0)
    assert [e.model for e in again.explanations] == [e.model for e in quiz.explanations]  # seeded


def test_answers_follow_the_band_energy_rule(quiz):
    """A band model accepts a signal iff the signal's RMS in its band reaches its threshold."""
    ok = quiz.accepted()
    models = {m.name: m for m in band_models()}
    for label, e in zip(quiz.signal_names, quiz.explanations):
        assert ok.loc[label, e.model]  # a sufficient signal is accepted by its producer
        for name, m in models.items():
            in_band = np.sqrt(m.bin_powers(e.sufficient_signal[None]).sum())
            assert ok.loc[label, name] == (in_band >= m.min_rms), (label, name, in_band)
    assert not ok.all().all()  # the quiz has something to predict
    table = quiz.answers()
    assert all(str(v).startswith(("accepts (", "rejects (")) for v in table[list(models)].to_numpy().ravel())


def test_players_give_each_signal_and_a_labelled_level_matched_copy(quiz, monkeypatch):
    monkeypatch.delenv("SUFFICE_AUDIO_DIR", raising=False)
    html = quiz.players(name="t").data
    assert html.count("<audio") == 1 + 2 * len(quiz.explanations)
    assert html.count("level-matched to the original") == len(quiz.explanations)


def test_level_matched_has_the_reference_level():
    rng = np.random.default_rng(0)
    x, ref = 0.01 * rng.normal(size=1000), 0.1 * rng.normal(size=1000)
    y = level_matched(x, ref)
    assert np.sqrt(np.mean(y.astype(np.float64) ** 2)) == pytest.approx(np.sqrt(np.mean(ref ** 2)), rel=1e-5)
    assert np.corrcoef(x, y)[0, 1] == pytest.approx(1.0)
    assert not level_matched(np.zeros(10), ref).any()
    assert np.max(np.abs(level_matched(x, 10 * ref))) <= 0.99  # scaled down rather than clipped


def test_bad_model_lists_are_one_line_errors():
    clip = tone_clip([110], N, 0.1, noise=0.01)
    with pytest.raises(OptionError, match="at least two models"):
        listening_quiz(band_models()[:1], clip)
    with pytest.raises(OptionError, match="distinct names"):
        listening_quiz([band_models()[0], band_models()[0]], clip)
    with pytest.raises(OptionError, match="no sufficient signal"):  # it needs the whole spectrum
        listening_quiz([ToneClassifier([110], name="tone"), WholeSpectrumClassifier(clip)], clip)


def test_the_solution_figure_has_one_titled_panel_per_signal(quiz):
    import matplotlib
    matplotlib.use("Agg")
    fig = quiz.plot(max_hz=6000)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("signal 1, made by ") and len(titles) == len(quiz.explanations)


def test_the_transfer_exercise_band_model_speaks_deepfake_labels_and_names_its_band():
    from suffice.book.teaching_models import BandModel
    m = BandModel("A", 300, 3000)
    assert m.labels == ("bonafide", "spoof") and m.identity() == "A: band 300-3000 Hz, min_rms 0.04"
