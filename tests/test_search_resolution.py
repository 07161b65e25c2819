"""Explanations at a declared resolution (suffice.search.resolution): atoms, coarse to fine.

Analytic classifiers whose answer at a resolution is known: a model that needs a share of the energy
in a few frequency regions of a noise clip (toys.RegionsClassifier), checked independently of the
search (every kept atom's removal fails, the set passes, it is no smaller than the known minimum), at
two clip lengths and several batch sizes; and the single-bin search unchanged.
"""
from __future__ import annotations

import numpy as np
import pytest

from suffice import OptionError, explain
from suffice.explanation import Explanation
from suffice.search.evaluator import MaskEvaluator
from suffice.search.options import validate
from suffice.search.resolution import AtomView, atoms_of, levels, width_in_bins
from suffice.toys import RegionsClassifier, ToneClassifier, tone_clip

SR = 16000
REGIONS = [(300.0, 700.0), (1500.0, 2300.0), (4000.0, 5200.0)]


def noise_case(n_samples: int, seed: int = 0, share: float = 0.3) -> tuple[RegionsClassifier, np.ndarray]:
    x = np.random.default_rng(seed).normal(0, 0.1, n_samples).astype(np.float32)
    return RegionsClassifier(REGIONS, x, share=share), x


def check_verified_at(model, x: np.ndarray, e: Explanation) -> None:
    """Independently of the search: the set is whole atoms of its width, it passes, and removing any one
    of its atoms fails (1-minimal at that resolution)."""
    w = e.resolution_bins
    atoms = np.unique(np.flatnonzero(e.keep) // w)
    grid = np.zeros_like(e.keep)
    for a in atoms:
        grid[a * w:(a + 1) * w] = True
    assert np.array_equal(grid, e.keep), "the set is not a union of whole atoms"
    spec = np.fft.rfft(x.astype(np.float64))
    target = list(model.labels).index(e.target)

    def passes(keep):
        p = model.predict_proba(np.fft.irfft(np.where(keep, spec, 0), n=len(x))[None])[0]
        return int(np.argmax(p)) == target
    assert passes(e.keep)
    for a in atoms:
        less = e.keep.copy()
        less[a * w:(a + 1) * w] = False
        assert not passes(less), f"atom {a} could go"


def test_atoms_tile_the_kept_bins_on_the_grid():
    keep = np.zeros(40, bool)
    keep[3:13] = keep[20:22] = keep[39] = True
    s, e = atoms_of(keep, 4)
    assert list(zip(s, e)) == [(3, 4), (4, 8), (8, 12), (12, 13), (20, 22), (39, 40)]
    assert levels(64) == [64, 16, 4, 1] and levels(64, 4) == [64, 16, 4] and levels(5) == [5, 1]
    assert levels(8, 8) == [8]
    assert width_in_bins(None, SR, 16000) == 1 and width_in_bins(16.0, SR, 32000) == 32


@pytest.mark.parametrize("n_samples", [16000, 24000])
def test_a_view_of_single_bin_atoms_is_the_evaluator_itself(n_samples):
    """The default strategy through an AtomView of one-bin atoms: the same set, calls and verdict."""
    from suffice.search.strategies import suffice as strategy
    model, x = noise_case(n_samples)
    own = validate(strategy.OPTIONS, {}, owner=strategy.NAME)
    direct = strategy.search(MaskEvaluator(model, x, batch_size=16), seed=3, contrastive=False, complete=False,
                             **own)
    ev = MaskEvaluator(model, x, batch_size=16)
    k = ev.n_bins
    viewed = strategy.search(AtomView(ev, np.arange(k), np.arange(k) + 1), seed=3, contrastive=False,
                             complete=False, **own)
    assert np.array_equal(direct.keep, viewed.keep) and direct.verified_minimal == viewed.verified_minimal
    assert direct.meta.get("n_calls", None) == viewed.meta.get("n_calls", None)


@pytest.mark.parametrize("n_samples", [16000, 24000])
@pytest.mark.parametrize("hz", [8.0, 32.0])
def test_one_level_finds_a_set_verified_at_its_resolution(n_samples, hz):
    model, x = noise_case(n_samples)
    e = explain(model, x, seed=0, resolution_hz=hz, refine_to_hz=hz)
    w = width_in_bins(hz, SR, n_samples)
    assert e.found and e.verified_minimal and not e.budget_exhausted and e.resolution_bins == w
    assert e.resolution_hz == pytest.approx(w * SR / n_samples)
    check_verified_at(model, x, e)
    assert len(np.unique(np.flatnonzero(e.keep) // w)) >= model.minimum_atoms(x, w)


@pytest.mark.parametrize("n_samples", [16000, 24000])
def test_coarse_to_fine_ends_verified_at_single_bins_inside_the_coarse_set(n_samples):
    model, x = noise_case(n_samples)
    e = explain(model, x, seed=0, resolution_hz=64.0)
    lv = e.levels
    assert [v["width_bins"] for v in lv] == levels(width_in_bins(64.0, SR, n_samples))
    verified = [v["width_bins"] for v in lv if v["verified"]]
    assert verified and e.resolution_bins == verified[-1] and e.verified_minimal
    assert all(v["verified"] or v["budget_exhausted"] for v in lv)
    assert e.budget_exhausted == any(v["budget_exhausted"] for v in lv)
    check_verified_at(model, x, e)
    sizes = [v["kept_bins"] for v in lv]
    assert sizes == sorted(sizes, reverse=True) and e.size == [v["kept_bins"] for v in lv if v["verified"]][-1]
    coarse = explain(model, x, seed=0, resolution_hz=64.0, refine_to_hz=64.0)
    assert not (e.keep & ~coarse.keep).any(), "a finer set leaves the coarse set's atoms"
    assert e.n_model_calls == sum(v["calls"] for v in lv) + 1


def test_tones_are_refined_to_single_bins():
    x = tone_clip([660, 1500, 3750], amplitude=0.2, n_samples=24000)  # 440, 1000 and 2500 Hz
    model = ToneClassifier(freqs=[440, 1000, 2500])
    e = explain(model, x, seed=0, resolution_hz=64.0)
    assert e.resolution_bins == 1 and e.verified_minimal and not e.budget_exhausted
    assert e.size == explain(model, x, seed=0).size == 3
    check_verified_at(model, x, e)


@pytest.mark.parametrize("n_samples", [16000, 24000])
def test_the_same_seed_gives_the_same_result_at_any_batch_size(n_samples):
    model, x = noise_case(n_samples, seed=2)
    runs = [explain(model, x, seed=5, resolution_hz=32.0, batch_size=b) for b in (1, 7, 64)]
    for r in runs[1:]:
        assert r.same_result(runs[0]) and r.levels == runs[0].levels


def test_a_cut_refinement_keeps_the_coarse_verified_set_and_says_so():
    model, x = noise_case(16000)
    full = explain(model, x, seed=0, resolution_hz=64.0)
    coarse_calls = full.levels[0]["calls"] + 1
    e = explain(model, x, seed=0, resolution_hz=64.0, max_calls=coarse_calls + 3)
    assert e.n_model_calls <= coarse_calls + 3
    assert e.budget_exhausted and e.verified_minimal and not e.budget_cut
    assert e.resolution_bins == full.levels[0]["width_bins"]
    check_verified_at(model, x, e)
    cut = explain(model, x, seed=0, resolution_hz=64.0, max_calls=4)
    assert cut.n_model_calls <= 4 and cut.budget_exhausted and cut.budget_cut and not cut.verified_minimal


def test_silence_and_the_other_strategies():
    x = tone_clip([440], amplitude=0.2)
    quiet = ToneClassifier(freqs=[440], min_amplitude=10.0)  # the class for silence is "other"
    e = explain(quiet, x, seed=0, resolution_hz=16.0, target="other")
    assert e.found and e.size == 0 and e.verified_minimal and len(e.levels) == 1
    assert e.resolution_bins == 1  # the empty set is 1-minimal at every resolution: the finest asked for
    model, y = noise_case(16000)
    r = explain(model, y, seed=0, strategy="rex", resolution_hz=32.0, refine_to_hz=32.0)
    assert r.found and r.resolution_bins == 32
    assert np.array_equal(np.repeat(r.keep.reshape(-1)[: (len(r.keep) // 32) * 32].reshape(-1, 32).any(1), 32),
                          r.keep[: (len(r.keep) // 32) * 32])
    with pytest.raises(OptionError, match="single bins only"):
        explain(model, y, strategy="occlusion", resolution_hz=32.0)
    with pytest.raises(OptionError, match="needs resolution_hz"):
        explain(model, y, refine_to_hz=4.0)
    with pytest.raises(OptionError, match="must not exceed"):
        explain(model, y, resolution_hz=4.0, refine_to_hz=16.0)


def test_the_resolution_survives_json_and_old_json_reads_as_single_bins():
    model, x = noise_case(16000)
    e = explain(model, x, seed=0, resolution_hz=32.0, refine_to_hz=32.0, contrastive=True)
    back = Explanation.from_json(e.to_json())
    assert back.same_result(e) and back.resolution_bins == e.resolution_bins > 1
    assert e.necessary_keep is not None and not (e.keep & ~e.necessary_keep).any()
    d = e.to_dict()
    d.pop("resolution_bins")
    assert Explanation.from_dict(d).resolution_bins == 1


def test_the_command_line_says_the_resolution(tmp_path, capsys):
    import soundfile as sf
    from suffice.cli import main
    clip = tmp_path / "tones.wav"
    sf.write(clip, tone_clip([440, 1000], amplitude=0.2), SR)
    assert main(["explain", str(clip), "--model", "toy/tones:440,1000", "-o", "resolution_hz=16"]) == 0
    out = capsys.readouterr().out
    assert "resolution      atoms of 1 Hz (1 bins): verified 1-minimal" in out and "16 Hz, 4 Hz, 1 Hz" in out


class _DeepfakeRegions(RegionsClassifier):
    """A regions model speaking the deepfake vocabulary, for the study grid."""

    labels = ("bonafide", "spoof")

    def identity(self) -> str:
        return f"{self.name}:{self.regions}:{self.share}"


@pytest.mark.parametrize("n_samples", [16000, 24000])
def test_the_study_default_resolution_is_applied_and_recorded(tmp_path, n_samples):
    """The studies search at STUDY_SEARCH_DEFAULTS' resolution (one level), the tables record it and every
    set is verified at it; a study that sets either resolution option replaces both defaults (null: bins)."""
    from suffice.study import clips_from_arrays, run
    from suffice.study.run import STUDY_SEARCH_DEFAULTS, check_strategy_options, study_options
    hz = STUDY_SEARCH_DEFAULTS["resolution_hz"]
    assert STUDY_SEARCH_DEFAULTS["refine_to_hz"] == hz
    assert study_options({"resolution_hz": None}) == {"robustness": "repair", "resolution_hz": None}
    assert check_strategy_options("suffice", {"resolution_hz": None})["refine_to_hz"] is None
    assert check_strategy_options("suffice", {"resolution_hz": 64.0})["refine_to_hz"] is None  # 64 Hz to bins
    model, x = noise_case(n_samples)
    model = _DeepfakeRegions(REGIONS, x, share=0.3, name="regions")
    clips = clips_from_arrays([("c0", x, "bonafide")], SR)[0]
    res = run("deepfake", [model], clips, seed=0, cache_dir=tmp_path / "a", progress=False)
    ex = res.explanations.iloc[0]
    w = width_in_bins(hz, SR, n_samples)
    assert res.params["options"]["resolution_hz"] == hz and ex.resolution_bins == w
    assert ex.verified_minimal and not ex.budget_exhausted
    e = res.explanation("regions", "c0")
    check_verified_at(model, x, e)
    for b in (1, 7, 64):  # the same seed gives the same study set at any batch size
        again = explain(model, x, seed=0, **{**res.params["options"], "batch_size": b})
        assert np.array_equal(again.keep, e.keep) and again.n_model_calls == e.n_model_calls
    bins = run("deepfake", [model], clips, {"resolution_hz": None}, seed=0, cache_dir=tmp_path / "b",
               progress=False)
    assert bins.explanations.iloc[0].resolution_bins == 1 and bins.params["options"]["resolution_hz"] is None
