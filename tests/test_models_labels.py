"""Label harmonisation: explicit mappings, no silent drops, no silent polarity mistakes."""
import numpy as np
import pytest

from suffice.errors import OptionError, UnknownNameError
from suffice.models.labels import build_label_map


def test_names_map_themselves_in_canonical_order():
    lm = build_label_map("deepfake", ["fake", "real"])  # 0 = fake, like some public checkpoints
    assert lm.labels == ("bonafide", "spoof")
    assert lm.mapping == {"fake": "spoof", "real": "bonafide"}
    p = lm.aggregate(np.array([[0.9, 0.1], [0.2, 0.8]]))
    # column order is canonical: bonafide first; the model's "fake" score lands in the spoof column
    np.testing.assert_allclose(p, [[0.1, 0.9], [0.8, 0.2]])


@pytest.mark.parametrize("raw", [["bona-fide", "spoofed"], ["Bonafide", "Spoof"], ["genuine", "deepfake"],
                                 ["human", "synthetic"]])
def test_deepfake_aliases(raw):
    lm = build_label_map("deepfake", raw)
    assert [lm.mapping[r] for r in raw] == ["bonafide", "spoof"]


def test_generic_labels_need_an_explicit_map():
    with pytest.raises(OptionError, match="label_map"):
        build_label_map("deepfake", ["LABEL_0", "LABEL_1"])
    lm = build_label_map("deepfake", ["LABEL_0", "LABEL_1"], {"LABEL_0": "spoof", "LABEL_1": "bonafide"})
    np.testing.assert_allclose(lm.aggregate(np.array([[0.7, 0.3]])), [[0.3, 0.7]])


def test_polarity_contradicting_the_label_name_is_refused():
    with pytest.raises(OptionError, match="polarity"):
        build_label_map("deepfake", ["fake", "real"], {"fake": "bonafide", "real": "spoof"})
    with pytest.raises(OptionError, match="polarity"):
        build_label_map("deepfake", ["spoof", "bonafide"], {"spoof": "bonafide"})


def test_deepfake_model_must_cover_both_classes():
    with pytest.raises(OptionError, match="both"):
        build_label_map("deepfake", ["LABEL_0", "LABEL_1"], {"LABEL_0": "spoof", "LABEL_1": "spoof"})


def test_unmapped_labels_are_never_silently_dropped():
    with pytest.raises(OptionError, match="cannot map"):
        build_label_map("genre", ["blues", "polka"])
    lm = build_label_map("genre", ["blues", "polka"], {"polka": None})
    assert lm.unmapped == ("polka",) and lm.labels == ("blues",)
    lm2 = build_label_map("genre", ["blues", "polka"], unmapped="drop")
    assert lm2.unmapped == ("polka",)
    # dropped mass is renormalised away; a row with mass only on dropped labels becomes uniform
    np.testing.assert_allclose(lm2.aggregate(np.array([[0.2, 0.8], [0.0, 1.0]])), [[1.0], [1.0]])


def test_many_to_one_sums_then_renormalises():
    lm = build_label_map("genre", ["Rock music", "Punk", "Jazz", "Speech"],
                         {"Rock music": "rock", "Punk": "rock", "Speech": None})
    assert lm.labels == ("jazz", "rock")
    np.testing.assert_allclose(lm.aggregate(np.array([[0.2, 0.2, 0.4, 0.9]])), [[0.5, 0.5]])


def test_bad_maps_are_clear_errors():
    with pytest.raises(UnknownNameError, match="not a genre label"):
        build_label_map("genre", ["x"], {"x": "polka"})
    with pytest.raises(UnknownNameError, match="does not have"):
        build_label_map("genre", ["blues"], {"jazz": "jazz"})
    with pytest.raises(OptionError, match="duplicate"):
        build_label_map("genre", ["blues", "blues"])
    with pytest.raises(UnknownNameError):
        build_label_map("cooking", ["blues"])


def test_documented_hub_checkpoints_map_or_demand_a_map():
    from suffice.models.hub import checkpoints
    from suffice.models.labels import is_generic
    assert checkpoints("deepfake") and checkpoints("genre") and checkpoints("emotion")
    for hub_id, c in checkpoints().items():
        if any(is_generic(r) for r in c["raw_labels"]) and c["label_map"] is None:
            with pytest.raises(OptionError):
                build_label_map(c["task"], c["raw_labels"], c["label_map"])
        else:
            lm = build_label_map(c["task"], c["raw_labels"], c["label_map"])
            assert not lm.unmapped, hub_id
    lm = build_label_map("deepfake", checkpoints()["MelodyMachine/Deepfake-audio-detection-V2"]["raw_labels"])
    assert lm.mapping == {"fake": "spoof", "real": "bonafide"}


# ---- label maps of users' own checkpoints ----------------------------------------------------------
def test_labels_as_they_are_for_a_task_of_ones_own():
    from suffice.models.labels import make_label_map
    lm = make_label_map(["calm-ish", "tense-ish", "other"])
    assert lm.task == "custom" and lm.labels == ("calm-ish", "tense-ish", "other")
    np.testing.assert_allclose(lm.aggregate(np.array([[0.2, 0.3, 0.5]])), [[0.2, 0.3, 0.5]])
    renamed = make_label_map(["a", "b", "c"], "mood", {"a": "calm", "b": None})
    assert renamed.task == "mood" and renamed.labels == ("calm", "c")
    np.testing.assert_allclose(renamed.aggregate(np.array([[0.2, 0.3, 0.5]])), [[0.2 / 0.7, 0.5 / 0.7]])


def test_the_task_is_inferred_only_when_one_fits():
    from suffice.models.labels import make_label_map
    assert make_label_map(["fake", "real"]).task == "deepfake"
    assert make_label_map(["LABEL_0", "LABEL_1"], None, {"LABEL_0": "spoof", "LABEL_1": "bonafide"}).labels == \
        ("bonafide", "spoof")
    with pytest.raises(OptionError, match="task you define"):
        make_label_map(["fake", "real"], "deepfake", "as-is")
    with pytest.raises(OptionError, match="onto no task"):
        make_label_map(["x", "y"], None, {"x": "nope"})


def test_label_maps_from_files_and_inline_text(tmp_path):
    from suffice.models.resolve import parse_labels
    (tmp_path / "m.yaml").write_text("LABEL_0: spoof\nLABEL_1: bonafide\nLABEL_2: null\n")
    want = {"LABEL_0": "spoof", "LABEL_1": "bonafide", "LABEL_2": None}
    assert parse_labels("m.yaml", tmp_path) == want
    assert parse_labels("LABEL_0=spoof, LABEL_1=bonafide, LABEL_2=") == want
    assert parse_labels("{LABEL_0: spoof, LABEL_1: bonafide, LABEL_2: null}") == want
    assert parse_labels("as-is") == "as-is" and parse_labels(None) is None
    with pytest.raises(OptionError, match="no such label-map file"):
        parse_labels("missing.json", tmp_path)
    with pytest.raises(OptionError, match="RAW=CANONICAL"):
        parse_labels("nonsense")


def test_a_study_model_entry_becomes_one_string(tmp_path):
    """A mapping entry of a study's ``models:`` is one hashable text with the folder made absolute
    against the parameter file's folder and the label file inlined; names stay as they are."""
    import json

    from suffice.models.resolve import model_spec
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "m.yaml").write_text("LABEL_0: spoof\nLABEL_1: bonafide\n")
    spec = json.loads(model_spec({"model": "ckpt", "labels": "m.yaml", "task": "deepfake"}, tmp_path))
    assert spec == {"model": str((tmp_path / "ckpt").resolve()), "task": "deepfake",
                    "labels": {"LABEL_0": "spoof", "LABEL_1": "bonafide"}}
    assert model_spec("genre/ast-tiny", tmp_path) == "genre/ast-tiny"
    assert model_spec("toy/tones:440", tmp_path) == "toy/tones:440"
    assert model_spec("./ckpt", tmp_path) == str((tmp_path / "ckpt").resolve())
    with pytest.raises(OptionError, match="needs 'model'"):
        model_spec({"labels": "m.yaml"}, tmp_path)
