"""Transformer and SetFit classifiers: training, determinism, safe save/load, broken folders.

A tiny BERT built here keeps most tests fast; the packaged MiniLM is trained for one step only.
"""

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import SEEDS, build_tiny_bert
from stance.config import SetFitConfig, TransformerConfig
from stance.data.labeled import load_labeled
from stance.errors import StanceError
from stance.model_folder import build_manifest, write_manifest
from stance.models import create_model, load_model

LABELS = ["supportive", "skeptical", "neutral"]
pytestmark = pytest.mark.usefixtures("one_torch_thread")
PICKLES = (".pkl", ".pickle", ".joblib", ".bin", ".pt", ".pth")


@pytest.fixture(scope="module")
def seeds():
    return load_labeled(SEEDS, LABELS)


def sample(seeds, n: int):
    """n sentences with every label present, spread over the file."""
    picked = []
    for label in LABELS:
        picked += [i for i, y in enumerate(seeds.labels) if y == label][: max(2, -(-n // 3))]
    picked = sorted(picked)[:n]
    return [seeds.texts[i] for i in picked], [seeds.labels[i] for i in picked]


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory, seeds) -> Path:
    """A randomly initialised 2-layer BERT with a vocabulary of the seed sentences' words."""
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), seeds.texts)


def tiny_config(checkpoint: Path, **overrides) -> TransformerConfig:
    values = dict(checkpoint=str(checkpoint), max_steps=10, batch_size=8, learning_rate=1e-3, device="cpu")
    return TransformerConfig(**{**values, **overrides})


@pytest.fixture(scope="module")
def tiny_trained(tmp_path_factory, tiny_checkpoint, seeds):
    """(config, texts, probabilities, folder) of a tiny transformer trained, saved with a manifest."""
    texts, labels = sample(seeds, 24)
    config = tiny_config(tiny_checkpoint)
    model = create_model(config, LABELS, seed=3).fit(texts, labels)
    folder = tmp_path_factory.mktemp("tiny-model")
    model.save(folder)
    write_manifest(
        folder,
        build_manifest(
            kind="transformer",
            labels=LABELS,
            stance_labels=LABELS[:2],
            target="test",
            config={"model": dataclasses.asdict(config)},
            data_fingerprint="sha256:test",
            metrics={},
        ),
    )
    return config, seeds.texts[:40], model.predict_proba(seeds.texts[:40]), folder


def test_tiny_transformer_round_trip(tiny_trained):
    config, texts, probabilities, folder = tiny_trained
    assert probabilities.shape == (len(texts), len(LABELS))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert not [p for p in folder.rglob("*") if p.name.endswith(PICKLES)]
    assert (folder / "model.safetensors").is_file()

    loaded = type(create_model(config, LABELS)).load(folder, config, LABELS)
    np.testing.assert_allclose(loaded.predict_proba(texts), probabilities, atol=1e-6)
    assert [loaded.model.config.id2label[i] for i in range(len(LABELS))] == LABELS

    via_manifest, manifest = load_model(folder)
    assert manifest["kind"] == "transformer"
    np.testing.assert_allclose(via_manifest.predict_proba(texts), probabilities, atol=1e-6)


def test_tiny_transformer_is_deterministic(tiny_trained, tiny_checkpoint, seeds):
    config, texts, probabilities, _ = tiny_trained
    train_texts, train_labels = sample(seeds, 24)
    again = create_model(config, LABELS, seed=3).fit(train_texts, train_labels).predict_proba(texts)
    np.testing.assert_array_equal(again, probabilities)
    other_seed = create_model(config, LABELS, seed=4).fit(train_texts, train_labels).predict_proba(texts)
    assert not np.allclose(other_seed, probabilities)


def test_tiny_transformer_without_class_weights_and_missing_label(tiny_checkpoint, seeds):
    # A training fold may lack a label: balanced weights give it 0, training still works.
    texts, labels = sample(seeds, 24)
    kept = [(t, y) for t, y in zip(texts, labels) if y != "supportive"]
    texts, labels = [t for t, _ in kept], [y for _, y in kept]
    for class_weight in ("balanced", None):
        config = tiny_config(tiny_checkpoint, max_steps=1, class_weight=class_weight)
        probabilities = create_model(config, LABELS).fit(texts, labels).predict_proba(texts[:5])
        assert probabilities.shape == (5, 3)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)


def test_tiny_transformer_with_targets(tiny_checkpoint, seeds):
    texts, labels = sample(seeds, 12)
    targets = ["china-mediator", "other"] * 6
    model = create_model(tiny_config(tiny_checkpoint, max_steps=1), LABELS).fit(texts, labels, targets)
    with_targets = model.predict_proba(texts[:4], targets[:4])
    assert with_targets.shape == (4, 3)
    assert not np.allclose(with_targets, model.predict_proba(texts[:4]))  # the target is part of the input


def test_balanced_class_weights():
    from stance.models.transformer import balanced_class_weights

    np.testing.assert_allclose(balanced_class_weights([0, 0, 0, 1], 3), [4 / 6, 4 / 2, 0.0])


def test_transformer_rejects_unknown_training_labels(tiny_checkpoint):
    with pytest.raises(StanceError, match="not among"):
        create_model(tiny_config(tiny_checkpoint), LABELS).fit(["a text", "another"], ["supportive", "joyful"])


def test_packaged_minilm_trains_one_step(seeds):
    texts, labels = sample(seeds, 8)
    config = TransformerConfig(max_steps=1, batch_size=8, max_length=64, device="cpu")
    model = create_model(config, LABELS, seed=0).fit(texts, labels)
    probabilities = model.predict_proba(seeds.texts[:5])
    assert probabilities.shape == (5, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert model.predict_proba([]).shape == (0, 3)


def _broken_copy(folder: Path, destination: Path) -> Path:
    import shutil

    shutil.copytree(folder, destination)
    return destination


def test_transformer_folder_without_tokenizer_fails_clearly(tiny_trained, tmp_path):
    config, _, _, folder = tiny_trained
    broken = _broken_copy(folder, tmp_path / "no-tokenizer")
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        (broken / name).unlink(missing_ok=True)
    with pytest.raises(StanceError, match=re.escape(str(broken))) as err:
        type(create_model(config, LABELS)).load(broken, config, LABELS)
    assert "tokenizer" in str(err.value) and "\n" not in str(err.value)


def test_transformer_folder_with_truncated_weights_fails_clearly(tiny_trained, tmp_path):
    _config, _, _, folder = tiny_trained
    broken = _broken_copy(folder, tmp_path / "truncated")
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(StanceError, match=re.escape(str(broken))) as err:
        load_model(broken)
    assert "\n" not in str(err.value)


def test_transformer_folder_without_weights_fails_clearly(tiny_trained, tmp_path):
    _config, _, _, folder = tiny_trained
    broken = _broken_copy(folder, tmp_path / "no-weights")
    (broken / "model.safetensors").unlink()
    with pytest.raises(StanceError, match=r"missing model\.safetensors"):
        load_model(broken)


def test_transformer_labels_must_match(tiny_trained):
    config, _, _, folder = tiny_trained
    with pytest.raises(StanceError, match="labels"):
        type(create_model(config, LABELS)).load(folder, config, ["for", "against", "none"])


# ---- SetFit ----


@pytest.fixture(scope="module")
def setfit_frozen(tmp_path_factory, seeds):
    texts, labels = sample(seeds, 30)
    config = SetFitConfig(device="cpu")
    model = create_model(config, LABELS, seed=0).fit(texts, labels)
    folder = tmp_path_factory.mktemp("setfit")
    model.save(folder)
    return config, model, folder


def test_setfit_frozen_round_trip(setfit_frozen, seeds):
    config, model, folder = setfit_frozen
    texts = seeds.texts[:40]
    probabilities = model.predict_proba(texts)
    assert probabilities.shape == (40, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert not [p for p in folder.rglob("*") if p.name.endswith(PICKLES)]
    assert (folder / "body" / "model.safetensors").is_file()
    loaded = type(model).load(folder, config, LABELS)
    np.testing.assert_allclose(loaded.predict_proba(texts), probabilities, atol=1e-6)
    assert list(loaded.head.classes_) == list(model.head.classes_)


def test_setfit_frozen_is_deterministic(setfit_frozen, seeds):
    config, model, _ = setfit_frozen
    texts, labels = sample(seeds, 30)
    again = create_model(config, LABELS, seed=0).fit(texts, labels)
    np.testing.assert_array_equal(again.predict_proba(seeds.texts[:20]), model.predict_proba(seeds.texts[:20]))


def test_setfit_contrastive_round_trip(setfit_frozen, seeds, tmp_path):
    texts, labels = sample(seeds, 12)
    config = SetFitConfig(contrastive_iterations=1, batch_size=12, device="cpu")
    model = create_model(config, LABELS, seed=0).fit(texts, labels)
    probabilities = model.predict_proba(seeds.texts[:10])
    model.save(tmp_path)
    loaded = type(model).load(tmp_path, config, LABELS)
    np.testing.assert_allclose(loaded.predict_proba(seeds.texts[:10]), probabilities, atol=1e-6)
    # The body was tuned: its embeddings differ from the frozen checkpoint's.
    _, frozen, _ = setfit_frozen
    assert not np.allclose(frozen.embed(texts[:3]), model.embed(texts[:3]), atol=1e-6)


def test_setfit_broken_folders_fail_clearly(setfit_frozen, tmp_path):
    config, model, folder = setfit_frozen
    cls = type(model)
    no_head = _broken_copy(folder, tmp_path / "no-head")
    (no_head / "head.safetensors").unlink()
    with pytest.raises(StanceError, match=r"missing head\.safetensors"):
        cls.load(no_head, config, LABELS)
    truncated = _broken_copy(folder, tmp_path / "truncated")
    weights = truncated / "body" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(StanceError, match=re.escape(str(truncated))):
        cls.load(truncated, config, LABELS)
    no_tokenizer = _broken_copy(folder, tmp_path / "no-tokenizer")
    for path in (no_tokenizer / "body").glob("tokenizer*"):
        path.unlink()
    (no_tokenizer / "body" / "vocab.txt").unlink(missing_ok=True)
    with pytest.raises(StanceError, match="tokenizer"):
        cls.load(no_tokenizer, config, LABELS)


def test_stance_models_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, stance.models; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_setfit_needs_two_labels():
    with pytest.raises(StanceError, match="at least two labels"):
        create_model(SetFitConfig(device="cpu"), LABELS).fit(["one text", "another"], ["neutral", "neutral"])


def test_long_texts_are_truncated_not_fatal(tiny_trained):
    _config, _texts, _, folder = tiny_trained
    model, _ = load_model(folder)
    probabilities = model.predict_proba(["China can mediate. " * 20000, "Short."])
    assert probabilities.shape == (2, len(LABELS))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
