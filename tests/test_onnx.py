"""ONNX Runtime inference: exports written at save and by `stance export`, torch-free loading,
agreement with the torch path, old folders, atomic export, int8.

A tiny BERT keeps the transformer tests fast; SetFit uses the packaged MiniLM body (frozen).
"""

import dataclasses
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, SEEDS, run_cli
from stance.config import SetFitConfig, TransformerConfig
from stance.data.labeled import load_labeled
from stance.errors import StanceError
from stance.model_folder import MANIFEST, build_manifest, read_manifest, write_manifest
from stance.models import create_model, load_model
from stance.models import onnx as onnx_models

LABELS = ["supportive", "skeptical", "neutral"]
PICKLES = (".pkl", ".pickle", ".joblib", ".bin", ".pt", ".pth")
HEAVY = ("torch", "transformers", "sentence_transformers")
LONG = "China can mediate between Moscow and Kyiv, analysts said. " * 400


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def seeds():
    return load_labeled(SEEDS, LABELS)


def with_manifest(folder: Path, kind: str, config) -> Path:
    write_manifest(
        folder,
        build_manifest(
            kind=kind,
            labels=LABELS,
            stance_labels=LABELS[:2],
            target="test",
            config={"model": dataclasses.asdict(config)},
            data_fingerprint="sha256:test",
            metrics={},
        ),
    )
    return folder


@pytest.fixture(scope="module")
def tiny_transformer(tmp_path_factory, seeds):
    """(config, torch model, folder): a 2-layer BERT with a seed-word vocabulary, 10 steps, saved."""
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    words = sorted({w for text in seeds.texts for w in re.findall(r"\w+|[^\w\s]", text.lower())})
    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words])}
    torch.manual_seed(0)
    checkpoint = tmp_path_factory.mktemp("tiny-bert")
    BertForMaskedLM(
        BertConfig(
            vocab_size=len(vocab),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=37,
            max_position_embeddings=128,
        )
    ).save_pretrained(checkpoint)
    BertTokenizerFast(vocab=vocab).save_pretrained(checkpoint)
    config = TransformerConfig(
        checkpoint=str(checkpoint), max_steps=10, batch_size=8, learning_rate=1e-3, device="cpu"
    )
    picked = [i for label in LABELS for i in [j for j, y in enumerate(seeds.labels) if y == label][:8]]
    model = create_model(config, LABELS, seed=3).fit(
        [seeds.texts[i] for i in picked], [seeds.labels[i] for i in picked]
    )
    folder = tmp_path_factory.mktemp("tiny-transformer")
    model.save(folder)
    return config, model, with_manifest(folder, "transformer", config)


@pytest.fixture(scope="module")
def setfit(tmp_path_factory, seeds):
    """(config, torch model, folder): the packaged MiniLM body, frozen, with a head on 30 sentences."""
    config = SetFitConfig(device="cpu")
    model = create_model(config, LABELS, seed=0).fit(seeds.texts[::9], seeds.labels[::9])
    folder = tmp_path_factory.mktemp("setfit")
    model.save(folder)
    return config, model, with_manifest(folder, "setfit", config)


def old_copy(folder: Path, destination: Path) -> Path:
    """The folder as a stance without ONNX support saved it: no export, none in the manifest."""
    shutil.copytree(folder, destination, ignore=shutil.ignore_patterns(onnx_models.EXPORT_DIR))
    manifest = read_manifest(destination)
    manifest.pop("onnx", None)
    write_manifest(destination, manifest)
    return destination


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---- export at save, agreement with torch ----


def test_transformer_save_writes_a_checked_fused_export(tiny_transformer):
    _, _, folder = tiny_transformer
    info = onnx_models.read_export(folder)
    assert info["kind"] == "transformer" and info["precision"] == "fp32" and info["output"] == "logits"
    assert info["labels"] == LABELS and info["max_length"] == 128
    assert info["fused_operators"].get("Attention") == 2  # onnxruntime's BERT fusions recognised the graph
    assert info["max_abs_error"] <= onnx_models.FP32_TOLERANCE
    assert (folder / "onnx" / "model.onnx").is_file() and (folder / "model.safetensors").is_file()
    assert not [p for p in folder.rglob("*") if p.name.endswith(PICKLES) or p.name.startswith(".")]


def test_exported_transformer_matches_torch(tiny_transformer, seeds):
    config, _, folder = tiny_transformer
    from stance.models.transformer import TransformerClassifier

    fast, _ = load_model(folder)
    assert isinstance(fast, onnx_models.OnnxTransformerClassifier)
    torch_model = TransformerClassifier.load(folder, config, LABELS)
    texts = [*seeds.texts, LONG, "Short."]  # every seed sentence, one over max_length
    expected, got = torch_model.predict_proba(texts), fast.predict_proba(texts)
    assert got.shape == (len(texts), 3)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert fast.predict_proba([]).shape == (0, 3)
    targets = ["china-mediator", "other"]  # a multi-target model sees "target: text"
    np.testing.assert_allclose(
        fast.predict_proba(texts[:2], targets), torch_model.predict_proba(texts[:2], targets), atol=1e-4
    )


def test_exported_setfit_matches_torch(setfit, seeds):
    _, model, folder = setfit
    info = onnx_models.read_export(folder)
    assert info["kind"] == "setfit" and info["tokenizer"] == "body/tokenizer.json" and info["max_length"] == 256
    assert info["fused_operators"].get("Attention") == 6
    fast, _ = load_model(folder)
    assert isinstance(fast, onnx_models.OnnxSetFitClassifier)
    texts = [*seeds.texts, LONG]
    expected, got = model.predict_proba(texts), fast.predict_proba(texts)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert not [p for p in folder.rglob("*") if p.name.endswith(PICKLES)]


def test_binary_setfit_head_matches_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)), np.array(["a", "b"] * 20)
    head = LogisticRegression().fit(x, y)
    fast = onnx_models.OnnxSetFitClassifier.__new__(onnx_models.OnnxSetFitClassifier)
    fast.classes, fast.coef, fast.intercept = ["a", "b"], head.coef_, head.intercept_
    np.testing.assert_allclose(fast.head_proba(x), head.predict_proba(x), atol=1e-12)


def test_a_failed_export_at_save_keeps_the_trained_model(tiny_transformer, tmp_path, monkeypatch, capsys):
    from stance.models.transformer import TransformerClassifier

    config, model, _ = tiny_transformer

    def unsupported(*args, **kwargs):
        raise RuntimeError("an operator the exporter does not know")

    monkeypatch.setattr(onnx_models, "export_transformer", unsupported)
    model.save(tmp_path)
    assert "no ONNX export, the folder will load through torch (RuntimeError" in capsys.readouterr().err
    assert not (tmp_path / "onnx").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert isinstance(load_model(with_manifest(tmp_path, "transformer", config))[0], TransformerClassifier)


# ---- no torch at classify time ----


def test_classify_and_evaluate_import_neither_torch_nor_transformers(tiny_transformer, setfit, tmp_path):
    data = tmp_path / "some.csv"
    data.write_text(
        "text,label\nChina can be an honest broker.,supportive\nIt is a fig leaf.,skeptical\n"
        "They had dinner.,neutral\n",
        encoding="utf-8",
    )
    for folder in (tiny_transformer[2], setfit[2]):
        code = (
            "import json, sys\n"
            "from stance.cli.main import main\n"
            f"assert main(['classify', {str(folder)!r}, '--json', 'China can be an honest broker.']) == 0\n"
            f"assert main(['evaluate', {str(folder)!r}, {str(data)!r}, '--json', '--n-bootstrap', '20']) == 0\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stderr.strip().splitlines()[-1]) == [], f"{folder}: heavy imports"
        assert json.loads(done.stdout.splitlines()[0])["label"] in LABELS


# ---- old folders and `stance export` ----


def test_old_folder_loads_through_torch_and_export_adds_the_onnx(tiny_transformer, seeds, tmp_path):
    from stance.models.transformer import TransformerClassifier

    _, _, folder = tiny_transformer
    old = old_copy(folder, tmp_path / "old")
    (old / "report.md").write_text("# a report save() does not write\n", encoding="utf-8")
    model, _ = load_model(old)
    assert isinstance(model, TransformerClassifier)  # no export: the torch path, as before
    expected = model.predict_proba(seeds.texts[:50])
    before = snapshot(old)
    info = run_cli("info", str(old))
    assert b"onnx:         none" in info.stdout

    done = run_cli("export", str(old))
    assert done.returncode == 0, done.stderr
    assert b"fp32 ONNX export written (onnx/model.onnx" in done.stdout
    after = snapshot(old)
    assert set(before) < set(after) and after["report.md"] == before["report.md"]
    assert after["model.safetensors"] == before["model.safetensors"]  # the same weights, saved again
    assert read_manifest(old)["onnx"]["precision"] == "fp32"
    assert read_manifest(old)["onnx"]["files"] == ["onnx/model.onnx"]
    assert b"fp32 ONNX export (onnx/model.onnx" in run_cli("info", str(old)).stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]  # no staging folders left behind
    fast, _ = load_model(old)
    assert isinstance(fast, onnx_models.OnnxTransformerClassifier)
    np.testing.assert_allclose(fast.predict_proba(seeds.texts[:50]), expected, atol=1e-4)


def test_failed_export_leaves_the_folder_as_it_was(tiny_transformer, tmp_path, monkeypatch):
    old = old_copy(tiny_transformer[2], tmp_path / "old")
    before = snapshot(old)

    def broken(folder):
        raise StanceError("quantisation broke")

    monkeypatch.setattr(onnx_models, "quantize", broken)
    with pytest.raises(StanceError, match="quantisation broke"):
        onnx_models.export_model_folder(old, "int8")
    assert snapshot(old) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


def test_export_of_a_tfidf_model_is_refused(tfidf_model, tmp_path):
    folder = shutil.copytree(tfidf_model, tmp_path / "tfidf")
    before = snapshot(folder)
    done = run_cli("export", str(folder))
    assert done.returncode == 2 and b"nothing was exported" in done.stderr
    assert snapshot(folder) == before


def test_int8_export(tiny_transformer, seeds, tmp_path):
    _, _, folder = tiny_transformer
    copy = shutil.copytree(folder, tmp_path / "int8")
    fp32, _ = load_model(copy)
    entry = onnx_models.export_model_folder(copy, "int8")
    assert entry["precision"] == "int8" and read_manifest(copy)["onnx"] == entry
    info = onnx_models.read_export(copy)
    assert info["precision"] == "int8" and info["quantization"]["weights"] == "int8 per channel"
    assert (copy / "onnx" / "model.onnx").stat().st_size < (folder / "onnx" / "model.onnx").stat().st_size
    fast, _ = load_model(copy)
    assert fast.precision == "int8"
    got, expected = fast.predict_proba(seeds.texts), fp32.predict_proba(seeds.texts)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-6)
    assert np.abs(got - expected).max() < 0.05  # close to fp32, not equal
    onnx_models.export_model_folder(copy, "fp32")  # and back, from the safetensors
    assert onnx_models.read_export(copy)["precision"] == "fp32"


# ---- runtime settings and broken exports ----


def test_providers_use_cuda_only_when_onnxruntime_offers_it(monkeypatch):
    import onnxruntime

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert onnx_models.providers("auto") == ["CPUExecutionProvider"]
    with pytest.raises(StanceError, match="onnxruntime-gpu"):
        onnx_models.providers("cuda")
    monkeypatch.setattr(
        onnxruntime, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    assert onnx_models.providers("auto") == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert onnx_models.providers("cpu") == ["CPUExecutionProvider"]


def test_thread_setting(tiny_transformer, monkeypatch):
    monkeypatch.setenv(onnx_models.THREADS_ENV, "1")
    session = onnx_models.make_session(tiny_transformer[2] / "onnx" / "model.onnx")
    assert session.get_session_options().intra_op_num_threads == 1
    monkeypatch.setenv(onnx_models.THREADS_ENV, "many")
    with pytest.raises(StanceError, match=onnx_models.THREADS_ENV):
        onnx_models.make_session(tiny_transformer[2] / "onnx" / "model.onnx")


def test_broken_exports_fail_clearly(tiny_transformer, tmp_path):
    _, _, folder = tiny_transformer
    truncated = shutil.copytree(folder, tmp_path / "truncated")
    graph = truncated / "onnx" / "model.onnx"
    graph.write_bytes(graph.read_bytes()[:5000])
    with pytest.raises(StanceError, match=re.escape(str(graph))) as err:
        load_model(truncated)
    assert "\n" not in str(err.value)

    no_tokenizer = shutil.copytree(folder, tmp_path / "no-tokenizer")
    (no_tokenizer / "tokenizer.json").unlink()
    with pytest.raises(StanceError, match="tokenizer"):
        load_model(no_tokenizer)

    other_labels = shutil.copytree(folder, tmp_path / "labels")
    manifest = json.loads((other_labels / MANIFEST).read_text(encoding="utf-8"))
    manifest["labels"] = ["for", "against", "none"]
    (other_labels / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(StanceError, match="labels"):
        load_model(other_labels)
