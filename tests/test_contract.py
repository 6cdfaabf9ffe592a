"""One contract for every classifier kind and wrapper, in the spirit of scikit-learn's
`parametrize_with_checks`: fit returns self; predict_proba has one row per text, one column
per label in the order given, rows summing to 1; save/load gives the same probabilities; the
same seed gives the same model; an unfitted classifier fails with NotFittedError."""

import numpy as np
import pytest

from conftest import SEEDS, build_tiny_bert
from stance.config import EnsembleConfig, SetFitConfig, TfidfConfig, TransformerConfig
from stance.data.labeled import load_labeled
from stance.models import create_model, load_weights
from stance.models.base import NotFittedError

LABELS = ["supportive", "skeptical", "neutral"]
pytestmark = pytest.mark.usefixtures("one_torch_thread")
KINDS = ["tfidf", "transformer", "setfit", "ensemble", "per_target", "calibrated"]


@pytest.fixture(scope="module")
def data():
    seeds = load_labeled(SEEDS, LABELS)
    rows = [i for label in LABELS for i in [j for j, y in enumerate(seeds.labels) if y == label][:10]]
    texts = [seeds.texts[i] for i in rows]
    return texts, [seeds.labels[i] for i in rows], ["A", "B"] * (len(rows) // 2)


@pytest.fixture(scope="module")
def configs(tmp_path_factory, data):
    tiny = str(build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), data[0]))
    return {
        "tfidf": TfidfConfig(char_ngram_max=3),
        "transformer": TransformerConfig(checkpoint=tiny, max_steps=5, batch_size=8, learning_rate=1e-3, device="cpu"),
        "setfit": SetFitConfig(checkpoint=tiny, device="cpu"),
        "ensemble": EnsembleConfig(members=["tfidf", "tfidf"], weights=[1.0, 2.0]),
        "per_target": TfidfConfig(char_ngram_max=3, per_target=True),
        "calibrated": TfidfConfig(char_ngram_max=3, calibration="temperature"),
    }


def targets_for(kind, data):
    return data[2] if kind == "per_target" else None


@pytest.mark.parametrize("kind", KINDS)
def test_classifier_contract(kind, configs, data, tmp_path):
    texts, labels, _ = data
    targets = targets_for(kind, data)
    config = configs[kind]
    model = create_model(config, LABELS, seed=0)
    with pytest.raises(NotFittedError):
        model.predict_proba(texts[:2], None if targets is None else targets[:2])
    assert model.fit(texts, labels, targets) is model

    probabilities = model.predict_proba(texts, targets)
    assert probabilities.shape == (len(texts), len(LABELS))
    assert (probabilities >= 0).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)

    model.save(tmp_path)
    loaded = load_weights(tmp_path, config, LABELS)
    np.testing.assert_allclose(loaded.predict_proba(texts, targets), probabilities, atol=1e-6)

    again = create_model(config, LABELS, seed=0).fit(texts, labels, targets)
    np.testing.assert_allclose(again.predict_proba(texts, targets), probabilities, atol=1e-6)


@pytest.mark.parametrize("kind", ["tfidf", "per_target", "calibrated", "ensemble", "setfit"])
def test_columns_follow_the_given_label_order(kind, configs, data):
    texts, labels, _ = data
    targets = targets_for(kind, data)
    order = ["neutral", "supportive", "skeptical"]
    first = create_model(configs[kind], LABELS, seed=0).fit(texts, labels, targets).predict_proba(texts, targets)
    other = create_model(configs[kind], order, seed=0).fit(texts, labels, targets).predict_proba(texts, targets)
    np.testing.assert_allclose(other, first[:, [LABELS.index(x) for x in order]], atol=1e-6)


@pytest.mark.parametrize("kind", ["tfidf", "setfit", "per_target"])
def test_a_training_fold_without_a_label_still_gives_every_column(kind, configs, data):
    texts, labels, _ = data
    keep = [i for i, y in enumerate(labels) if y != "supportive"]
    targets = targets_for(kind, data)
    model = create_model(configs[kind], LABELS, seed=0)
    kept_targets = None if targets is None else [targets[i] for i in keep]
    model.fit([texts[i] for i in keep], [labels[i] for i in keep], kept_targets)
    probabilities = model.predict_proba(texts, targets)
    assert probabilities.shape == (len(texts), 3)
    assert (probabilities[:, 0] == 0).all()  # supportive was never seen


def test_every_registered_kind_is_in_the_contract():
    from stance.models import REGISTRY

    assert set(REGISTRY) <= set(KINDS)
