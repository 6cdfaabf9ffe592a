"""A fine-tuned transformer encoder with a sequence-classification head.

Any local folder or hub name works as checkpoint; by default the packaged all-MiniLM-L6-v2.
Training uses Hugging Face's `Trainer` (class-weighted cross-entropy, dynamic padding, no
evaluation, no checkpoints, no logging); prediction sorts texts by length and pads per batch.
Saved with `save_pretrained` (safetensors) plus the tokenizer's JSON files; loading reads only
local safetensors and never runs remote code.

This module imports torch and transformers at once: the registry imports it only for
transformer models.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import transformers
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from stance.config import TransformerConfig
from stance.errors import StanceError
from stance.models._hf import (
    TOKENIZER_CONFIG,
    TOKENIZER_VOCABULARIES,
    default_checkpoint,
    first_line,
    quiet_transformers,
    resolve_device,
    training_arguments,
)
from stance.models.base import StanceClassifier, joint_inputs

# Files a saved tokenizer needs: its config plus at least one vocabulary file.
WEIGHTS = "model.safetensors"





def balanced_class_weights(codes: Sequence[int], n_labels: int) -> np.ndarray:
    """n / (k * count) per label, k the number of labels present; 0 for absent labels."""
    counts = np.bincount(np.asarray(codes, dtype=np.int64), minlength=n_labels).astype(float)
    present = counts > 0
    weights = np.zeros(n_labels)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights


class _EpochProgress(TrainerCallback):
    """One line on stderr per epoch (fine-tuning takes minutes on a CPU; silence looks like a hang)."""

    def on_epoch_end(self, args, state, control, **kwargs):
        import sys

        print(f"    epoch {state.epoch:.0f}/{args.num_train_epochs:.0f}: step {state.global_step}/{state.max_steps}",
              file=sys.stderr, flush=True)


class _WeightedLossTrainer(Trainer):
    """`Trainer` with a (optionally class-weighted) mean cross-entropy per batch."""

    loss_is_scaled_for_ga = False  # a per-batch mean: Trainer scales it for accumulation

    def __init__(self, *args: Any, class_weights: torch.Tensor | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.class_weights = class_weights

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        inputs = dict(inputs)
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits.float()
        weight = None if self.class_weights is None else self.class_weights.to(logits.device)
        loss = torch.nn.functional.cross_entropy(logits, labels, weight=weight)
        return (loss, outputs) if return_outputs else loss


class TransformerClassifier(StanceClassifier):
    kind = "transformer"

    def __init__(self, config: TransformerConfig, labels: Sequence[str], seed: int = 0):
        super().__init__(config, labels, seed)
        self.model: Any = None
        self.tokenizer: Any = None
        self.device: str | None = None

    # ---- training ----

    def fit(self, texts: Sequence[str], labels: Sequence[str],
            targets: Sequence[str] | None = None) -> "TransformerClassifier":
        quiet_transformers()
        config = self.config
        texts = joint_inputs(texts, targets)
        labels = list(labels)
        self.check_training_labels(labels)
        if not texts:
            raise StanceError("no training texts")
        device = resolve_device(config.device)
        checkpoint = config.checkpoint or default_checkpoint()
        label2id = {label: i for i, label in enumerate(self.labels)}

        transformers.set_seed(self.seed)  # the new head's initialisation
        try:
            tokenizer = AutoTokenizer.from_pretrained(checkpoint)
            model = AutoModelForSequenceClassification.from_pretrained(
                checkpoint, num_labels=len(self.labels),
                id2label=dict(enumerate(self.labels)), label2id=label2id,
            )
        except (OSError, ValueError) as err:
            raise StanceError(f"cannot load checkpoint {checkpoint}: {first_line(err)}") from None

        codes = [label2id[label] for label in labels]
        encodings = tokenizer(texts, truncation=True, max_length=config.max_length)
        dataset = [
            {**{key: values[i] for key, values in encodings.items()}, "labels": codes[i]}
            for i in range(len(texts))
        ]
        class_weights = None
        if config.class_weight == "balanced":
            class_weights = torch.tensor(balanced_class_weights(codes, len(self.labels)), dtype=torch.float32)

        with tempfile.TemporaryDirectory(prefix="stance-transformer-") as scratch:
            arguments = training_arguments(
                TrainingArguments, scratch, self.seed, device,
                num_train_epochs=config.epochs,
                max_steps=config.max_steps,
                learning_rate=config.learning_rate,
                per_device_train_batch_size=config.batch_size,
                weight_decay=config.weight_decay,
                warmup_steps=config.warmup,  # < 1: a fraction of the steps (transformers 5)
                lr_scheduler_type="linear",
                remove_unused_columns=False,
                # Batches of similar length (within shuffled mega-batches): less padding, faster.
                train_sampling_strategy="group_by_length",
            )
            trainer = _WeightedLossTrainer(
                model=model,
                args=arguments,
                train_dataset=dataset,
                data_collator=DataCollatorWithPadding(tokenizer),
                class_weights=class_weights,
            )
            trainer.remove_callback(PrinterCallback)  # with tqdm off it prints the run summary
            trainer.add_callback(_EpochProgress())
            trainer.train()
            model = trainer.model
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        return self

    # ---- prediction ----

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str] | None = None) -> np.ndarray:
        self.check_fitted("model")
        texts = joint_inputs(texts, targets)
        if not texts:
            return np.zeros((0, len(self.labels)))
        encodings = self.tokenizer(texts, truncation=True, max_length=self.config.max_length)
        keys = list(encodings.keys())
        lengths = [len(ids) for ids in encodings["input_ids"]]
        order = np.argsort(lengths, kind="stable")
        probabilities = np.zeros((len(texts), self.model.config.num_labels))
        step = self.config.eval_batch_size
        with torch.inference_mode():
            for start in range(0, len(texts), step):
                index = order[start:start + step]
                batch = self.tokenizer.pad(
                    [{key: encodings[key][i] for key in keys} for i in index], return_tensors="pt"
                )
                batch = {key: value.to(self.model.device) for key, value in batch.items()}
                logits = self.model(**batch).logits.float()
                probabilities[index] = torch.softmax(logits, dim=-1).cpu().numpy()
        id2label = {int(i): label for i, label in self.model.config.id2label.items()}
        return self.in_label_order(probabilities, [id2label[i] for i in range(len(id2label))])

    # ---- persistence ----

    def save(self, folder: Path) -> None:
        self.check_fitted("model")
        folder = Path(folder)
        self.model.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)
        from stance.models.onnx import save_export

        save_export(self, folder)  # onnx/: what loading runs, without torch (stance.models.load_weights)

    @classmethod
    def load(cls, folder: Path, config: TransformerConfig, labels: Sequence[str]) -> "TransformerClassifier":
        from safetensors import SafetensorError

        quiet_transformers()
        folder = Path(folder)
        if not folder.is_dir():
            raise StanceError(f"{folder}: not a model folder")
        for name in ("config.json", WEIGHTS, TOKENIZER_CONFIG):
            if not (folder / name).is_file():
                raise StanceError(f"{folder}: missing {name}")
        if not any((folder / name).is_file() for name in TOKENIZER_VOCABULARIES):
            raise StanceError(f"{folder}: missing tokenizer files (none of {', '.join(TOKENIZER_VOCABULARIES)})")
        device = resolve_device(config.device)
        try:
            model, info = AutoModelForSequenceClassification.from_pretrained(
                folder, trust_remote_code=False, use_safetensors=True, local_files_only=True,
                output_loading_info=True,
            )
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
        except (SafetensorError, OSError, ValueError, RuntimeError, KeyError, TypeError,
                json.JSONDecodeError) as err:
            raise StanceError(f"{folder}: corrupt or incomplete transformer weights ({first_line(err)})") from None
        incomplete = sorted(info.get("missing_keys") or []) + sorted(info.get("mismatched_keys") or [])
        if incomplete:
            raise StanceError(f"{folder}: incomplete transformer weights (missing {', '.join(map(str, incomplete[:3]))})")
        saved = [model.config.id2label.get(i, model.config.id2label.get(str(i))) for i in range(model.config.num_labels)]
        if sorted(map(str, saved)) != sorted(labels) or len(saved) != len(labels):
            raise StanceError(f"{folder}: the weights' labels {saved} differ from the manifest's {list(labels)}")
        classifier = cls(config, labels)
        classifier.model = model.to(device).eval()
        classifier.tokenizer = tokenizer
        classifier.device = device
        return classifier
