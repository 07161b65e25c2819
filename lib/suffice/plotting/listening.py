"""A listening table for one task: chosen clips, each producer's sufficient signal, and who accepts it.

:func:`pick_listening_clips` chooses the clips by :data:`PICK_RULE` (covering every true class and every
producer, never by sort order); :func:`listening_table` shows them as HTML, one block per clip (narrow
enough for the book's content column): the original, then one row per producer model with its class,
the file it heard (16-bit PCM at the signal's own level: the rendering :mod:`suffice.renderings` checks,
see :func:`suffice.plotting.audio.write_wav`), a level-matched copy for listening, labelled as such, and
what every other model answered on that signal (from the transfer table: accept when its top class is
the producer's class).  Players are written by :func:`suffice.plotting.audio.audio_element`.
"""
from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import OptionError, SufficeError
from ..transfer.table import require_columns
from .audio import _level_db, audio_element, level_matched

__all__ = ["PICK_RULE", "EXAMPLE_RULE", "pick_listening_clips", "listening_table", "pick_transferring_example",
           "listening_example"]

#: how :func:`pick_listening_clips` chooses clips, in words a chapter can print
PICK_RULE = (
    "A producer 'shows' a clip when its sufficient set on that clip is non-empty (found, at least one "
    "bin). Classes are the clips' true classes, in alphabetical order; clips are taken in rounds, one per "
    "class per round, `per_class` rounds. In each class the clip chosen is the one that shows the most "
    "producers not yet shown by a chosen clip, then the one that shows the most producers; remaining ties "
    "go to a random order of the clips fixed by `seed`. Then, while some producer shows a clip but none "
    "of the chosen ones, the first such producer by name adds its clip that shows the most producers "
    "(ties by the same random order), whatever its class. Every chosen clip lists every producer.")

_EXPLANATION_COLUMNS = ("model", "clip_id", "true_label", "found", "set_size")
_TRANSFER_COLUMNS = ("source", "target", "clip_id", "target_pred_sufficient", "source_pred")


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise OptionError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    require_columns(df, columns, what)


def pick_listening_clips(explanations: pd.DataFrame, predictions: pd.DataFrame, *, per_class: int = 1,
                         seed: int = 0) -> list[str]:
    """The clip ids to listen to, chosen by :data:`PICK_RULE` (quoted below); deterministic given ``seed``.

    ``explanations``: a study's explanations table (``model``, ``clip_id``, ``true_label``, ``found``,
    ``set_size``); ``predictions``: its predictions table (``clip_id``, ``true_label``): every clip the study
    ran, so that a class none of whose clips was explained is named in a warning rather than silently
    missing.  ``per_class``: clips per class (at least 1).  Returns the clip ids in the order chosen.
    """
    _require(explanations, _EXPLANATION_COLUMNS, "explanations")
    _require(predictions, ("clip_id", "true_label"), "predictions")
    if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
        raise OptionError(f"per_class must be a positive integer, got {per_class!r}")
    if explanations.empty:
        raise SufficeError("no explanations to listen to: the study explained no clip")
    ex = explanations.assign(clip_id=explanations["clip_id"].astype(str))
    shown = ex[ex["found"].astype(bool) & (ex["set_size"] > 0)].groupby("clip_id")["model"].agg(frozenset)
    clips = sorted(ex["clip_id"].unique())
    shows = {c: shown.get(c, frozenset()) for c in clips}
    rank = dict(zip(np.random.default_rng(seed).permutation(clips), range(len(clips))))
    label_of = ex.drop_duplicates("clip_id").set_index("clip_id")["true_label"].astype(str)
    classes = sorted(set(predictions["true_label"].astype(str)) | set(label_of))
    unexplained = [c for c in classes if c not in set(label_of)]
    if unexplained:
        warnings.warn(f"no explained clip of class(es) {', '.join(unexplained)}: the listening table "
                      f"cannot show them", stacklevel=2)
    chosen: list[str] = []
    covered: set[str] = set()

    def best(candidates: list[str], new_first: bool) -> str:
        return min(candidates, key=lambda c: (-len(shows[c] - covered) if new_first else 0,
                                              -len(shows[c]), rank[c]))

    for _ in range(int(per_class)):
        for cls in classes:
            left = [c for c in clips if label_of[c] == cls and c not in chosen]
            if left:
                pick = best(left, new_first=True)
                chosen.append(pick)
                covered |= shows[pick]
    producers = sorted(set().union(*shows.values()))
    for m in producers:
        if m not in covered:
            pick = best([c for c in clips if m in shows[c] and c not in chosen], new_first=False)
            chosen.append(pick)
            covered |= shows[pick]
    return chosen


pick_listening_clips.__doc__ = f"{pick_listening_clips.__doc__}\n    Rule: {PICK_RULE}\n"

_PLAYER_CSS = "width:100%;max-width:320px"


def _answers(rows: pd.DataFrame, producer: str) -> str:
    """The other models' answers on ``producer``'s signal, each marked accept or reject."""
    items = []
    for r in rows[rows["target"] != producer].sort_values("target").itertuples():
        ok = r.target_pred_sufficient == r.source_pred
        items.append(f"<li><b>{html.escape(str(r.target))}</b>: {html.escape(str(r.target_pred_sufficient))}"
                     f" &mdash; {'accepts &#10003;' if ok else 'rejects &#10007;'}</li>")
    if not items:
        return "no other model answered on it"
    return "<ul style='margin:0;padding-left:1.1em'>" + "".join(items) + "</ul>"


def _signal_cell(e, *, name: str, audio_dir: str | Path | None) -> str:
    """The players of one producer's sufficient signal (or why there is none)."""
    if not e.found:
        return ("no set short of the whole clip " + ("(the search ran out of budget)" if e.budget_exhausted
                                                     else "passed") + ": nothing to play beyond the original")
    if e.size == 0 and getattr(e, "fill", "zero") == "zero":
        return "<i>silence (empty set)</i>"  # under a non-silent fill the empty set is the fill: played below
    heard, loud = e.sufficient_signal, level_matched(e.sufficient_signal, e.waveform)
    pcm16 = (e.renderings or {}).get("pcm16")
    said = f"; its class on this file: {html.escape(str(pcm16))}" if pcm16 is not None else ""
    gain = _level_db(loud) - _level_db(heard)
    return (f"what it heard (16-bit, {_level_db(heard):.1f} dBFS{said}):<br>"
            + audio_element(heard, e.sample_rate, name=name, label=f"{e.model}-heard", audio_dir=audio_dir,
                            style=_PLAYER_CSS)
            + f"<br>level-matched copy for listening ({gain:+.1f} dB, to the original's level; not what "
              f"the model heard):<br>"
            + audio_element(loud, e.sample_rate, name=name, label=f"{e.model}-level-matched",
                            audio_dir=audio_dir, style=_PLAYER_CSS))


def listening_table(result, table: pd.DataFrame, clip_ids: Sequence[str], *, name: str,
                    audio_dir: str | Path | None = None):
    """HTML listening blocks for ``clip_ids`` (e.g. from :func:`pick_listening_clips`), one per clip.

    ``result``: a :class:`suffice.study.StudyResult` (its explanations give the waveforms and sets);
    ``table``: its transfer table (``source``, ``target``, ``clip_id``, ``target_pred_sufficient``,
    ``source_pred``); ``name``: the prefix of the .wav files (e.g. the task); ``audio_dir``: as for
    :func:`suffice.plotting.audio.audio_players`.  Each block plays the original, then for every producer
    (every model of the explanations table) its class, its sufficient signal as it heard it, a
    level-matched copy for listening, and every other model's answer on that signal.  Returns an
    ``IPython.display.HTML`` object.
    """
    from IPython.display import HTML

    _require(table, _TRANSFER_COLUMNS, "the transfer table")
    ex = result.explanations.assign(clip_id=result.explanations["clip_id"].astype(str))
    tab = table.assign(clip_id=table["clip_id"].astype(str))
    if isinstance(clip_ids, str) or not len(clip_ids):
        raise OptionError("clip_ids must be a non-empty list of clip ids")
    producers = sorted(ex["model"].unique())
    blocks = []
    for clip in map(str, clip_ids):
        mine = ex[ex["clip_id"] == clip]
        if mine.empty:
            raise SufficeError(f"no explanation of clip {clip!r} in this study")
        first = result.explanation(mine["model"].iloc[0], clip)
        stem = f"{name}-{clip}"
        original = audio_element(first.waveform, first.sample_rate, name=stem, label="original",
                                 audio_dir=audio_dir, style=_PLAYER_CSS)
        rows = []
        for m in producers:
            if m not in set(mine["model"]):
                rows.append(f"<tr><td><b>{html.escape(m)}</b></td><td colspan='2'>no explanation (the "
                            f"model failed on this clip: see the study's failures)</td></tr>")
                continue
            e = result.explanation(m, clip)
            rows.append(
                "<tr style='border-top:1px solid #ddd;vertical-align:top'>"
                f"<td><b>{html.escape(m)}</b> says <b>{html.escape(str(e.target))}</b> ({e.confidence:.2f});"
                f" keeps {e.size} of {e.n_bins} bins</td>"
                f"<td>{_signal_cell(e, name=stem, audio_dir=audio_dir)}</td>"
                f"<td>{_answers(tab[(tab['source'] == m) & (tab['clip_id'] == clip)], m)}</td></tr>")
        blocks.append(
            "<div class='suffice-listening' style='max-width:750px;margin:0 0 1.5em 0'>"
            f"<p style='margin:0.3em 0'><b>Clip {html.escape(clip)}</b>, true class "
            f"<b>{html.escape(str(mine['true_label'].iloc[0]))}</b>. Original ({len(first.waveform) / first.sample_rate:.2f} s, "
            f"{_level_db(first.waveform):.1f} dBFS):<br>{original}</p>"
            "<table style='width:100%;table-layout:fixed;border-collapse:collapse;font-size:0.9em'>"
            "<colgroup><col style='width:24%'><col style='width:40%'><col style='width:36%'></colgroup>"
            "<thead><tr><th style='text-align:left'>producer: its class</th>"
            "<th style='text-align:left'>its sufficient signal</th>"
            "<th style='text-align:left'>the other models' answers on it</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")
    return HTML("".join(blocks))


#: how :func:`pick_transferring_example` chooses one signal, in words a page can print
EXAMPLE_RULE = (
    "Among the non-empty sufficient sets, the one accepted by the most other models; ties go to the "
    "smallest set, then to the producer and clip id in alphabetical order.")


def pick_transferring_example(table: pd.DataFrame) -> tuple[str, str]:
    """``(producer, clip_id)`` of one sufficient signal to play, by :data:`EXAMPLE_RULE`.

    ``table``: a transfer table (``source``, ``target``, ``clip_id``, ``found``, ``set_size``,
    ``target_pred_sufficient``, ``source_pred``).  Raises :class:`SufficeError` when no set is non-empty.
    """
    _require(table, (*_TRANSFER_COLUMNS, "found", "set_size"), "the transfer table")
    rows = table[table["found"].astype(bool) & (table["set_size"] > 0)
                 & (table["source"] != table["target"])].assign(clip_id=lambda d: d["clip_id"].astype(str))
    if rows.empty:
        raise SufficeError("no non-empty sufficient set to play")
    rows = rows.assign(accepted=(rows["target_pred_sufficient"] == rows["source_pred"]).astype(int))
    per = rows.groupby(["source", "clip_id"]).agg(accepted=("accepted", "sum"), size=("set_size", "first"))
    best = per.reset_index().sort_values(["accepted", "size", "source", "clip_id"],
                                         ascending=[False, True, True, True]).iloc[0]
    return str(best["source"]), str(best["clip_id"])


def listening_example(result, table: pd.DataFrame, producer: str, clip_id: str, *, name: str,
                      audio_dir: str | Path | None = None):
    """One producer's sufficient signal on one clip, as in :func:`listening_table`: the original, what the
    producer heard, a level-matched copy for listening, and every other model's answer on it.

    ``result``, ``table``, ``name`` and ``audio_dir`` as for :func:`listening_table`.  Returns
    ``IPython.display.HTML``.
    """
    from IPython.display import HTML

    _require(table, _TRANSFER_COLUMNS, "the transfer table")
    e = result.explanation(producer, clip_id)
    tab = table.assign(clip_id=table["clip_id"].astype(str))
    stem = f"{name}-{clip_id}"
    original = audio_element(e.waveform, e.sample_rate, name=stem, label="original", audio_dir=audio_dir,
                             style=_PLAYER_CSS)
    mine = tab[(tab["source"] == producer) & (tab["clip_id"] == str(clip_id))]
    true = mine["true_label"].iloc[0] if "true_label" in mine and len(mine) else "?"
    return HTML(
        "<div class='suffice-listening' style='max-width:750px'>"
        f"<p style='margin:0.3em 0'>Clip {html.escape(str(clip_id))} (true class <b>{html.escape(str(true))}</b>),"
        f" original ({_level_db(e.waveform):.1f} dBFS):<br>{original}</p>"
        f"<p style='margin:0.3em 0'><b>{html.escape(producer)}</b> says <b>{html.escape(str(e.target))}</b> and "
        f"keeps {e.size} of {e.n_bins} frequency bins; {_signal_cell(e, name=stem, audio_dir=audio_dir)}</p>"
        f"<p style='margin:0.3em 0'>The other models on that signal:</p>{_answers(mine, producer)}</div>")
