"""The one interface every classifier kind implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Sequence

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

import numpy as np

from stance.errors import StanceError


# Deterministic work that models may share between the folds of one cross-validation (e.g. the
# embeddings of a frozen encoder); None outside `shared_across_folds`, so saved models and
# throughput measurements never see it.
FOLD_CACHE: ContextVar[dict | None] = ContextVar("stance_fold_cache", default=None)


@contextmanager
def shared_across_folds() -> Iterator[None]:
    token = FOLD_CACHE.set({})
    try:
        yield
    finally:
        FOLD_CACHE.reset(token)


class NotFittedError(StanceError):
    """predict_proba or save on a classifier that was neither fitted nor loaded."""


class StanceClassifier(ABC):
    """fit / predict_proba / save / load: training, evaluation and the CLI use nothing else.

    `labels` fixes the column order of `predict_proba`. `save` writes the weights into an
    existing folder (the caller adds the manifest and moves the folder into place);
    `load` reads them back without unpickling anything.
    """

    kind: ClassVar[str]

    def __init__(self, config: Any, labels: Sequence[str], seed: int = 0):
        self.config = config
        self.labels = list(labels)
        self.seed = seed

    @abstractmethod
    def fit(
        self, texts: Sequence[str], labels: Sequence[str], targets: Sequence[str] | None = None
    ) -> "StanceClassifier":
        """Train on texts and their string labels; returns self.

        `targets` (one name per text) is given when the data has several stance targets;
        a joint model sees the target as part of its input (see `joint_inputs`).
        """

    @abstractmethod
    def predict_proba(self, texts: Sequence[str], targets: Sequence[str] | None = None) -> np.ndarray:
        """Probabilities, shape (len(texts), len(self.labels)), rows summing to 1."""

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Write the weights into `folder` (safetensors and JSON only)."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path, config: Any, labels: Sequence[str]) -> "StanceClassifier":
        """Rebuild a trained classifier from `folder`."""

    def check_fitted(self, *attributes: str) -> None:
        """Fail clearly when the fitted state (the named attributes) is missing."""
        if any(getattr(self, name, None) in (None, {}) for name in attributes):
            raise NotFittedError(f"this {self.kind} classifier is not fitted: call fit() or load() first")

    def in_label_order(self, probabilities: np.ndarray, classes: Sequence[Any]) -> np.ndarray:
        """Probability columns of `classes` rearranged to `self.labels`; a label the training
        data lacked (a small fold) gets a zero column."""
        classes = [str(c) for c in classes]
        out = np.zeros((len(probabilities), len(self.labels)))
        for column, label in enumerate(self.labels):
            if label in classes:
                out[:, column] = probabilities[:, classes.index(label)]
        return out

    def check_training_labels(self, labels: Sequence[str]) -> None:
        """Training labels must all be among the model's labels."""
        unknown = sorted(set(labels) - set(self.labels))
        if unknown:
            raise StanceError(f"training labels {unknown} are not among the model's labels {self.labels}")

    def predict(self, texts: Sequence[str], targets: Sequence[str] | None = None) -> list[str]:
        probabilities = self.predict_proba(texts, targets)
        return [self.labels[i] for i in probabilities.argmax(axis=1)]


def joint_inputs(texts: Sequence[str], targets: Sequence[str] | None) -> list[str]:
    """`target: text` for multi-target data, the texts themselves otherwise."""
    if targets is None:
        return list(texts)
    return [f"{target}: {text}" for target, text in zip(targets, texts)]
