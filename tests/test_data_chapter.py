"""The data chapter's library: the corpora overview (README sections, the audit in words) and the zoo's
table (its weak models)."""
from __future__ import annotations

import pandas as pd

from suffice.corpora import overview
from suffice.models.zoo_table import weak_models


def _audit(**channel) -> pd.DataFrame:
    rows = [{"kind": "channel", "group": "level", "accuracy": 0.52, "lo": 0.4, "hi": 0.64, "chance": 0.5,
             "power": 0.7, "above_chance": False, "at_chance": True, **channel},
            {"kind": "channel", "group": "spectrum", "accuracy": 0.55, "lo": 0.45, "hi": 0.66, "chance": 0.5,
             "power": 0.8, "above_chance": False, "at_chance": True},
            {"kind": "voice", "group": "pitch", "accuracy": 0.8, "lo": 0.7, "hi": 0.9, "chance": 0.5,
             "power": 0.9, "above_chance": True, "at_chance": False}]
    return pd.DataFrame(rows)


def test_the_audit_reading_names_leaks_power_and_voice_cues():
    clean = overview.audit_reading(40, _audit())
    assert clean.startswith("On 40 clips: **no channel group tells the classes apart**")
    assert "0.70 to 0.80" in clean and "covers chance" in clean and clean.endswith("pitch (80.0%, CI 70.0% to 90.0%).")
    leaky = overview.audit_reading(40, _audit(accuracy=0.9, lo=0.8, hi=0.95, above_chance=True, at_chance=False))
    assert "**channel groups that still tell the classes apart**: level (90.0%" in leaky
    assert "excludes chance: level." in leaky


def test_readme_sections_sit_under_the_chapter_headings(tmp_path, monkeypatch):
    monkeypatch.setattr(overview, "corpus_dir", lambda task, profile: tmp_path / task)
    (tmp_path / "genre").mkdir()
    (tmp_path / "genre" / "README.md").write_text("# Genre\n\n## Made\ntext\n")
    assert overview.readme_section("genre", "smoke") == "#### Genre\n\n#### Made\ntext\n"
    assert overview.readme_section("emotion", "smoke") == "(no README for emotion)"


def test_weak_models_are_those_below_twice_chance():
    zoo = pd.DataFrame({"model": ["a", "b"], "test accuracy": [0.3, 0.9], "chance": [0.2, 0.2]})
    assert weak_models(zoo) == "Models not clearly better than chance (accuracy below twice chance): `a`."
    assert weak_models(zoo.iloc[1:]).endswith("twice chance): none.")


def test_summary_of_the_smoke_corpora():
    """`make test` builds the smoke corpora (make smoke-data), so this runs wherever the suite does."""
    from suffice.tasks import TASKS
    table = overview.summary("smoke")
    assert list(table.index) == list(TASKS)
    assert (table["clips"] == table[["train clips", "val clips", "test clips"]].sum(axis=1)).all()


def test_zoo_table_reads_every_models_card(tmp_path, monkeypatch):
    """One row per model of every task's smoke zoo, each from its card (written here into a data root of
    its own, so the test needs no trained model)."""
    import json

    from suffice.models.loading import model_dir
    from suffice.models.zoo import names
    from suffice.models.zoo_table import zoo_table
    from suffice.tasks import TASKS
    monkeypatch.setenv("SUFFICE_DATA", str(tmp_path))
    every = [n for t in TASKS for n in names(t, profile="smoke")]
    for i, name in enumerate(every):
        folder = model_dir(name, "smoke")
        folder.mkdir(parents=True)
        (folder / "card.json").write_text(json.dumps({
            "code": f"c{i}", "kind": "trained", "test": {"accuracy": 0.1 * (i % 10), "chance": 0.2},
            "description": f"model {i}"}))
    zoo = zoo_table("smoke")
    assert zoo["model"].tolist() == every and zoo["code"].tolist() == [f"c{i}" for i in range(len(every))]
    assert zoo["test accuracy"].tolist() == [0.1 * (i % 10) for i in range(len(every))]
    assert {"chance", "description", "macro F1"} <= set(zoo.columns) and zoo["macro F1"].isna().all()
