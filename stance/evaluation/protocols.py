"""How a model is scored: leave-one-group-out cross-validation, or official splits.

Both score only the evaluated sentences; train-only sentences join every training set and are
never predicted. Each protocol returns a `Scored` result with a majority baseline on the same
folds or splits.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from stance.config import TrainConfig
from stance.data.formats import TrainingData
from stance.evaluation.metrics import calibration, classification_metrics, evaluate_predictions
from stance.evaluation.results import Evaluation, GroupScore
from stance.evaluation.search import choose_on_val
from stance.models import create_model
from stance.models.base import StanceClassifier, shared_across_folds

Fold = tuple[str, np.ndarray, np.ndarray]  # (held-out group, train indices, test indices)


@dataclass
class Scored:
    """A protocol's outcome: scores, the baseline's, and the held-out probabilities."""

    scores: Evaluation
    baseline: Evaluation
    per_group: list[GroupScore]
    protocol: str
    protocol_short: str
    probabilities: np.ndarray  # one row per evaluated sentence (zeros where not scored)
    scored_rows: list[int]  # the evaluated rows behind the scores
    final_rows: list[int]  # the evaluated rows the saved model is fitted on (plus any train-only rows)
    val: Evaluation | None = None
    model_config: Any = None  # the settings the saved model is fitted with (None: the configured ones)
    search: dict[str, Any] | None = None  # official splits with data.search: candidates, val scores, choice


def group_folds(groups: Sequence[str]) -> list[Fold]:
    """Leave-one-group-out folds as (held-out group, train indices, test indices)."""
    from sklearn.model_selection import LeaveOneGroupOut

    groups = np.asarray(groups)
    return [(str(groups[test[0]]), train, test) for train, test in LeaveOneGroupOut().split(groups, groups=groups)]


def subsample(indices: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A random share of the training indices (learning curves); all of them at 1.0."""
    if fraction >= 1:
        return indices
    rng = np.random.default_rng(seed)
    size = max(1, math.ceil(fraction * len(indices)))
    return np.sort(rng.choice(indices, size=size, replace=False))


def cross_validate(
    make_model: Callable[[int], StanceClassifier],
    data: TrainingData,
    seed: int = 0,
    train_fraction: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> tuple[np.ndarray, list[str], list[Fold]]:
    """Out-of-fold probabilities of the evaluated sentences, and the baseline's predictions.

    Each fold trains on the other groups' sentences (a `train_fraction` share of them) plus
    every train-only sentence, with per-row targets when the data has them. The baseline
    predicts the majority label of each fold's evaluated training sentences.
    """
    corpus = data.evaluated
    probabilities = None
    baseline = [""] * len(corpus)
    folds = group_folds(corpus.groups)
    started = time.perf_counter()
    with shared_across_folds():
        for fold_number, (held_out, train_index, test_index) in enumerate(folds):
            if progress is not None:
                progress(
                    f"fold {fold_number + 1}/{len(folds)}: holding out {held_out} ({len(test_index)} sentences)"
                    f" [{time.perf_counter() - started:.0f} s]"
                )
            train_index = subsample(train_index, train_fraction, seed + fold_number)
            model = make_model(fold_number)
            texts, labels, targets = data.training_rows(train_index)
            model.fit(texts, labels, targets)
            test_targets = None if corpus.targets is None else [corpus.targets[i] for i in test_index]
            fold_probabilities = model.predict_proba([corpus.texts[i] for i in test_index], test_targets)
            if probabilities is None:
                probabilities = np.zeros((len(corpus), len(model.labels)))
            probabilities[test_index] = fold_probabilities
            # The baseline sees the evaluated training rows only, so it is the same with or without
            # train-only data.
            majority = Counter(corpus.labels[i] for i in train_index).most_common(1)[0][0]
            for i in test_index:
                baseline[i] = majority
    return probabilities, baseline, folds


def _per_group(
    config: TrainConfig, gold: list[str], predicted: list[str], rows_by_group: dict[str, list[int]]
) -> list[GroupScore]:
    out = []
    for group, rows in rows_by_group.items():
        m = classification_metrics(
            [gold[i] for i in rows], [predicted[i] for i in rows], config.data.labels, config.data.stance_labels
        )
        out.append(GroupScore(group=group, n=m.n, macro_f1=m.macro_f1, f_avg=m.f_avg, accuracy=m.accuracy))
    return out


def _score(
    config: TrainConfig, gold: list[str], probabilities: np.ndarray, baseline: list[str], rows: list[int]
) -> tuple[Evaluation, Evaluation]:
    """The model's and the baseline's evaluation with intervals on the given rows."""
    labels = config.data.labels
    common = dict(
        labels=labels,
        stance_labels=config.data.stance_labels,
        n_bootstrap=config.n_bootstrap,
        confidence=config.confidence,
        seed=config.seed,
    )
    truth = [gold[i] for i in rows]
    predicted = [labels[i] for i in probabilities[rows].argmax(axis=1)]
    scores = evaluate_predictions(truth, predicted, **common)
    scores.calibration = calibration(truth, probabilities[rows], labels)
    return scores, evaluate_predictions(truth, [baseline[i] for i in rows], **common)


def progress(message: str) -> None:
    """Progress of long work on stderr, so stdout stays the result."""
    import sys

    print(f"  {message}", file=sys.stderr, flush=True)


def cross_validation(config: TrainConfig, data: TrainingData) -> Scored:
    """Leave-one-group-out cross-validation of the configured model, with a baseline."""
    corpus = data.evaluated
    labels = config.data.labels
    probabilities, baseline, folds = cross_validate(
        lambda fold: create_model(config.model, labels, seed=config.seed),
        data,
        seed=config.seed,
        train_fraction=config.train_fraction,
        progress=progress,
    )
    rows = list(range(len(corpus)))
    scores, baseline_scores = _score(config, corpus.labels, probabilities, baseline, rows)
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    column = config.data.group_column
    extra = f"; {len(data.train_only)} train-only sentences join every training fold" if data.train_only else ""
    return Scored(
        scores=scores,
        baseline=baseline_scores,
        per_group=_per_group(config, corpus.labels, predicted, {g: list(test) for g, _, test in folds}),
        protocol=(
            f"leave-one-{column}-out cross-validation ({len(folds)} folds; no {column} is split between "
            f"training and test{extra}; scores come from the evaluated data only)"
        ),
        protocol_short=f"leave-one-{column}-out CV",
        probabilities=probabilities,
        scored_rows=rows,
        final_rows=rows,
    )


def official_splits(config: TrainConfig, data: TrainingData) -> Scored:
    """Train on `train` (plus any train-only data), report on `test` (headline) and `val`;
    the baseline is each target's majority training label, as in SemEval-2016. Once settings
    are chosen on `val`, the saved model is refitted on train + val (never on test)."""
    corpus = data.evaluated
    labels = config.data.labels
    split_rows = {s: [i for i, x in enumerate(corpus.splits) if x == s] for s in ("train", "val", "test")}
    train = subsample(np.array(split_rows["train"]), config.train_fraction, config.seed).tolist()
    probabilities = np.zeros((len(corpus), len(labels)))
    scored = split_rows["val"] + split_rows["test"]
    targets = None if corpus.targets is None else [corpus.targets[i] for i in scored]
    with shared_across_folds():  # a frozen encoder embeds each tweet once for every candidate
        search = choose_on_val(config, data, train, split_rows["val"], progress)
        model_config = search.config if search else config.model
        progress(f"training on the train split ({len(train)} items)")
        model = create_model(model_config, labels, seed=config.seed).fit(*data.training_rows(train))
        probabilities[scored] = model.predict_proba([corpus.texts[i] for i in scored], targets)
    groups = list(dict.fromkeys(corpus.groups))
    majority = {
        g: Counter(corpus.labels[i] for i in train if corpus.groups[i] == g).most_common(1)[0][0] for g in groups
    }
    baseline = [majority[g] for g in corpus.groups]
    scores, baseline_scores = _score(config, corpus.labels, probabilities, baseline, split_rows["test"])
    val, _ = _score(config, corpus.labels, probabilities, baseline, split_rows["val"])
    val.calibration = None
    chose = "settings chosen on val by data.search (so val scores are optimistic), " if search else ""
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    by_group = {g: [i for i in split_rows["test"] if corpus.groups[i] == g] for g in groups}
    return Scored(
        scores=scores,
        baseline=baseline_scores,
        per_group=_per_group(config, corpus.labels, predicted, by_group),
        protocol=(
            f"official splits: trained on train, {chose}val scores kept for choosing between systems, reported on "
            f"test ({len(split_rows['test'])} items pooled over {len(by_group)} targets)"
        ),
        protocol_short="official test split",
        probabilities=probabilities,
        scored_rows=split_rows["test"],
        val=val,
        final_rows=split_rows["train"] + split_rows["val"],
        model_config=model_config,
        search=search.to_dict() if search else None,
    )
