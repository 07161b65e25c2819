"""Labelled audio corpora for the three tasks: built offline, or read from the real datasets.

Built corpora (``make data`` or ``python -m suffice.corpora build --profile default|smoke [--task T]``)
live in ``data_root()/corpora/<profile>/<task>/`` with ``manifest.csv`` (paths relative to that folder),
``README.md`` (how it was made, counts, fingerprint, tool versions, checks), ``build.json`` (the same facts
as data), ``build.log`` (every skipped clip and why) and ``clips/``. A configuration hash stamp means an
unchanged configuration is not rebuilt; the fingerprint (:mod:`suffice.fingerprint`) says whether two
builds hold the same bytes.

Use a corpus::

    from suffice.corpora import manifest, load_clip
    df = manifest("genre")                 # columns: clip_id, path, label, split, source, speaker,
    x = load_clip(df.path[0])              #   system, text, duration, sample_rate

Use the real datasets instead (if you own them)::

    from suffice.corpora import from_gtzan, register_dataset
    register_dataset("genre", from_gtzan("/data/GTZAN"), profile="real")
    df = manifest("genre", profile="real")

``from_gtzan``, ``from_ravdess``, ``from_asvspoof2019_la`` and ``from_in_the_wild`` read the standard
on-disk layouts and return the same manifest format; ``manifest_from_csv(path, task)`` reads any CSV with
at least ``path,label,split`` columns.
"""
from __future__ import annotations

from ..constants import SAMPLE_RATE
from .builder import build, is_current
from .paths import PROFILES, corpus_dir, data_root
from .real import from_asvspoof2019_la, from_gtzan, from_in_the_wild, from_ravdess
from .schema import COLUMNS, SPLITS, load_clip, manifest, manifest_from_csv, register_dataset, validate

__all__ = ["COLUMNS", "PROFILES", "SAMPLE_RATE", "SPLITS", "build", "corpus_dir", "data_root", "from_asvspoof2019_la",
           "from_gtzan", "from_in_the_wild", "from_ravdess", "is_current", "load_clip", "manifest",
           "manifest_from_csv", "register_dataset"]
