"""Study parameter files (suffice.study.params): every mistake is refused before any work."""
from __future__ import annotations

import pytest

from suffice.errors import OptionError, SufficeError, UnknownNameError
from suffice.study import load_params


@pytest.mark.parametrize("text,msg", [
    ("task: deepfake\nclips: 3\n", "unknown parameter"),
    ("task: deepfake\nseeed: 1\n", "unknown parameter"),
    ("task: [deepfake\n", "not valid YAML"),
    ("- task\n- deepfake\n", "mapping"),
    ("task: birds\n", "unknown task"),
    ("task: deepfake\nclips_per_class: three\n", "integer"),
    ("task: deepfake\nclips_per_class: 0\n", ">= 1"),
    ("task: deepfake\nclips_per_class: 1000000\n", "at most 10000"),
    ("task: deepfake\nrex_clips_per_class: 0\n", "rex_clips_per_class"),
    ("task: deepfake\nseed: 1.5\n", "integer"),
    ("task: deepfake\nseed: -1\n", "seed"),
    ("task: [deepfake]\n", "task"),
    ("task: deepfake\nn_boot: 10000000\n", "at most 100000"),
    ("task: deepfake\nn_examples: 10000\n", "at most 100"),
    ("task: deepfake\nnull_random_n: -1\n", "null_random_n"),
    ("task: deepfake\nmodel_timeout_s: soon\n", "model_timeout_s"),
    ("task: deepfake\ncache_dir: ''\n", "non-empty"),
    ("task: deepfake\ndelta: 2\n", r"\[0, 1\]"),
    ("task: deepfake\nmodels: []\n", "non-empty list"),
    ("task: deepfake\nmodels: [1, 2]\n", "list of names"),
    ("task: deepfake\ncriterion: vibes\n", "criterion"),
    ("task: deepfake\noptions: [1]\n", "mapping"),
])
def test_bad_parameter_files(tmp_path, text, msg):
    p = tmp_path / "p.yaml"
    p.write_text(text)
    with pytest.raises(SufficeError, match=msg) as e:
        load_params(p)
    assert isinstance(e.value, UnknownNameError if msg == "unknown task" else OptionError)


def test_binary_and_missing_parameter_files(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(OptionError, match="YAML|text"):
        load_params(p)
    with pytest.raises(OptionError, match="no such parameter file"):
        load_params(tmp_path / "nope.yaml")


@pytest.mark.parametrize("text,msg", [
    ("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
     "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ntask: *e\n", "expands to more"),
    ("task: " + "[" * 5000 + "]" * 5000 + "\n", "nests too deeply|expands|not valid YAML"),
])
def test_yaml_bombs_are_refused_in_one_short_line(tmp_path, text, msg):
    p = tmp_path / "bomb.yaml"
    p.write_text(text)
    with pytest.raises(OptionError, match=msg) as e:
        load_params(p)
    assert len(str(e.value)) < 300 and "\n" not in str(e.value)


def test_overrides_for_a_rex_variant_replace_the_file_values(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("task: deepfake\nclips_per_class: 5\nrex_clips_per_class: 2\noptions: {max_calls: 50}\n")
    q = load_params(p, strategy="rex", clips_per_class=2, options={})
    assert (q["strategy"], q["clips_per_class"], q["options"], q["rex_clips_per_class"]) == ("rex", 2, {}, 2)
