"""Suspicious labels: out-of-fold probabilities plus confident learning (cleanlab)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from stance.config import MODEL_CONFIGS
from stance.data.formats import Corpus, TrainingData
from stance.data.labeled import load_labeled
from stance.errors import StanceError
from stance.evaluation.protocols import cross_validate
from stance.models import create_model

AUDIT_COLUMNS = ["rank", "id", "text", "group", "given", "suggested", "p_given", "p_suggested"]


def audit(
    path: str,
    labels: Sequence[str],
    model: str = "ensemble",
    group_column: str = "article",
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Rows whose given label the cross-validated model most disagrees with, most suspicious first.

    Probabilities are out-of-fold (leave-one-group-out), so no sentence is judged by a model
    that saw its label; cleanlab's `find_label_issues` then flags likely label errors.
    """
    from cleanlab.filter import find_label_issues

    if model not in MODEL_CONFIGS:
        raise StanceError(f"unknown model {model!r} (known: {', '.join(MODEL_CONFIGS)})")
    labels = list(labels)
    data = load_labeled(path, labels, required=("text", "label", group_column))
    groups = data.columns[group_column]
    if len(set(groups)) < 2:
        raise StanceError(f"{path}: audit needs at least two distinct {group_column!r} values for cross-validation")
    config = MODEL_CONFIGS[model]()
    corpus = Corpus(path=str(path), texts=data.texts, labels=data.labels, groups=groups, fingerprint=data.fingerprint)
    probabilities, _, _ = cross_validate(
        lambda fold: create_model(config, labels, seed=seed), TrainingData(corpus), seed=seed
    )
    given = np.array([labels.index(x) for x in data.labels])
    flagged = find_label_issues(labels=given, pred_probs=probabilities, return_indices_ranked_by="self_confidence")
    ids = data.columns.get("id", [str(i + 2) for i in range(len(data.texts))])
    rows = []
    for rank, i in enumerate(flagged, start=1):
        suggested = int(probabilities[i].argmax())
        rows.append(
            {
                "rank": rank,
                "id": ids[i],
                "text": data.texts[i],
                "group": groups[i],
                "given": data.labels[i],
                "suggested": labels[suggested],
                "p_given": round(float(probabilities[i, given[i]]), 4),
                "p_suggested": round(float(probabilities[i, suggested]), 4),
            }
        )
    return rows
