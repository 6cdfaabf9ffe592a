"""Metrics that tell the truth on tiny data: grouped folds, bootstrap intervals, a baseline."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np

from stance.models.base import StanceClassifier


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
) -> dict[str, Any]:
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
    return {
        "n": int(len(gold)),
        "macro_f1": _finite(macro),
        "f_avg": _finite(f_avg),
        "accuracy": _finite(accuracy),
        "per_class": per_class,
        "confusion": {"labels": labels, "matrix": confusion.tolist()},
    }


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
    rng = np.random.default_rng(seed)
    n = len(true_codes)
    scores = np.empty((n_resamples, 2))
    for r in range(n_resamples):
        sample = rng.integers(0, n, n)
        macro, f_avg, _ = _summary(_confusion(true_codes[sample], pred_codes[sample], k), stance_columns, present)
        scores[r] = macro, f_avg
    alpha = (1 - confidence) / 2
    result: dict[str, Any] = {"confidence": confidence, "n_resamples": n_resamples}
    for column, name in enumerate(("macro_f1", "f_avg")):
        values = scores[:, column]
        values = values[~np.isnan(values)]
        result[name] = (
            [float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))]
            if n > 1 and len(values) else None
        )
    return result


def group_folds(groups: Sequence[str]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Leave-one-group-out folds as (held-out group, train indices, test indices)."""
    from sklearn.model_selection import LeaveOneGroupOut

    groups = np.asarray(groups)
    folds = []
    for train_index, test_index in LeaveOneGroupOut().split(groups, groups=groups):
        folds.append((str(groups[test_index[0]]), train_index, test_index))
    return folds


def subsample(indices: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A random share of the training indices (learning curves); all of them at 1.0."""
    if fraction >= 1:
        return indices
    rng = np.random.default_rng(seed)
    size = max(1, math.ceil(fraction * len(indices)))
    return np.sort(rng.choice(indices, size=size, replace=False))


def cross_validate(
    make_model: Callable[[int], StanceClassifier],
    texts: Sequence[str],
    gold: Sequence[str],
    groups: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    train_fraction: float = 1.0,
) -> tuple[np.ndarray, list[str], list[tuple[str, np.ndarray, np.ndarray]]]:
    """Out-of-fold probabilities from leave-one-group-out folds, and the baseline's predictions.

    The baseline predicts each fold's majority training label, on the same folds.
    """
    texts = list(texts)
    gold = list(gold)
    probabilities = np.zeros((len(texts), len(labels)))
    baseline = [""] * len(texts)
    folds = group_folds(groups)
    for fold_number, (_, train_index, test_index) in enumerate(folds):
        train_index = subsample(train_index, train_fraction, seed + fold_number)
        model = make_model(fold_number)
        model.fit([texts[i] for i in train_index], [gold[i] for i in train_index])
        probabilities[test_index] = model.predict_proba([texts[i] for i in test_index])
        majority = Counter(gold[i] for i in train_index).most_common(1)[0][0]
        for i in test_index:
            baseline[i] = majority
    return probabilities, baseline, folds


def evaluate_predictions(
    gold: Sequence[str],
    predicted: Sequence[str],
    labels: Sequence[str],
    stance_labels: Sequence[str],
    n_bootstrap: int,
    confidence: float,
    seed: int,
) -> dict[str, Any]:
    """Point metrics plus bootstrap intervals, one dictionary."""
    metrics = classification_metrics(gold, predicted, labels, stance_labels)
    metrics["intervals"] = bootstrap_intervals(
        gold, predicted, labels, stance_labels, n_bootstrap, confidence, seed
    )
    return metrics


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def calibration(gold: Sequence[str], probabilities: np.ndarray, labels: Sequence[str], bins: int = 10) -> dict[str, Any]:
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
            table.append({"low": float(edges[b]), "high": float(edges[b + 1]), "n": int(mask.sum()),
                          "confidence": float(confidence[mask].mean()), "accuracy": float(correct[mask].mean())})
    trade_off = []
    for threshold in (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        kept = confidence >= threshold
        trade_off.append({"min_confidence": threshold, "coverage": float(kept.mean()),
                          "accuracy": float(correct[kept].mean()) if kept.any() else None})
    return {"ece": float(ece), "bins": table, "trade_off": trade_off}
