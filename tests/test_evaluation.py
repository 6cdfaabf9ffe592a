import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from conftest import SEEDS
from stance.data import load_labeled
from stance.evaluation import bootstrap_intervals, classification_metrics, cross_validate, group_folds

LABELS = ["supportive", "skeptical", "neutral"]
STANCE = ["supportive", "skeptical"]


def test_folds_never_share_an_article():
    data = load_labeled(SEEDS, LABELS)
    groups = data.columns["article"]
    folds = group_folds(groups)
    assert len(folds) == 5
    covered = np.concatenate([test for _, _, test in folds])
    assert sorted(covered) == list(range(len(groups)))
    for held_out, train, test in folds:
        assert {groups[i] for i in test} == {held_out}
        assert held_out not in {groups[i] for i in train}


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(1)
    gold = list(rng.choice(LABELS, 200))
    predicted = list(rng.choice(LABELS, 200))
    metrics = classification_metrics(gold, predicted, LABELS, STANCE)
    per_class = f1_score(gold, predicted, labels=LABELS, average=None)
    assert metrics["macro_f1"] == pytest.approx(per_class.mean())
    assert metrics["f_avg"] == pytest.approx(per_class[:2].mean())
    assert metrics["accuracy"] == pytest.approx(accuracy_score(gold, predicted))
    assert np.array(metrics["confusion"]["matrix"]).sum() == 200
    assert metrics["per_class"]["neutral"]["support"] == gold.count("neutral")


def test_averages_skip_labels_absent_from_gold_and_predictions():
    metrics = classification_metrics(["neutral"] * 3, ["neutral"] * 3, LABELS, STANCE)
    assert metrics["macro_f1"] == 1.0
    assert metrics["f_avg"] is None


def test_bootstrap_interval_brackets_the_point_estimate_and_is_reproducible():
    rng = np.random.default_rng(2)
    gold = list(rng.choice(LABELS, 150))
    predicted = [g if rng.random() < 0.7 else "neutral" for g in gold]
    point = classification_metrics(gold, predicted, LABELS, STANCE)
    first = bootstrap_intervals(gold, predicted, LABELS, STANCE, 300, 0.95, seed=3)
    second = bootstrap_intervals(gold, predicted, LABELS, STANCE, 300, 0.95, seed=3)
    assert first == second
    for name in ("macro_f1", "f_avg"):
        low, high = first[name]
        assert low < point[name] < high
        assert high - low < 0.3


def test_cross_validation_baseline_predicts_the_training_majority():
    class Constant:
        def fit(self, texts, labels):
            return self

        def predict_proba(self, texts):
            return np.tile([0.2, 0.3, 0.5], (len(texts), 1))

    texts = [f"t{i}" for i in range(9)]
    gold = ["skeptical"] * 2 + ["neutral"] * 7
    groups = ["a", "a", "a", "b", "b", "b", "c", "c", "c"]
    probabilities, baseline, folds = cross_validate(lambda fold: Constant(), texts, gold, groups, LABELS)
    assert probabilities.shape == (9, 3)
    assert baseline == ["neutral"] * 9
    assert len(folds) == 3
