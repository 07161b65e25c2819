"""Accuracy and precision of the models beside their transfer behaviour (one table per task)."""
from __future__ import annotations

import pandas as pd

from .flat_earthers import flat_earthers
from .rates import not_found_counts
from .table import validate_predictions

__all__ = ["model_performance", "model_table"]


def model_performance(predictions: pd.DataFrame) -> pd.DataFrame:
    """Accuracy, macro precision and macro recall of each model on the original clips, and whether its
    accuracy beats always answering the majority class.

    Macro averages run over the labels present in ``true_label`` (a label a model never predicts has
    precision 0 for that model); :func:`suffice.models.metrics.label_metrics` computes them.  Columns:
    model, n, accuracy, macro_precision, macro_recall, majority, p_above_majority, better_than_chance
    (see :func:`suffice.models.metrics.better_than_chance` for the test's null).
    """
    from ..models.metrics import label_metrics  # imported here: suffice.models loads the model back-ends

    validate_predictions(predictions)
    labels = sorted(pd.unique(predictions["true_label"]).tolist(), key=str)
    rows = []
    for model, sub in predictions.groupby("model", sort=False):
        met = label_metrics(sub["true_label"].tolist(), sub["pred"].tolist(), labels=labels)
        rows.append({"model": model, **{k: met[k] for k in (
            "n", "accuracy", "macro_precision", "macro_recall", "majority", "p_above_majority",
            "better_than_chance")}})
    return pd.DataFrame(rows)


def model_table(df: pd.DataFrame, predictions: pd.DataFrame, **options: object) -> pd.DataFrame:
    """Accuracy and macro precision of every model next to its out/in rates and flat-earther verdict.

    ``options`` go to :func:`flat_earthers`.  Also adds each model's count of not-found explanations
    and median ``fraction`` of bins kept when it is the source.
    """
    fe = flat_earthers(df, **options)  # type: ignore[arg-type]
    perf = model_performance(predictions)
    nf = not_found_counts(df).rename(columns={"source": "model"})
    diag = df.drop_duplicates(["source", "clip_id", "seed"])
    frac = diag[diag["found"].astype(bool)].groupby("source")["fraction"].median().rename("median_fraction")
    out = perf.merge(fe, on="model", how="outer").merge(nf, on="model", how="left")
    out = out.merge(frac, left_on="model", right_index=True, how="left")
    for col in ("out_flag", "in_flag", "flat_earther"):  # a model only in the predictions is not flagged
        out[col] = out[col].astype("boolean").fillna(False).astype(bool)
    out["method"] = out["method"].fillna(fe["method"].iloc[0] if len(fe) else "none")
    first = ["model", "accuracy", "macro_precision", "out_rate", "out_lo", "out_hi", "in_rate", "in_lo", "in_hi",
             "flat_earther"]
    out = out[first + [c for c in out.columns if c not in first]]
    out.attrs.update(fe.attrs)
    return out
