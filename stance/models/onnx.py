"""ONNX Runtime inference for transformer and SetFit model folders, without torch.

Why: importing torch, transformers and sentence-transformers is most of a transformer or SetFit
model's start-up, and eager PyTorch leaves speed on the table for a small encoder on a CPU.
So a saved weights folder also carries an ONNX graph of its encoder — with the classification
head for a fine-tuned transformer, with pooling and L2 normalisation for a SetFit body — and
loading a folder that has one runs it on onnxruntime + tokenizers + numpy: no torch, no
transformers. Training stays on torch; the export is written at save, or added later to an old
folder by `stance export` (`export_model_folder`).

Layout: `<weights folder>/onnx/model.onnx` and `onnx/export.json` (what the graph computes, its
inputs, precision, tokenizer file and truncation length). The weights folder is the model folder
itself or a member of an ensemble / per-target / calibrated model, so wrappers need nothing new.

Export choices, measured with torch 2.13 and onnxruntime 1.32 on all-MiniLM-L6-v2:
- torch's TorchScript exporter (`dynamo=False`) with eager attention: onnxruntime's BERT fusions
  (EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu) recognise that graph.
  The dynamo exporter (torch's default) left attention unfused, with SDPA or eager attention
  alike, and took about 6x longer to export.
- every export is checked against torch on probe sentences (tokenizer ids identical, outputs
  within FP32_TOLERANCE); a fused graph that misses is replaced by the unfused one, and an
  unfused one that misses is an error, never a silently wrong model.
- int8 (`stance export --precision int8`): dynamic quantisation of the MatMul and Attention
  weights; it changes some labels (see README), so it is opt-in.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.models._hf import first_line
from stance.models.base import StanceClassifier, joint_inputs

EXPORT_DIR = "onnx"
MODEL_FILE = "model.onnx"
EXPORT_INFO = "export.json"
EXPORT_FORMAT = 1
PRECISIONS = ("fp32", "int8")
OPSET = 17
FP32_TOLERANCE = 1e-4
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
QUANTIZED_OPS = ["MatMul", "Attention"]
THREADS_ENV = "STANCE_ONNX_THREADS"
SETFIT_HEAD_WEIGHTS = "head.safetensors"  # the names stance.models.setfit writes (it imports torch)
SETFIT_HEAD_CONFIG = "head.json"
SETFIT_BODY = "body"

# Sentences the export is checked on: cases, accents, digits, quotes, non-Latin script, emoji, and
# one longer than any max_length, so truncation is checked too.
PROBES = (
    "China can be an honest broker.",
    "Beijing's \"peace plan\" is a fig leaf that only reflects the Russian perspective!",
    "Xi Jinping met Vladimir Putin in Moscow on 20 March 2023; Zelenskyy wasn't invited.",
    "Café, naïve, Ærø — 中国 外交部 and 🇺🇦 emoji 🙂.",
    "ok",
    " ".join(["The mediation effort kept stalling because neither side trusted Beijing."] * 60),
)


# ---- reading an export ----


def export_folder(folder: str | Path) -> Path:
    return Path(folder) / EXPORT_DIR


def has_export(folder: str | Path) -> bool:
    return (export_folder(folder) / EXPORT_INFO).is_file()


def read_export(folder: str | Path) -> dict[str, Any]:
    """The export's description; a missing or corrupt one is a StanceError naming the folder."""
    path = export_folder(folder) / EXPORT_INFO
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StanceError(f"{folder}: no ONNX export ({EXPORT_DIR}/{EXPORT_INFO})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise StanceError(f"{path}: corrupt ONNX export description ({err})") from None
    required = ("kind", "file", "precision", "inputs", "output", "tokenizer", "max_length", "pad_id")
    if not isinstance(info, dict) or any(key not in info for key in required):
        raise StanceError(f"{path}: incomplete ONNX export description (needs {', '.join(required)})")
    if info.get("format", 0) > EXPORT_FORMAT:
        raise StanceError(f"{path}: export format {info['format']} is newer than this stance reads; upgrade stance")
    if not (export_folder(folder) / info["file"]).is_file():
        raise StanceError(f"{folder}: missing {EXPORT_DIR}/{info['file']}")
    return info


def find_exports(folder: str | Path) -> list[Path]:
    """Every weights folder under `folder` (itself included) that holds an ONNX export."""
    folder = Path(folder)
    return sorted(path.parent.parent for path in folder.rglob(f"{EXPORT_DIR}/{EXPORT_INFO}"))


def manifest_entry(folder: str | Path) -> dict[str, Any] | None:
    """What stance.json records about a model folder's exports (None when it has none)."""
    folder = Path(folder)
    exports = find_exports(folder)
    if not exports:
        return None
    infos = [read_export(path) for path in exports]
    files = [(path / EXPORT_DIR / info["file"]) for path, info in zip(exports, infos)]
    precisions = sorted({info["precision"] for info in infos})
    return {
        "precision": precisions[0] if len(precisions) == 1 else "mixed",
        "files": [str(path.relative_to(folder)) for path in files],
        "bytes": sum(path.stat().st_size for path in files),
        "onnxruntime": infos[0].get("onnxruntime"),
    }


def describe(manifest: dict[str, Any]) -> str | None:
    """One line for `stance info`: whether classify runs on onnxruntime, and at which precision."""
    entry = manifest.get("onnx")
    if isinstance(entry, dict) and entry.get("files"):
        size = entry.get("bytes", 0) / 1e6
        return (f"{entry.get('precision', '?')} ONNX export ({', '.join(entry['files'])}, {size:.1f} MB): "
                "classify runs on onnxruntime, without torch")
    if manifest.get("kind") in ("transformer", "setfit"):
        return "none (classify loads torch; `stance export MODEL_DIR` adds one)"
    return None


# ---- inference ----


def _threads() -> int:
    """Threads for one session: the cores this process may run on (STANCE_ONNX_THREADS overrides).

    onnxruntime's own default counts the machine's physical cores, which oversubscribes a
    container or a `taskset` limited to fewer.
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise StanceError(f"{THREADS_ENV} must be a positive integer, not {value!r}")
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def providers(device: str) -> list[str]:
    """CUDA when onnxruntime offers it (onnxruntime-gpu) and the device allows it; else the CPU."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device == "cuda":
        raise StanceError("device is 'cuda' but onnxruntime offers no CUDAExecutionProvider (install onnxruntime-gpu)")
    return ["CPUExecutionProvider"]


def make_session(path: Path, device: str = "cpu") -> Any:
    """A session with every graph optimisation on and explicit thread settings."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = _threads()
    options.inter_op_num_threads = 1  # one graph at a time: a second pool only competes for the cores
    options.log_severity_level = 3  # errors only on stderr
    try:
        return onnxruntime.InferenceSession(str(path), sess_options=options, providers=providers(device))
    except StanceError:
        raise
    except Exception as err:  # noqa: BLE001 - onnxruntime raises its own exception types for unreadable graphs
        raise StanceError(f"{path}: cannot load the ONNX graph ({first_line(err)})") from None


_NUMPY_TYPES = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}


class Tokens:
    """The `tokenizers` tokenizer of an export, truncating as the model's tokenizer did, and padding.

    Kept apart from the session so that the export can check it against the model's own
    tokenizer before any graph exists.
    """

    def __init__(self, path: Path, info: dict[str, Any], dtypes: dict[str, Any]):
        from tokenizers import Tokenizer

        if not path.is_file():
            raise StanceError(f"missing {path} (the ONNX runtime needs the fast tokenizer file)")
        try:
            self.tokenizer = Tokenizer.from_file(str(path))
        except Exception as err:  # noqa: BLE001 - tokenizers raises a bare Exception for unreadable files
            raise StanceError(f"{path}: corrupt tokenizer file ({first_line(err)})") from None
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(int(info["max_length"]), direction=info.get("truncation_side", "right"))
        self.pad_id = int(info["pad_id"])
        self.dtypes = dtypes

    def encode(self, texts: Sequence[str]) -> list[Any]:
        return self.tokenizer.encode_batch(list(texts))

    def pad(self, encodings: Sequence[Any]) -> dict[str, np.ndarray]:
        """Right-padded model inputs for a batch of encodings (pad positions masked out)."""
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = encoding.attention_mask
            types[row, :n] = encoding.type_ids
        arrays = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        return {name: arrays[name].astype(dtype, copy=False) for name, dtype in self.dtypes.items()}


class OnnxEncoder:
    """One exported graph behind its tokenizer: tokenize all, sort by length, pad per batch, run.

    Sorting by token count before batching keeps padding (wasted compute) small; results come
    back in input order.
    """

    def __init__(self, folder: str | Path, info: dict[str, Any], device: str = "cpu", batch_size: int = 64):
        folder = Path(folder)
        self.session = make_session(export_folder(folder) / info["file"], device)
        dtypes = {item.name: _NUMPY_TYPES.get(item.type, np.int64) for item in self.session.get_inputs()}
        unknown = sorted(set(dtypes) - set(MODEL_INPUTS))
        if unknown:
            raise StanceError(f"{folder}: the ONNX graph wants inputs {unknown} that a tokenizer does not give")
        self.tokens = Tokens(folder / info["tokenizer"], info, dtypes)
        self.output = self.session.get_outputs()[0].name
        self.batch_size = max(1, int(batch_size))

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokens.encode(texts)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        out: np.ndarray | None = None
        for start in range(0, len(encodings), self.batch_size):
            index = order[start:start + self.batch_size]
            result = self.session.run([self.output], self.tokens.pad([encodings[i] for i in index]))[0]
            if out is None:
                out = np.empty((len(encodings), *result.shape[1:]), dtype=result.dtype)
            out[index] = result
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.asarray(logits, dtype=np.float64)
    shifted = shifted - shifted.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class _OnnxClassifier(StanceClassifier):
    """What loading an exported folder returns: prediction only, on onnxruntime.

    Training and saving stay with the torch classes (stance.models.transformer / setfit), which
    `stance.models.create_model` gives; a folder without an export also loads through them.
    """

    encoder: OnnxEncoder
    info: dict[str, Any]

    def fit(self, texts, labels, targets=None) -> _OnnxClassifier:
        raise StanceError(f"a {self.kind} model loaded from its ONNX export only predicts; train with create_model")

    def save(self, folder: Path) -> None:
        raise StanceError(f"a {self.kind} model loaded from its ONNX export cannot be re-saved; "
                          "copy its folder, or save the torch model it came from")

    @property
    def precision(self) -> str:
        return self.info["precision"]


class OnnxTransformerClassifier(_OnnxClassifier):
    """A fine-tuned transformer's exported encoder + head: logits, softmax in numpy."""

    kind = "transformer"

    @classmethod
    def load(cls, folder: Path, config: Any, labels: Sequence[str]) -> OnnxTransformerClassifier:
        info = read_export(folder)
        saved = [str(label) for label in info.get("labels", [])]
        if sorted(saved) != sorted(labels) or len(saved) != len(labels):
            raise StanceError(f"{folder}: the ONNX export's labels {saved} differ from the manifest's {list(labels)}")
        model = cls(config, labels)
        model.info = info
        model.encoder = OnnxEncoder(folder, info, config.device, config.eval_batch_size)
        model.columns = [saved.index(label) for label in model.labels]
        return model

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str] | None = None) -> np.ndarray:
        texts = joint_inputs(texts, targets)
        if not texts:
            return np.zeros((0, len(self.labels)))
        return softmax(self.encoder(texts))[:, self.columns]  # columns in the order of self.labels


class OnnxSetFitClassifier(_OnnxClassifier):
    """A SetFit body's exported encoder + pooling + normalisation, and its logistic head in numpy."""

    kind = "setfit"

    @classmethod
    def load(cls, folder: Path, config: Any, labels: Sequence[str]) -> OnnxSetFitClassifier:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        folder = Path(folder)
        info = read_export(folder)
        for name in (SETFIT_HEAD_WEIGHTS, SETFIT_HEAD_CONFIG):
            if not (folder / name).is_file():
                raise StanceError(f"{folder}: missing {name}")
        try:
            tensors = load_file(str(folder / SETFIT_HEAD_WEIGHTS))
            classes = [str(c) for c in json.loads((folder / SETFIT_HEAD_CONFIG).read_text(encoding="utf-8"))["classes"]]
            coef, intercept = np.asarray(tensors["coef"]), np.asarray(tensors["intercept"])
        except (SafetensorError, OSError, KeyError, TypeError, ValueError) as err:
            raise StanceError(f"{folder}: corrupt or incomplete SetFit head ({first_line(err)})") from None
        rows = 1 if len(classes) == 2 else len(classes)
        if coef.shape[0] != rows or intercept.shape != (rows,):
            raise StanceError(f"{folder}: head coefficients do not match its classes")
        if coef.shape[1] != int(info.get("dimension", coef.shape[1])):
            raise StanceError(f"{folder}: the head does not fit the exported body's embedding size")
        unknown = sorted(set(classes) - set(labels))
        if unknown:
            raise StanceError(f"{folder}: the head's labels {unknown} are not among the manifest's {list(labels)}")
        model = cls(config, labels)
        model.info = info
        model.encoder = OnnxEncoder(folder, info, config.device, config.eval_batch_size)
        model.classes, model.coef, model.intercept = classes, coef, intercept
        return model

    def head_proba(self, embeddings: np.ndarray) -> np.ndarray:
        """scikit-learn's LogisticRegression.predict_proba, from its saved coefficients."""
        scores = np.asarray(embeddings, dtype=np.float64) @ self.coef.T.astype(np.float64) + self.intercept
        if len(self.classes) == 2:
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        return softmax(scores)

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str] | None = None) -> np.ndarray:
        texts = joint_inputs(texts, targets)
        out = np.zeros((len(texts), len(self.labels)))
        if not texts:
            return out
        probabilities = self.head_proba(self.encoder(texts))
        for column, label in enumerate(self.labels):  # a label the head never saw stays 0
            if label in self.classes:
                out[:, column] = probabilities[:, self.classes.index(label)]
        return out


RUNTIMES: dict[str, type[_OnnxClassifier]] = {"transformer": OnnxTransformerClassifier, "setfit": OnnxSetFitClassifier}


def load_runtime(folder: str | Path, config: Any, labels: Sequence[str]) -> _OnnxClassifier | None:
    """The onnxruntime classifier for a weights folder with an export; None when it has none."""
    folder = Path(folder)
    if not has_export(folder):
        return None
    info = read_export(folder)
    if info["kind"] != getattr(config, "name", None) or info["kind"] not in RUNTIMES:
        raise StanceError(f"{folder}: the ONNX export is of a {info['kind']} model, the config of a {config.name} model")
    check_weights(folder, WEIGHTS[info["kind"]])
    return RUNTIMES[info["kind"]].load(folder, config, labels)


WEIGHTS = {"transformer": "model.safetensors", "setfit": f"{SETFIT_BODY}/model.safetensors"}


def check_weights(folder: Path, name: str) -> None:
    """The safetensors are complete, though the runtime does not read them.

    A half-copied folder should fail when loaded, as it does on the torch path, rather than
    classify now and break at the next `stance export`. The header is enough: its offsets say
    how long the file must be.
    """
    path = Path(folder) / name
    if not path.is_file():
        raise StanceError(f"{folder}: missing {name}")
    try:
        with path.open("rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(size))
        end = max((int(t["data_offsets"][1]) for k, t in header.items() if k != "__metadata__"), default=0)
    except (ValueError, KeyError, TypeError, IndexError, MemoryError, OverflowError) as err:
        raise StanceError(f"{folder}: corrupt {name} ({first_line(err)})") from None
    if path.stat().st_size != 8 + size + end:
        raise StanceError(f"{folder}: truncated or corrupt {name} ({path.stat().st_size} bytes, expected {8 + size + end})")


# ---- export (needs torch) ----


def save_export(classifier: Any, folder: str | Path) -> dict[str, Any] | None:
    """Called by the torch classifiers' `save`: write the fp32 export beside the weights.

    A model the exporter cannot handle still saves (its folder loads through torch): hours of
    training are not lost to an architecture the exporter or the fusions do not know. The
    reason goes to stderr, and `stance export` retries later (and fails loudly).
    """
    try:
        if classifier.kind == "transformer":
            return export_transformer(classifier.model, classifier.tokenizer, folder, classifier.config.max_length)
        if classifier.kind == "setfit":
            return export_setfit(classifier.body, folder)
        raise StanceError(f"no ONNX export for {classifier.kind} models")
    except Exception as err:  # noqa: BLE001 - see above: the safetensors are saved either way
        reason = str(err) if isinstance(err, StanceError) else f"{type(err).__name__}: {first_line(err)}"
        print(f"warning: {folder}: no ONNX export, the folder will load through torch ({reason})", file=sys.stderr)
        return None


def export_transformer(model: Any, tokenizer: Any, folder: str | Path, max_length: int) -> dict[str, Any]:
    """Export a fine-tuned sequence classifier (encoder + head, logits out) into `folder`/onnx."""
    import copy

    import torch

    names = [name for name in tokenizer.model_input_names if name in MODEL_INPUTS]
    config = model.config
    labels = [str(config.id2label.get(i, config.id2label.get(str(i)))) for i in range(config.num_labels)]
    reference = tokenizer(list(PROBES), truncation=True, max_length=max_length)["input_ids"]
    module = copy.deepcopy(model).to("cpu").float().eval()  # the live model keeps its device and attention
    module.set_attn_implementation("eager")

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = module

        def forward(self, *inputs: Any) -> Any:
            return self.model(**dict(zip(names, inputs))).logits

    info = {
        "kind": "transformer", "output": "logits", "labels": labels, "inputs": names,
        "tokenizer": "tokenizer.json", "max_length": int(max_length),
        "truncation_side": tokenizer.truncation_side, "pad_id": _pad_id(tokenizer),
    }
    return _export(Logits().eval(), folder, info, reference, _heads(config), getattr(config, "hidden_size", 0))


def export_setfit(body: Any, folder: str | Path) -> dict[str, Any]:
    """Export a SetFit body (encoder + its pooling + L2 normalisation, embeddings out) into `folder`/onnx."""
    import copy

    import torch

    module = copy.deepcopy(body).to("cpu").eval()
    encoder = getattr(module[0], "auto_model", None)
    tokenizer = getattr(module[0], "tokenizer", None)
    if encoder is None or tokenizer is None:
        raise StanceError(f"the SetFit body's first module ({type(module[0]).__name__}) is not a transformer")
    encoder.set_attn_implementation("eager")
    preprocess = getattr(module, "preprocess", None) or module.tokenize  # sentence-transformers 6 / 5
    names = [name for name in preprocess(["probe"]) if name in MODEL_INPUTS]
    features = preprocess(list(PROBES))
    reference = [ids[mask.bool()].tolist() for ids, mask in zip(features["input_ids"], features["attention_mask"])]

    class Embedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = module

        def forward(self, *inputs: Any) -> Any:
            embedding = self.body(dict(zip(names, inputs)))["sentence_embedding"]
            return torch.nn.functional.normalize(embedding, p=2, dim=1)  # as encode(normalize_embeddings=True)

    info = {
        "kind": "setfit", "output": "embedding", "inputs": names,
        "tokenizer": f"{SETFIT_BODY}/tokenizer.json", "max_length": int(module.max_seq_length),
        "truncation_side": tokenizer.truncation_side, "pad_id": _pad_id(tokenizer),
    }
    config = encoder.config
    return _export(Embedding().eval(), folder, info, reference, _heads(config), getattr(config, "hidden_size", 0))


def _heads(config: Any) -> int:
    """Attention heads for the fusions; 0 lets onnxruntime read them off the graph."""
    return int(getattr(config, "num_attention_heads", 0) or 0)


def _pad_id(tokenizer: Any) -> int:
    return int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else 0


@contextmanager
def _quiet() -> Iterator[None]:
    """No tracer warnings or fusion logs on stderr during an export: its own check decides."""
    import warnings

    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(logging.NOTSET)


def _export(module: Any, folder: str | Path, info: dict[str, Any], reference: Sequence[Sequence[int]],
            num_heads: int, hidden_size: int) -> dict[str, Any]:
    """Trace `module`, fuse, check against torch on the probes, and move the export into place."""
    import onnxruntime
    import torch

    folder = Path(folder)
    names = info["inputs"]
    staging = _staging(folder)
    try:
        probe = Tokens(folder / info["tokenizer"], info, {name: np.int64 for name in names})
        encodings = probe.encode(PROBES)
        if [list(e.ids) for e in encodings] != [list(ids) for ids in reference]:
            raise StanceError(f"{info['tokenizer']} does not tokenize as the model's tokenizer does")
        # Traced on a padded batch; checked on other shapes too (one sentence, a full-length one).
        batches = [probe.pad(encodings), probe.pad(encodings[:1]), probe.pad(encodings[-2:])]
        with torch.no_grad():
            expected = [module(*(torch.from_numpy(batch[name]) for name in names)).numpy() for batch in batches]
        raw = staging / "raw.onnx"
        try:
            with _quiet(), torch.no_grad():
                torch.onnx.export(
                    module, tuple(torch.from_numpy(batches[0][name]) for name in names), str(raw),
                    input_names=names, output_names=[info["output"]], opset_version=OPSET, dynamo=False,
                    dynamic_axes={**{name: {0: "batch", 1: "sequence"} for name in names}, info["output"]: {0: "batch"}},
                )
        except Exception as err:  # noqa: BLE001 - the exporter raises many types; any of them means "no export"
            raise StanceError(f"torch.onnx.export failed: {type(err).__name__}: {first_line(err)}") from None
        fused = staging / "fused.onnx"
        statistics = _fuse(raw, fused, num_heads, hidden_size)
        error = _max_error(fused, batches, expected)
        chosen = fused
        if not error <= FP32_TOLERANCE:
            statistics, chosen = {}, raw
            error = _max_error(raw, batches, expected)
            if not error <= FP32_TOLERANCE:
                raise StanceError(f"the ONNX graph differs from torch by {error:.2g} (> {FP32_TOLERANCE}) on probe sentences")
        os.replace(chosen, staging / MODEL_FILE)
        for leftover in (raw, fused):
            leftover.unlink(missing_ok=True)
        info = {
            "format": EXPORT_FORMAT, **info, "file": MODEL_FILE, "precision": "fp32", "opset": OPSET,
            "dimension": int(expected[0].shape[1]), "fused_operators": {k: v for k, v in statistics.items() if v},
            "max_abs_error": float(error), "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
        }
        _write_info(staging, info)
        _replace_folder(staging, export_folder(folder))
        return info
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fuse(raw: Path, fused: Path, num_heads: int, hidden_size: int) -> dict[str, int]:
    """onnxruntime's BERT fusions (offline, so sessions start from the fused graph)."""
    from onnxruntime.transformers import optimizer

    with _quiet():
        model = optimizer.optimize_model(str(raw), model_type="bert", num_heads=int(num_heads),
                                         hidden_size=int(hidden_size), opt_level=0)
        model.save_model_to_file(str(fused))
        return {str(k): int(v) for k, v in model.get_fused_operator_statistics().items()}


def _max_error(path: Path, batches: Sequence[dict[str, np.ndarray]], expected: Sequence[np.ndarray]) -> float:
    session = make_session(path, "cpu")
    names = [item.name for item in session.get_inputs()]
    errors = [np.abs(session.run(None, {n: batch[n] for n in names})[0] - want).max()
              for batch, want in zip(batches, expected)]
    return float(max(errors))


def _staging(folder: Path) -> Path:
    """A hidden folder beside the export to build it in; readable by all, as a model folder is shared."""
    staging = Path(tempfile.mkdtemp(prefix=f".{EXPORT_DIR}.tmp-", dir=folder))
    staging.chmod(0o755)
    return staging


def _write_info(export: Path, info: dict[str, Any]) -> None:
    (export / EXPORT_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def _replace_folder(staging: Path, target: Path) -> None:
    """Move a finished folder into place; an old one is retired first and removed after."""
    retired = None
    if target.exists():
        retired = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, retired)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def quantize(folder: str | Path) -> dict[str, Any]:
    """Replace a weights folder's fp32 export by a dynamically quantised int8 one.

    Weights of MatMul and the fused Attention go to int8 (activations quantised per batch at
    run time); embeddings and layer norms stay fp32, as quantising them costs accuracy for
    little speed.
    """
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(folder)
    info = read_export(folder)
    if info["precision"] == "int8":
        return info
    export = export_folder(folder)
    staging = _staging(folder)
    try:
        try:
            with _quiet():
                # The fused operators are outside ONNX's shape inference: their outputs are float.
                quantize_dynamic(export / info["file"], staging / MODEL_FILE, op_types_to_quantize=QUANTIZED_OPS,
                                 weight_type=QuantType.QInt8, per_channel=True,
                                 extra_options={"DefaultTensorType": TensorProto.FLOAT})
        except Exception as err:  # noqa: BLE001 - the quantiser raises bare RuntimeErrors and more
            raise StanceError(f"{folder}: int8 quantisation failed ({first_line(err)})") from None
        make_session(staging / MODEL_FILE, "cpu")  # it loads, or this is an error now rather than at classify
        info = {**info, "file": MODEL_FILE, "precision": "int8", "quantization": {
            "method": "dynamic", "weights": "int8 per channel", "operators": QUANTIZED_OPS}}
        info.pop("max_abs_error", None)
        _write_info(staging, info)
        _replace_folder(staging, export)
        return info
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export_model_folder(model_dir: str | Path, precision: str = "fp32") -> dict[str, Any]:
    """`stance export`: add (or redo) the ONNX exports of a saved model folder, atomically.

    The folder is loaded through torch from a hard-linked copy without its old exports and saved
    again into a staging folder — so every transformer or SetFit weights folder in it, however
    nested, gets its export from the same code as training — then the files `save` does not write
    (manifest, reports) are carried over, the manifest records the export, and the staging folder
    replaces the old one in one rename. Returns the manifest's `onnx` entry.
    """
    from stance.model_folder import atomic_folder, read_manifest, write_manifest
    from stance.models import load_model

    if precision not in PRECISIONS:
        raise StanceError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    folder = Path(model_dir)
    manifest = read_manifest(folder)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}.export-", dir=folder.resolve().parent))
    try:
        source = scratch / "source"
        shutil.copytree(folder, source, ignore=shutil.ignore_patterns(EXPORT_DIR, f".{EXPORT_DIR}.*"), copy_function=_link_or_copy)
        model, _ = load_model(source)  # no exports in the copy: the torch classes
        with atomic_folder(folder, overwrite=True) as staging:
            model.save(staging)
            for path in sorted(source.rglob("*")):
                target = staging / path.relative_to(source)
                if path.is_file() and not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
            exports = find_exports(staging)
            if not exports:
                raise StanceError(f"{folder}: nothing was exported (a {manifest['kind']} model; only transformer and "
                                  "SetFit weights have an ONNX export, TF-IDF runs without torch already)")
            if precision == "int8":
                for path in exports:
                    quantize(path)
            manifest["onnx"] = manifest_entry(staging)
            write_manifest(staging, manifest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return manifest["onnx"]


def _link_or_copy(source: str, destination: str) -> str:
    """Hard links cost nothing and the copy is only read; a file system without them gets a copy."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)
    return destination
