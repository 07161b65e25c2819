"""Study parameter files (suffice.study.params): every mistake is refused before any work."""
from __future__ import annotations

import pytest

from suffice.errors import OptionError, SufficeError
from suffice.study import load_params


@pytest.mark.parametrize("text,msg", [
    ("task: deepfake\nclips: 3\n", "unknown parameter"),
    ("task: deepfake\nseeed: 1\n", "unknown parameter"),
    ("task: [deepfake\n", "not valid YAML"),
    ("- task\n- deepfake\n", "mapping"),
    ("task: birds\n", "unknown task"),
    ("task: deepfake\nclips_per_class: three\n", "integer"),
    ("task: deepfake\nclips_per_class: 0\n", ">= 1"),
    ("task: deepfake\nseed: 1.5\n", "integer"),
    ("task: deepfake\ndelta: 2\n", r"\[0, 1\]"),
    ("task: deepfake\nmodels: []\n", "non-empty list"),
    ("task: deepfake\nmodels: [1, 2]\n", "list of names"),
    ("task: deepfake\ncriterion: vibes\n", "criterion"),
    ("task: deepfake\noptions: [1]\n", "mapping"),
])
def test_bad_parameter_files(tmp_path, text, msg):
    p = tmp_path / "p.yaml"
    p.write_text(text)
    with pytest.raises(SufficeError, match=msg):
        load_params(p)


def test_binary_and_missing_parameter_files(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(OptionError, match="YAML|text"):
        load_params(p)
    with pytest.raises(OptionError, match="no such parameter file"):
        load_params(tmp_path / "nope.yaml")
