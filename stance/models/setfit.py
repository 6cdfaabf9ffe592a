"""SetFit: a sentence-transformers body, normalized embeddings, a logistic-regression head.

With `contrastive_iterations == 0` (the default) the body stays frozen: embed, fit the head.
Otherwise the body is first fine-tuned contrastively as SetFit 1.2.0 does it: SetFit's pair
sampler (`num_iterations` positive and negative pairs per sentence) and sentence-transformers'
`CosineSimilarityLoss` and trainer; then the head is fitted on the tuned body's embeddings.

Saved without pickle: the body with `SentenceTransformer.save` (safetensors) under `body/`,
the head as safetensors arrays plus JSON, rebuilt into a LogisticRegression on load.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import transformers
from sklearn.linear_model import LogisticRegression

from stance.config import SetFitConfig
from stance.errors import StanceError
from stance.models.base import FOLD_CACHE, StanceClassifier, joint_inputs
from stance.models._hf import (
    TOKENIZER_CONFIG,
    TOKENIZER_VOCABULARIES,
    default_checkpoint,
    first_line,
    quiet_transformers,
    resolve_device,
    training_arguments,
)

BODY = "body"
HEAD_WEIGHTS = "head.safetensors"
HEAD_CONFIG = "head.json"
MAX_ITER = 10_000


def quiet_sentence_transformers() -> None:
    import logging

    quiet_transformers()
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)


def make_head(config: SetFitConfig, seed: int) -> LogisticRegression:
    return LogisticRegression(C=config.C, class_weight=config.class_weight, max_iter=MAX_ITER, random_state=seed)


class SetFitClassifier(StanceClassifier):
    kind = "setfit"

    def __init__(self, config: SetFitConfig, labels: Sequence[str], seed: int = 0):
        super().__init__(config, labels, seed)
        self.body: Any = None
        self.head: LogisticRegression | None = None
        self._cache_key: tuple[str, int, str] | None = None  # set while the body is a frozen checkpoint

    # ---- training ----

    def fit(self, texts: Sequence[str], labels: Sequence[str],
            targets: Sequence[str] | None = None) -> "SetFitClassifier":
        from sentence_transformers import SentenceTransformer

        quiet_sentence_transformers()
        config = self.config
        texts, labels = joint_inputs(texts, targets), list(labels)
        self.check_training_labels(labels)
        if len(set(labels)) < 2:
            raise StanceError("the logistic-regression head needs at least two labels in the training data")
        device = resolve_device(config.device)
        checkpoint = config.checkpoint or default_checkpoint()
        transformers.set_seed(self.seed)
        try:
            body = SentenceTransformer(checkpoint, device=device)
        except (OSError, ValueError) as err:
            raise StanceError(f"cannot load sentence-transformers checkpoint {checkpoint}: {first_line(err)}") from None
        body.max_seq_length = config.max_length
        if config.contrastive_iterations > 0:
            self._tune_body(body, texts, labels, device)
        body.eval()
        self.body = body
        frozen = config.contrastive_iterations == 0
        self._cache_key = (str(checkpoint), config.max_length, device) if frozen else None
        self.head = make_head(config, self.seed).fit(self.embed(texts), labels)
        return self

    def _tune_body(self, body: Any, texts: list[str], labels: list[str], device: str) -> None:
        """SetFit's contrastive phase: cosine-similarity loss on same/different-label pairs."""
        from datasets import Dataset
        from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
        from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss
        from setfit.sampler import ContrastiveDataset
        from transformers import PrinterCallback

        class _QuietTrainer(SentenceTransformerTrainer):
            def add_model_card_callback(self, *args: Any, **kwargs: Any) -> None:
                pass  # no model card: it samples the data with a progress bar on stderr

        config = self.config
        codes = [self.labels.index(label) for label in labels]
        pairs = list(ContrastiveDataset(texts, codes, multilabel=False,
                                        num_iterations=config.contrastive_iterations))
        dataset = Dataset.from_list(pairs)
        with tempfile.TemporaryDirectory(prefix="stance-setfit-") as scratch:
            arguments = training_arguments(
                SentenceTransformerTrainingArguments, scratch, self.seed, device,
                num_train_epochs=config.contrastive_epochs,
                per_device_train_batch_size=config.batch_size,
                learning_rate=config.body_learning_rate,
                warmup_steps=0.1,  # SetFit's warmup_proportion
                weight_decay=0.01,  # SetFit's l2_weight
            )
            transformers.set_seed(self.seed)
            trainer = _QuietTrainer(
                model=body, args=arguments, train_dataset=dataset, loss=CosineSimilarityLoss(body),
            )
            trainer.remove_callback(PrinterCallback)  # with tqdm off it prints the run summary
            trainer.train()
        body.to(device)

    # ---- prediction ----

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings; `encode` sorts by length and batches by eval_batch_size.

        Within one cross-validation a frozen body embeds each text once: every fold fits a model on
        mostly the same sentences, and the embeddings do not change.
        """
        shared = FOLD_CACHE.get()
        cache = shared.setdefault(("setfit", self._cache_key), {}) if shared is not None and self._cache_key else {}
        missing = list(dict.fromkeys(t for t in texts if t not in cache))
        if missing:
            vectors = self.body.encode(
                missing, batch_size=self.config.eval_batch_size, show_progress_bar=False,
                normalize_embeddings=True, convert_to_numpy=True,
            )
            cache.update(zip(missing, vectors))
        return np.stack([cache[t] for t in texts])

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str] | None = None) -> np.ndarray:
        self.check_fitted("body", "head")
        texts = joint_inputs(texts, targets)
        if not texts:
            return np.zeros((0, len(self.labels)))
        return self.in_label_order(self.head.predict_proba(self.embed(texts)), self.head.classes_)

    # ---- persistence ----

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        self.check_fitted("body", "head")
        folder = Path(folder)
        self.body.save(str(folder / BODY), create_model_card=False, safe_serialization=True)
        save_file(
            {"coef": np.ascontiguousarray(self.head.coef_), "intercept": np.ascontiguousarray(self.head.intercept_)},
            str(folder / HEAD_WEIGHTS),
        )
        payload = {"classes": [str(c) for c in self.head.classes_],
                   "embedding_dimension": int(self.head.coef_.shape[1])}
        (folder / HEAD_CONFIG).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        from stance.models.onnx import save_export

        save_export(self, folder)  # onnx/: what loading runs, without torch (stance.models.load_weights)

    @classmethod
    def load(cls, folder: Path, config: SetFitConfig, labels: Sequence[str]) -> "SetFitClassifier":
        from safetensors import SafetensorError
        from safetensors.numpy import load_file
        from sentence_transformers import SentenceTransformer

        quiet_sentence_transformers()
        folder = Path(folder)
        body_folder = folder / BODY
        for path in (body_folder / "modules.json", body_folder / "config.json", body_folder / "model.safetensors",
                     body_folder / TOKENIZER_CONFIG, folder / HEAD_WEIGHTS, folder / HEAD_CONFIG):
            if not path.is_file():
                raise StanceError(f"{folder}: missing {path.relative_to(folder)}")
        if not any((body_folder / name).is_file() for name in TOKENIZER_VOCABULARIES):
            raise StanceError(f"{folder}: missing tokenizer files in {BODY}/")
        device = resolve_device(config.device)
        try:
            tensors = load_file(str(folder / HEAD_WEIGHTS))
            payload = json.loads((folder / HEAD_CONFIG).read_text(encoding="utf-8"))
            classes = [str(c) for c in payload["classes"]]
            head = make_head(config, 0)
            head.classes_ = np.array(classes)
            head.coef_ = tensors["coef"]
            head.intercept_ = tensors["intercept"]
            head.n_features_in_ = head.coef_.shape[1]
            rows = 1 if len(classes) == 2 else len(classes)
            if head.coef_.shape[0] != rows or head.intercept_.shape != (rows,):
                raise ValueError("head coefficients do not match its classes")
            body = SentenceTransformer(
                str(body_folder), device=device, local_files_only=True, trust_remote_code=False,
                model_kwargs={"use_safetensors": True},
            )
        except (SafetensorError, OSError, ValueError, RuntimeError, KeyError, TypeError,
                json.JSONDecodeError) as err:
            raise StanceError(f"{folder}: corrupt or incomplete SetFit weights ({first_line(err)})") from None
        if body.get_embedding_dimension() != head.coef_.shape[1]:
            raise StanceError(f"{folder}: the head does not fit the body's embedding size")
        unknown = sorted(set(classes) - set(labels))
        if unknown:
            raise StanceError(f"{folder}: the head's labels {unknown} are not among the manifest's {list(labels)}")
        body.max_seq_length = config.max_length
        body.eval()
        model = cls(config, labels)
        model.body = body
        model.head = head
        return model
