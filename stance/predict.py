"""Apply a trained model: classify texts (in chunks, with progress) and score it on labeled data."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.evaluation.results import Evaluation
from stance.models.base import StanceClassifier

CHUNK = 256
UNCERTAIN = "uncertain"


def resolve_targets(
    manifest: dict[str, Any], given: str | None, column: Sequence[str] | None, n: int
) -> list[str] | None:
    """Per-text targets for a multi-target model (from --target or a column); None otherwise."""
    known = manifest.get("targets")
    if not known:
        if given is not None:
            raise StanceError(f"--target: this model has a single target ({manifest.get('target')}); leave it out")
        return None
    if given is None and column is None:
        raise StanceError(f"this model was trained on several targets: pass --target (one of: {', '.join(known)})")
    targets = [given.strip()] * n if given is not None else [x.strip() for x in column]
    unknown = sorted(set(targets) - set(known))
    if unknown:
        raise StanceError(f"unknown target {unknown[0]!r} (this model knows: {', '.join(known)})")
    return targets


def predict_proba(
    model: StanceClassifier, texts: Sequence[str], targets: Sequence[str] | None = None, progress: bool = True
) -> np.ndarray:
    """Probabilities in chunks, with a progress bar on stderr for long inputs at a terminal.

    `progress=False` leaves the bar to a caller that shows its own (a streamed corpus).
    """
    chunks = range(0, len(texts), CHUNK)
    show, progress = progress, None
    if show and len(texts) > CHUNK and sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(total=len(texts), unit="sent", file=sys.stderr)
    parts = []
    for start in chunks:
        chunk = texts[start : start + CHUNK]
        parts.append(model.predict_proba(chunk, None if targets is None else targets[start : start + CHUNK]))
        if progress is not None:
            progress.update(len(chunk))
    if progress is not None:
        progress.close()
    return np.vstack(parts) if parts else np.zeros((0, len(model.labels)))


@dataclass
class Prediction:
    text: str
    label: str  # a model label, or "uncertain" below --min-confidence
    scores: dict[str, float]
    explanation: list[tuple[str, float]] | None = None

    @property
    def confidence(self) -> float:
        return max(self.scores.values())


def classify(
    model: StanceClassifier,
    texts: Sequence[str],
    targets: Sequence[str] | None = None,
    min_confidence: float = 0.0,
    explain: bool = False,
    progress: bool = True,
) -> list[Prediction]:
    """One prediction per text; `uncertain` where the top probability is below `min_confidence`."""
    if explain and not hasattr(model, "explain"):
        raise StanceError(f"--explain works for linear n-gram models (tfidf), not {type(model).__name__}")
    probabilities = predict_proba(model, texts, targets, progress)
    explanations = model.explain(texts, targets) if explain else [None] * len(texts)
    predictions = []
    for text, row, explanation in zip(texts, probabilities, explanations):
        best = int(row.argmax())
        label = model.labels[best] if row[best] >= min_confidence else UNCERTAIN
        scores = {name: round(float(p), 6) for name, p in zip(model.labels, row)}
        predictions.append(Prediction(text, label, scores, explanation))
    return predictions


def evaluate_file(
    model_dir: str | Path,
    model: StanceClassifier,
    manifest: dict[str, Any],
    path: str | Path,
    target: str | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> Evaluation:
    """Score a saved model on a labeled CSV (text, label; a target column for multi-target models)."""
    from stance.data.labeled import load_labeled
    from stance.evaluation.metrics import calibration, evaluate_predictions
    from stance.model_folder import count_training_texts

    # Duplicate texts or ids would count one sentence twice in every score.
    data = load_labeled(path, model.labels, required=("text", "label"), unique_ids=True)
    targets = resolve_targets(manifest, target, data.columns.get("target"), len(data.texts))
    probabilities = predict_proba(model, data.texts, targets)
    predicted = [model.labels[i] for i in probabilities.argmax(axis=1)]
    evaluation = evaluate_predictions(
        data.labels,
        predicted,
        model.labels,
        manifest.get("stance_labels", []),
        n_bootstrap=n_bootstrap,
        confidence=0.95,
        seed=seed,
    )
    evaluation.calibration = calibration(data.labels, probabilities, model.labels)
    evaluation.trained_on = count_training_texts(model_dir, data.texts)
    return evaluation
