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
