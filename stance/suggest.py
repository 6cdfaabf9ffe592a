"""What to label next: uncertain sentences, kept diverse so the picks are not near-duplicates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SUGGEST_COLUMNS = ["rank", "source", "text", "label", "target", "uncertainty", "predicted", "p_predicted"]


def entropy(probabilities: np.ndarray) -> np.ndarray:
    """Normalised entropy in [0, 1]: 1 = the model cannot tell the labels apart."""
    p = np.clip(np.asarray(probabilities, dtype=float), 1e-12, 1)
    return -(p * np.log(p)).sum(axis=1) / np.log(p.shape[1])


def select(
    probabilities: np.ndarray, texts: Sequence[str], n: int, diversity: float = 0.5, candidates: int = 5
) -> list[int]:
    """Pick n indices by maximal marginal relevance: uncertainty minus `diversity` times the
    largest TF-IDF cosine similarity to a sentence already picked, among the
    `candidates * n` most uncertain sentences."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = min(n, len(texts))
    if n <= 0:
        return []
    uncertainty = entropy(probabilities)
    pool = list(np.argsort(-uncertainty, kind="stable")[: max(n, candidates * n)])
    vectors = TfidfVectorizer(sublinear_tf=True).fit_transform([texts[i] for i in pool])
    similarity = (vectors @ vectors.T).toarray()
    chosen: list[int] = []
    closest = np.zeros(len(pool))
    for _ in range(n):
        score = uncertainty[pool] - diversity * closest
        score[chosen] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        closest = np.maximum(closest, similarity[best])
    return [int(pool[i]) for i in chosen]


def simulate(
    make_model: Callable[[], Any],
    texts: Sequence[str],
    labels: Sequence[str],
    groups: Sequence[str],
    label_set: Sequence[str],
    stance_labels: Sequence[str],
    start: int = 20,
    batch: int = 20,
    rounds: int = 6,
    seeds: int = 3,
) -> dict[str, Any]:
    """Active labeling against random labeling, same budget, leave-one-group-out.

    For each held-out group and seed: start from `start` random sentences of the other
    groups, then add `batch` sentences per round, chosen by `select` or at random. Macro-F1
    is computed on all held-out predictions pooled, per budget and strategy.
    """
    from stance.evaluation.metrics import classification_metrics
    from stance.evaluation.protocols import group_folds

    texts, labels = list(texts), list(labels)
    budgets = [start + batch * r for r in range(rounds + 1)]
    predictions = {s: {b: [[""] * len(texts) for _ in range(seeds)] for b in budgets} for s in ("random", "suggest")}
    for _, train_index, test_index in group_folds(groups):
        test_texts = [texts[i] for i in test_index]
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            initial = list(rng.choice(train_index, size=min(start, len(train_index)), replace=False))
            for strategy in ("random", "suggest"):
                labeled = list(initial)
                for budget in budgets:
                    model = _fit(make_model, [texts[i] for i in labeled], [labels[i] for i in labeled], label_set)
                    probabilities = model.predict_proba(test_texts)
                    for i, row in zip(test_index, probabilities):
                        predictions[strategy][budget][seed][i] = label_set[int(row.argmax())]
                    taken = set(labeled)
                    rest = [i for i in train_index if i not in taken]
                    if not rest or budget == budgets[-1]:
                        continue
                    if strategy == "random":
                        labeled += list(rng.choice(rest, size=min(batch, len(rest)), replace=False))
                    else:
                        picks = select(model.predict_proba([texts[i] for i in rest]), [texts[i] for i in rest], batch)
                        labeled += [rest[j] for j in picks]
    curves: dict[str, list[dict[str, float]]] = {}
    for strategy, by_budget in predictions.items():
        curves[strategy] = []
        for budget in budgets:
            scores = [classification_metrics(labels, p, label_set, stance_labels).macro_f1 for p in by_budget[budget]]
            curves[strategy].append(
                {
                    "budget": budget,
                    "macro_f1": float(np.mean(scores)),
                    "sd": float(np.std(scores, ddof=1)) if seeds > 1 else 0.0,
                }
            )
    return {"start": start, "batch": batch, "seeds": seeds, "curves": curves}


def _fit(make_model: Callable[[], Any], texts: list[str], labels: list[str], label_set: Sequence[str]) -> Any:
    """A model fit on the labeled sentences; a constant prior while only one label is known."""
    if len(set(labels)) < 2:

        class Constant:
            def predict_proba(self, batch: Sequence[str]) -> np.ndarray:
                row = np.array([1.0 if x == labels[0] else 0.0 for x in label_set])
                return np.tile(row, (len(batch), 1))

        return Constant()
    return make_model().fit(texts, labels)


def read_pool(pool: str | Path, split: bool = False) -> tuple[list[str], list[str]]:
    """Non-empty pool texts and where each came from (file:line, file:row N, or file:sentence N)."""
    from stance.data.articles import split_article
    from stance.data.inputs import read_inputs
    from stance.data.io import read_text_file
    from stance.errors import StanceError

    if split:
        if Path(pool).suffix.lower() == ".csv":
            raise StanceError(f"{pool}: --split is for prose articles; a CSV pool already holds one text a row")
        texts = split_article(read_text_file(pool))
        return texts, [f"{pool}:sentence {i}" for i in range(1, len(texts) + 1)]
    inputs = read_inputs([], str(pool))
    keep = [i for i, row in enumerate(inputs.rows) if row is not None]
    texts = [inputs.rows[i] for i in keep]
    long_lines = sum(len(t) > 400 for t in texts)
    if texts and long_lines > len(texts) / 2:
        raise StanceError(
            f"{pool}: most lines are longer than 400 characters, which looks like prose; "
            "pass --split to split it into sentences as `analyze` does"
        )
    return texts, [inputs.positions[i] for i in keep]


def suggest(
    model: Any,
    manifest: dict[str, Any],
    pool: str | Path,
    n: int,
    diversity: float = 0.5,
    target: str | None = None,
    split: bool = False,
) -> tuple[list[list[Any]], int]:
    """Rows of SUGGEST_COLUMNS for the n pool sentences most worth labeling, and the pool size."""
    from stance.errors import StanceError
    from stance.predict import predict_proba, resolve_targets

    texts, positions = read_pool(pool, split)
    if not texts:
        raise StanceError(f"{pool}: no non-empty text")
    probabilities = predict_proba(model, texts, resolve_targets(manifest, target, None, len(texts)))
    uncertainty = entropy(probabilities)
    rows = []
    for rank, i in enumerate(select(probabilities, texts, n, diversity=diversity), start=1):
        best = int(probabilities[i].argmax())
        rows.append(
            [
                rank,
                positions[i],
                texts[i],
                "",
                target or manifest.get("target", ""),
                f"{uncertainty[i]:.4f}",
                model.labels[best],
                f"{probabilities[i, best]:.4f}",
            ]
        )
    return rows, len(texts)
