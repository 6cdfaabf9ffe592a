"""A weighted average of member models' probabilities (e.g. n-grams plus sentence embeddings)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from stance.models.base import StanceClassifier


def member_configs(config: Any) -> list[Any]:
    """Each member's default settings, sharing the ensemble's `per_target` choice."""
    from stance.config import MODEL_CONFIGS

    return [dataclasses.replace(MODEL_CONFIGS[name](), per_target=config.per_target) for name in config.members]


class EnsembleClassifier(StanceClassifier):
    kind = "ensemble"

    def __init__(self, config: Any, labels: Sequence[str], seed: int = 0):
        super().__init__(config, labels, seed)
        from stance.models import create_model

        self.members = [create_model(c, labels, seed=seed) for c in member_configs(config)]
        weights = np.asarray(config.weights or [1.0] * len(self.members), dtype=float)
        self.weights = weights / weights.sum()

    def fit(self, texts, labels, targets=None) -> "EnsembleClassifier":
        for member in self.members:
            member.fit(texts, labels, targets)
        return self

    def predict_proba(self, texts, targets=None) -> np.ndarray:
        return sum(w * m.predict_proba(texts, targets) for w, m in zip(self.weights, self.members))

    def save(self, folder: Path) -> None:
        for number, member in enumerate(self.members):
            sub = Path(folder) / f"member-{number}-{member.config.name}"
            sub.mkdir()
            member.save(sub)

    @classmethod
    def load(cls, folder: Path, config: Any, labels: Sequence[str]) -> "EnsembleClassifier":
        from stance.models import load_weights

        model = cls.__new__(cls)
        StanceClassifier.__init__(model, config, labels)
        model.members = [
            load_weights(Path(folder) / f"member-{number}-{member_config.name}", member_config, labels)
            for number, member_config in enumerate(member_configs(config))
        ]
        weights = np.asarray(config.weights or [1.0] * len(model.members), dtype=float)
        model.weights = weights / weights.sum()
        return model
