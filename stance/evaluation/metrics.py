"""Metrics that tell the truth on tiny data: macro-F1, F_avg, accuracy, percentile bootstrap
intervals, and calibration. Checked against scikit-learn in the tests."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from stance.evaluation.results import Evaluation


def _confusion(true_codes: np.ndarray, pred_codes: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(true_codes * k + pred_codes, minlength=k * k).reshape(k, k)


def _f1_per_class(confusion: np.ndarray) -> np.ndarray:
    tp = np.diag(confusion).astype(float)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 2 * tp / denominator, 0.0)


def _present(confusion: np.ndarray) -> np.ndarray:
    return (confusion.sum(axis=0) + confusion.sum(axis=1)) > 0


def _summary(
    confusion: np.ndarray, stance_columns: list[int], present: np.ndarray | None = None
) -> tuple[float, float, float]:
    """(macro-F1, F_avg, accuracy) from a confusion matrix.

    Averages run over the labels that occur in the gold labels or the predictions, so a file
    holding only some labels is not scored against labels it cannot contain. Bootstrap
    resamples pass the full sample's label set, so a resample that happens to miss a rare
    label still scores it (F1 0) instead of averaging over fewer labels.
    """
    f1 = _f1_per_class(confusion)
    present = _present(confusion) if present is None else present
    macro = float(f1[present].mean()) if present.any() else math.nan
    stance_present = [c for c in stance_columns if present[c]]
    f_avg = float(f1[stance_present].mean()) if stance_present else math.nan
    total = confusion.sum()
    accuracy = float(np.trace(confusion) / total) if total else math.nan
    return macro, f_avg, accuracy


def _codes(values: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index[v] for v in values], dtype=np.int64)


def classification_metrics(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str], stance_labels: Sequence[str]
) -> Evaluation:
    """macro-F1, F_avg (mean F1 of the stance labels), accuracy, per-class scores, confusion."""
    labels = list(labels)
    k = len(labels)
    confusion = _confusion(_codes(gold, labels), _codes(predicted, labels), k)
    macro, f_avg, accuracy = _summary(confusion, [labels.index(s) for s in stance_labels])
    f1 = _f1_per_class(confusion)
    per_class = {}
    for i, label in enumerate(labels):
        predicted_count = int(confusion[:, i].sum())
        support = int(confusion[i].sum())
        absent = not (predicted_count or support)  # left out of the averages
        per_class[label] = {
            "precision": None if absent else (float(confusion[i, i] / predicted_count) if predicted_count else 0.0),
            "recall": None if absent else (float(confusion[i, i] / support) if support else 0.0),
            "f1": None if absent else float(f1[i]),
            "support": support,
        }
    return Evaluation(
        n=len(gold),
        macro_f1=_finite(macro),
        f_avg=_finite(f_avg),
        accuracy=_finite(accuracy),
        per_class=per_class,
        confusion={"labels": labels, "matrix": confusion.tolist()},
    )


def percentile_bootstrap(
    statistic: Callable[[np.ndarray], Sequence[float]], n: int, n_resamples: int, confidence: float, seed: int
) -> list[list[float] | None]:
    """Percentile intervals of each value `statistic(sample_indices)` returns, resampling n
    items with replacement; NaN resamples are left out, and a sample of one has no interval."""
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng.integers(0, n, n)) for _ in range(n_resamples)], dtype=float)
    alpha = (1 - confidence) / 2
    intervals = []
    for column in values.T:
        column = column[~np.isnan(column)]
        ok = n > 1 and len(column)
        intervals.append([float(np.quantile(column, alpha)), float(np.quantile(column, 1 - alpha))] if ok else None)
    return intervals


def bootstrap_intervals(
    gold: Sequence[str],
    predicted: Sequence[str],
    labels: Sequence[str],
    stance_labels: Sequence[str],
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Percentile intervals for macro-F1 and F_avg, resampling sentences with replacement."""
    labels = list(labels)
    k = len(labels)
    true_codes, pred_codes = _codes(gold, labels), _codes(predicted, labels)
    stance_columns = [labels.index(s) for s in stance_labels]
    present = _present(_confusion(true_codes, pred_codes, k))

    def scores(sample: np.ndarray) -> tuple[float, float]:
        macro, f_avg, _ = _summary(_confusion(true_codes[sample], pred_codes[sample], k), stance_columns, present)
        return macro, f_avg

    macro_f1, f_avg = percentile_bootstrap(scores, len(true_codes), n_resamples, confidence, seed)
    return {"confidence": confidence, "n_resamples": n_resamples, "macro_f1": macro_f1, "f_avg": f_avg}


def evaluate_predictions(
    gold: Sequence[str],
    predicted: Sequence[str],
    labels: Sequence[str],
    stance_labels: Sequence[str],
    n_bootstrap: int,
    confidence: float,
    seed: int,
) -> Evaluation:
    """Point metrics plus bootstrap intervals."""
    evaluation = classification_metrics(gold, predicted, labels, stance_labels)
    evaluation.intervals = bootstrap_intervals(gold, predicted, labels, stance_labels, n_bootstrap, confidence, seed)
    return evaluation


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def calibration(
    gold: Sequence[str], probabilities: np.ndarray, labels: Sequence[str], bins: int = 10
) -> dict[str, Any]:
    """Expected calibration error of the top probability, a reliability table, and the
    coverage/accuracy trade-off of answering only above a confidence threshold."""
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(axis=1)
    correct = np.array([labels[i] == g for i, g in zip(probabilities.argmax(axis=1), gold)], dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
            table.append(
                {
                    "low": float(edges[b]),
                    "high": float(edges[b + 1]),
                    "n": int(mask.sum()),
                    "confidence": float(confidence[mask].mean()),
                    "accuracy": float(correct[mask].mean()),
                }
            )
    trade_off = []
    for threshold in (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        kept = confidence >= threshold
        trade_off.append(
            {
                "min_confidence": threshold,
                "coverage": float(kept.mean()),
                "accuracy": float(correct[kept].mean()) if kept.any() else None,
            }
        )
    return {"ece": float(ece), "bins": table, "trade_off": trade_off}
