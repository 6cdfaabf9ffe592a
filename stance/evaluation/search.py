"""Choosing a model's settings on the val split (`data.search`), as official-split benchmarks expect.

Each candidate is trained on `train` and scored on `val` by F_avg. A per-target model keeps,
for each target, the candidate that did best on that target's val tweets (`target_settings`);
any other model keeps the best candidate on the pooled val split. Ties go to the candidate
listed first. Test is never looked at.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from stance.config import TrainConfig, search_candidates
from stance.data.formats import TrainingData
from stance.evaluation.metrics import classification_metrics
from stance.models import create_model


@dataclasses.dataclass
class SearchOutcome:
    """The chosen model config, and each candidate's val F_avg (per target, or pooled as "all")."""

    config: Any
    candidates: list[dict[str, Any]]
    val_f_avg: dict[str, list[float | None]]  # scope -> one score per candidate
    chosen: dict[str, int]  # scope -> index of the chosen candidate

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidates": self.candidates,
            "val_f_avg": self.val_f_avg,
            "chosen": {scope: self.candidates[i] for scope, i in self.chosen.items()},
        }


def choose_on_val(
    config: TrainConfig,
    data: TrainingData,
    train: Sequence[int],
    val: Sequence[int],
    progress: Callable[[str], None],
) -> SearchOutcome | None:
    """The settings `data.search` lists for this model kind, chosen on `val`; None when there are none."""
    candidates = search_candidates(config.model, config.data.search)
    if not candidates:
        return None
    corpus = data.evaluated
    labels, stance_labels = config.data.labels, config.data.stance_labels
    # Only kinds that wrap one model per target can hold per-target settings (an ensemble cannot).
    per_target = hasattr(config.model, "target_settings") and config.model.per_target and corpus.targets is not None
    scopes = list(dict.fromkeys(corpus.targets[i] for i in val)) if per_target else ["all"]
    rows_of = {s: [i for i in val if s == "all" or corpus.targets[i] == s] for s in scopes}
    texts = [corpus.texts[i] for i in val]
    targets = None if corpus.targets is None else [corpus.targets[i] for i in val]
    position = {row: k for k, row in enumerate(val)}
    scores: dict[str, list[float | None]] = {s: [] for s in scopes}
    for number, candidate in enumerate(candidates, start=1):
        progress(f"search {number}/{len(candidates)} on val: {_show(candidate)}")
        model = create_model(dataclasses.replace(config.model, **candidate), labels, seed=config.seed)
        predicted = model.fit(*data.training_rows(train)).predict_proba(texts, targets).argmax(axis=1)
        for scope, rows in rows_of.items():
            gold = [corpus.labels[i] for i in rows]
            guess = [labels[predicted[position[i]]] for i in rows]
            scores[scope].append(classification_metrics(gold, guess, labels, stance_labels).f_avg)
    chosen = {s: int(np.argmax([-1.0 if v is None else v for v in values])) for s, values in scores.items()}
    if per_target:
        settings = {s: candidates[i] for s, i in chosen.items()}
        chosen_config = dataclasses.replace(config.model, target_settings=settings)
    else:
        chosen_config = dataclasses.replace(config.model, **candidates[chosen["all"]])
    for scope, i in chosen.items():
        where = "pooled val" if scope == "all" else f"{scope} val"
        progress(f"chosen on {where}: {_show(candidates[i])} (F_avg {_fmt(scores[scope][i])})")
    return SearchOutcome(chosen_config, candidates, scores, chosen)


def _show(candidate: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in candidate.items())


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
