import itertools
import typing

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from conftest import SEEDS
from stance.data.labeled import load_labeled
from stance.evaluation.metrics import bootstrap_intervals, classification_metrics
from stance.evaluation.protocols import cross_validate, group_folds

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
    assert metrics.macro_f1 == pytest.approx(per_class.mean())
    assert metrics.f_avg == pytest.approx(per_class[:2].mean())
    assert metrics.accuracy == pytest.approx(accuracy_score(gold, predicted))
    assert np.array(metrics.confusion["matrix"]).sum() == 200
    assert metrics.per_class["neutral"]["support"] == gold.count("neutral")


def test_averages_skip_labels_absent_from_gold_and_predictions():
    metrics = classification_metrics(["neutral"] * 3, ["neutral"] * 3, LABELS, STANCE)
    assert metrics.macro_f1 == 1.0
    assert metrics.f_avg is None
    assert metrics.per_class["supportive"]["f1"] is None  # shown as n/a, not 0

    gold = ["neutral"] * 5 + ["skeptical"] * 3
    predicted = ["neutral"] * 4 + ["skeptical"] * 4
    present = ["neutral", "skeptical"]
    metrics = classification_metrics(gold, predicted, LABELS, STANCE)
    assert metrics.macro_f1 == pytest.approx(f1_score(gold, predicted, labels=present, average="macro"))


def test_bootstrap_scores_a_rare_label_even_when_a_resample_misses_it():
    # The reviewer's case: 2 supportive sentences, both predicted skeptical. Resamples that
    # miss them must not drop supportive from the average (that pushed the upper bound to 1.0).
    gold = ["neutral"] * 30 + ["supportive"] * 2 + ["skeptical"] * 3
    predicted = ["neutral"] * 30 + ["skeptical"] * 5
    point = classification_metrics(gold, predicted, LABELS, STANCE)
    interval = bootstrap_intervals(gold, predicted, LABELS, STANCE, 500, 0.95, seed=0)
    assert interval["macro_f1"][1] < 0.9 and interval["f_avg"][1] < 0.9
    assert interval["macro_f1"][0] <= point.macro_f1 <= interval["macro_f1"][1]


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
        assert low < getattr(point, name) < high
        assert high - low < 0.3


class Recorder:
    """A constant model that records what it was trained on and asked about."""

    labels = LABELS
    seen: typing.ClassVar[list] = []

    def fit(self, texts, labels, targets=None):
        from stance.models.base import FOLD_CACHE

        Recorder.seen.append(("fit", list(texts), None if targets is None else list(targets)))
        Recorder.seen.append(("cache", FOLD_CACHE.get() is not None, None))
        return self

    def predict_proba(self, texts, targets=None):
        Recorder.seen.append(("predict", list(texts), None if targets is None else list(targets)))
        return np.tile([0.2, 0.3, 0.5], (len(texts), 1))


def _corpus(texts, gold, groups, targets=None, path="evaluated.csv"):
    from stance.data.formats import Corpus

    return Corpus(path=path, texts=texts, labels=gold, groups=groups, fingerprint="x", targets=targets)


def test_cross_validation_baseline_predicts_the_training_majority():
    from stance.data.formats import TrainingData

    texts = [f"t{i}" for i in range(9)]
    # Held out a: b+c are 4 skeptical / 2 neutral. Held out b or c: neutral is the majority.
    gold = ["neutral"] * 3 + ["skeptical", "skeptical", "neutral"] + ["skeptical", "skeptical", "neutral"]
    groups = ["a", "a", "a", "b", "b", "b", "c", "c", "c"]
    probabilities, baseline, folds = cross_validate(
        lambda fold: Recorder(), TrainingData(_corpus(texts, gold, groups))
    )
    np.testing.assert_array_equal(probabilities, np.tile([0.2, 0.3, 0.5], (9, 1)))
    assert baseline == ["skeptical"] * 3 + ["neutral"] * 6
    assert len(folds) == 3


def test_train_only_sentences_join_every_training_fold_and_never_reach_a_test_fold():
    from stance.data.formats import TRAIN_ONLY_GROUP, TrainingData

    texts = [f"t{i}" for i in range(9)]
    gold = ["neutral", "neutral", "skeptical"] * 3
    groups = ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    extra_texts = [f"authored {i}" for i in range(6)]
    extra = _corpus(extra_texts, ["supportive"] * 6, [TRAIN_ONLY_GROUP] * 6, path="authored.csv")
    Recorder.seen = []
    probabilities, baseline, _folds = cross_validate(
        lambda fold: Recorder(), TrainingData(_corpus(texts, gold, groups), extra)
    )
    from stance.models.base import FOLD_CACHE

    assert all(shared for kind, shared, _ in Recorder.seen if kind == "cache")  # folds share deterministic work
    assert FOLD_CACHE.get() is None  # ... and nothing outside cross-validation does
    fits = [texts_ for kind, texts_, _ in Recorder.seen if kind == "fit"]
    predicted = [t for kind, texts_, _ in Recorder.seen if kind == "predict" for t in texts_]
    assert len(fits) == 3 and all(set(extra_texts) <= set(f) for f in fits)
    assert sorted(predicted) == sorted(texts)  # every evaluated sentence once, no train-only one
    assert probabilities.shape == (9, 3)
    # The baseline ignores train-only labels (else six 'supportive' rows would outvote four 'neutral').
    assert baseline == ["neutral"] * 9


def test_cross_validation_passes_per_row_targets_to_training_and_prediction():
    from stance.data.formats import TrainingData

    texts = [f"t{i}" for i in range(6)]
    targets = ["x", "y"] * 3
    corpus = _corpus(texts, ["neutral", "skeptical"] * 3, ["a", "a", "b", "b", "c", "c"], targets=targets)
    Recorder.seen = []
    cross_validate(lambda fold: Recorder(), TrainingData(corpus))
    assert all(t is not None and set(t) == {"x", "y"} for kind, _, t in Recorder.seen if kind == "fit")
    assert all(t is not None for kind, _, t in Recorder.seen if kind == "predict")


def test_calibration_of_perfectly_calibrated_and_overconfident_models():
    from stance.evaluation.metrics import calibration

    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.34, 1.0, 4000)
    right = rng.random(4000) < confidence  # right exactly as often as it claims
    probabilities = np.zeros((4000, 3))
    probabilities[:, 0] = confidence
    probabilities[:, 1:] = ((1 - confidence) / 2)[:, None]
    gold = ["supportive" if r else "neutral" for r in right]
    calibrated = calibration(gold, probabilities, LABELS)
    assert calibrated["ece"] < 0.03
    overconfident = calibration(["neutral"] * 4000, probabilities, LABELS)  # always wrong
    assert overconfident["ece"] == pytest.approx(confidence.mean(), abs=1e-9)
    trade = calibrated["trade_off"]
    assert trade[0]["coverage"] == 1.0
    assert all(a["coverage"] >= b["coverage"] for a, b in itertools.pairwise(trade))
