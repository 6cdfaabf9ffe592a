"""Typed configuration: the schema behind `configs/*.yaml`.

Plain dataclasses, so loading a saved model never imports Hydra; `register_configs` puts
them in Hydra's ConfigStore, which makes a misspelled key fail at once.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field, fields
from typing import Any

from stance.errors import StanceError

CALIBRATION_HELP = (
    "Probability calibration fitted on inner folds of the training data: none, temperature, sigmoid or isotonic."
)


def per_target_field() -> Any:
    return field(default=False, metadata={"help": "Train one model per stance target (multi-target data)."})


def calibration_field() -> Any:
    return field(default="none", metadata={"help": CALIBRATION_HELP})


TARGET_SETTINGS_HELP = {
    "help": "Per-target models: settings that differ by target ({target: {key: value}}), "
    "usually chosen on the val split by data.search."
}


# Keys a search must not touch: they say what the model is, not how it is tuned.
UNSEARCHABLE = ("name", "per_target", "target_settings", "calibration", "device", "checkpoint", "members")


@dataclass
class DataConfig:
    name: str = field(default="seeds", metadata={"help": "Short name of the data set."})
    format: str = field(
        default="csv", metadata={"help": "Format of the evaluated source: 'csv' (labeled sentences) or 'tweeteval'."}
    )
    path: str = field(
        default="seeds/sentences.csv",
        metadata={
            "help": "File or folder of the evaluated source: its sentences make the folds and are the only "
            "ones scored. Relative paths are tried from the working directory, then the project root."
        },
    )
    options: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "Options of the format (tweeteval: targets, target_names, label_ids, strip)."},
    )
    train_only: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Labeled CSV files (text, label) that join every training fold and the final fit "
            "and are never scored."
        },
    )
    train_only_fraction: float = field(
        default=1.0,
        metadata={"help": "Share of the train-only sentences used (learning curves over the train-only share)."},
    )
    labels: list[str] = field(
        default_factory=lambda: ["supportive", "skeptical", "neutral"],
        metadata={"help": "All labels, in report order."},
    )
    stance_labels: list[str] = field(
        default_factory=lambda: ["supportive", "skeptical"],
        metadata={"help": "Labels whose F1 is averaged into F_avg."},
    )
    target: str = field(default="china-mediator", metadata={"help": "Slug of the stance target."})
    per_target: bool = field(
        default=False,
        metadata={"help": "Train one model per stance target (multi-target data), whatever the model's own setting."},
    )
    group_column: str = field(
        default="article", metadata={"help": "Cross-validation groups: no group is split between train and test."}
    )
    search: dict[str, Any] | None = field(
        default_factory=dict,
        metadata={
            "help": "Settings to choose on the val split, per model kind ({kind: {key: [candidates]}}). "
            "Per-target models choose per target, by that target's val F_avg; others by the pooled val F_avg. "
            "Test is scored with the choice and the saved model is refitted on train + val with it. "
            "Needs data with official splits. data.search=null turns it off; data.search.tfidf=null, one kind's."
        },
    )


@dataclass
class TfidfConfig:
    name: str = field(default="tfidf", metadata={"help": "Model kind."})
    word_ngram_max: int = field(default=2, metadata={"help": "Word n-grams 1..N."})
    char_ngram_min: int = field(default=2, metadata={"help": "Shortest character n-gram (within word boundaries)."})
    char_ngram_max: int = field(default=5, metadata={"help": "Longest character n-gram."})
    min_df: int = field(default=1, metadata={"help": "Drop n-grams seen in fewer documents."})
    sublinear_tf: bool = field(default=True, metadata={"help": "Use 1 + log(tf)."})
    C: float = field(default=10.0, metadata={"help": "Inverse regularisation strength of the logistic regression."})
    class_weight: str | None = field(default="balanced", metadata={"help": "'balanced' or null."})
    max_iter: int = field(default=5000, metadata={"help": "Solver iterations."})
    per_target: bool = per_target_field()
    target_settings: dict[str, Any] = field(default_factory=dict, metadata=TARGET_SETTINGS_HELP)
    calibration: str = calibration_field()

    def check(self) -> None:
        _positive(self, "word_ngram_max", "char_ngram_min", "char_ngram_max", "min_df", "C", "max_iter")
        if self.char_ngram_min > self.char_ngram_max:
            raise StanceError("model.char_ngram_min must not exceed model.char_ngram_max")
        _class_weight(self)
        _calibration(self)


@dataclass
class TransformerConfig:
    name: str = field(default="transformer", metadata={"help": "Model kind."})
    checkpoint: str | None = field(
        default=None, metadata={"help": "Local folder or hub name; null = the packaged all-MiniLM-L6-v2."}
    )
    max_length: int = field(default=128, metadata={"help": "Tokens per text; longer texts are truncated."})
    epochs: float = field(
        default=2.0,
        metadata={
            "help": "Training epochs. 2 on seeds + authored (2,041 sentences) is 3.5x the optimiser steps that 4 "
            "epochs on the seeds alone took, and keeps CV + final fit near 15 minutes on 2 CPU cores."
        },
    )
    learning_rate: float = field(default=5e-5, metadata={"help": "Peak learning rate (AdamW)."})
    batch_size: int = field(
        default=8, metadata={"help": "Training batch size per device (8: more updates per epoch on small data)."}
    )
    eval_batch_size: int = field(default=64, metadata={"help": "Batch size when predicting."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay."})
    warmup: float = field(
        default=0.1, metadata={"help": "Warm-up: a fraction of the steps if < 1, else a step count."}
    )
    class_weight: str | None = field(
        default="balanced", metadata={"help": "'balanced' weights the loss by inverse label frequency, or null."}
    )
    max_steps: int = field(default=-1, metadata={"help": "Stop after this many steps (-1: train for `epochs`)."})
    device: str = field(default="auto", metadata={"help": "'auto' (CUDA when present), 'cpu', 'cuda' or 'mps'."})
    per_target: bool = per_target_field()
    target_settings: dict[str, Any] = field(default_factory=dict, metadata=TARGET_SETTINGS_HELP)
    calibration: str = calibration_field()

    def check(self) -> None:
        _positive(self, "max_length", "epochs", "learning_rate", "batch_size", "eval_batch_size")
        _non_negative(self, "weight_decay", "warmup")
        _class_weight(self)
        _calibration(self)
        _device(self)


@dataclass
class SetFitConfig:
    name: str = field(default="setfit", metadata={"help": "Model kind."})
    checkpoint: str | None = field(
        default=None,
        metadata={"help": "Sentence-transformers folder or hub name; null = the packaged all-MiniLM-L6-v2."},
    )
    contrastive_iterations: int = field(
        default=0,
        metadata={
            "help": "SetFit contrastive pair iterations; 0 keeps the body frozen "
            "(the default: as accurate here, 80x faster)."
        },
    )
    contrastive_epochs: int = field(default=1, metadata={"help": "Epochs of contrastive fine-tuning."})
    body_learning_rate: float = field(default=2e-5, metadata={"help": "Learning rate of the contrastive phase."})
    batch_size: int = field(default=16, metadata={"help": "Batch size of the contrastive phase."})
    eval_batch_size: int = field(default=64, metadata={"help": "Batch size when embedding."})
    max_length: int = field(default=256, metadata={"help": "Tokens per text; longer texts are truncated."})
    C: float = field(
        default=1.0, metadata={"help": "Inverse regularisation strength of the logistic-regression head."}
    )
    class_weight: str | None = field(default="balanced", metadata={"help": "'balanced' or null, for the head."})
    device: str = field(default="auto", metadata={"help": "'auto' (CUDA when present), 'cpu', 'cuda' or 'mps'."})
    per_target: bool = per_target_field()
    target_settings: dict[str, Any] = field(default_factory=dict, metadata=TARGET_SETTINGS_HELP)
    calibration: str = calibration_field()

    def check(self) -> None:
        _positive(self, "contrastive_epochs", "body_learning_rate", "batch_size", "eval_batch_size", "max_length", "C")
        _non_negative(self, "contrastive_iterations")
        _class_weight(self)
        _calibration(self)
        _device(self)


@dataclass
class EnsembleConfig:
    name: str = field(default="ensemble", metadata={"help": "Model kind."})
    members: list[str] = field(
        default_factory=lambda: ["tfidf", "setfit"], metadata={"help": "Member kinds, each with its default settings."}
    )
    weights: list[float] = field(
        default_factory=lambda: [1.0, 2.0],
        metadata={
            "help": "Weight of each member's probabilities; empty = equal. [1, 2] (SetFit twice TF-IDF) was "
            "chosen by cross-validation on the seed articles (macro-F1 0.640, against 0.627 equal and 0.590 [2, 1])."
        },
    )
    per_target: bool = field(default=False, metadata={"help": "Members train one model per stance target."})

    def check(self) -> None:
        unknown = [m for m in self.members if m not in MODEL_CONFIGS or m == "ensemble"]
        if not self.members or unknown:
            raise StanceError(f"model.members must name tfidf, transformer or setfit (got {list(self.members)})")
        if self.weights and (
            len(self.weights) != len(self.members) or min(self.weights) < 0 or sum(self.weights) <= 0
        ):
            raise StanceError(
                f"model.weights must be empty (equal) or one non-negative weight per member, not all zero "
                f"(got {list(self.weights)} for {list(self.members)}; the default [1, 2] is for [tfidf, setfit])"
            )


MODEL_CONFIGS: dict[str, type] = {
    "tfidf": TfidfConfig,
    "transformer": TransformerConfig,
    "setfit": SetFitConfig,
    "ensemble": EnsembleConfig,
}


@dataclass
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: Any = None
    seed: int = field(default=0, metadata={"help": "Seed for folds' bootstrap, initialisation and shuffling."})
    output_dir: str = field(
        default="models/${model.name}", metadata={"help": "Where the model folder and its reports go."}
    )
    overwrite: bool = field(default=False, metadata={"help": "Replace an existing model folder."})
    n_bootstrap: int = field(default=1000, metadata={"help": "Bootstrap resamples for the intervals."})
    confidence: float = field(default=0.95, metadata={"help": "Coverage of the bootstrap intervals."})
    train_fraction: float = field(
        default=1.0, metadata={"help": "Share of each training fold used (learning curves)."}
    )
    final_fit: bool = field(default=True, metadata={"help": "After evaluation, fit on all data and save the model."})

    def check(self) -> None:
        if self.seed < 0:
            raise StanceError("seed must not be negative")
        if self.n_bootstrap < 2:
            raise StanceError("n_bootstrap must be at least 2")
        if not 0 < self.confidence < 1:
            raise StanceError("confidence must be between 0 and 1")
        if not 0 < self.train_fraction <= 1:
            raise StanceError("train_fraction must be in (0, 1]")
        if not 0 <= self.data.train_only_fraction <= 1:
            raise StanceError("data.train_only_fraction must be in [0, 1]")
        missing = [x for x in self.data.stance_labels if x not in self.data.labels]
        if missing:
            raise StanceError(f"data.stance_labels {missing} are not among data.labels {self.data.labels}")
        if len(set(self.data.labels)) != len(self.data.labels) or len(self.data.labels) < 2:
            raise StanceError("data.labels must hold at least two distinct labels")
        self.model.check()
        for kind in self.data.search or {}:
            schema = self.model if kind == self.model.name else MODEL_CONFIGS.get(kind, dict)()
            search_candidates(schema, self.data.search)


def search_candidates(model: Any, search: dict[str, Any]) -> list[dict[str, Any]]:
    """The settings `data.search` lists for this model's kind: one dict per candidate, each checked.
    Empty when the kind is not searched."""
    search = search or {}
    unknown = sorted(set(search) - set(MODEL_CONFIGS))
    if unknown:
        raise StanceError(f"data.search: unknown model kind {unknown[0]!r} (known: {', '.join(MODEL_CONFIGS)})")
    grid = search.get(model.name)
    if not grid:
        return []
    if not isinstance(grid, dict):
        raise StanceError(f"data.search.{model.name} must map settings to lists of candidates (got {grid!r})")
    searchable = [f.name for f in fields(model) if f.name not in UNSEARCHABLE]
    for key, values in grid.items():
        if key not in searchable:
            raise StanceError(
                f"data.search.{model.name}.{key}: not a setting of {model.name} that can be searched "
                f"(searchable: {', '.join(searchable)})"
            )
        if not isinstance(values, list) or not values:
            raise StanceError(
                f"data.search.{model.name}.{key} must be a non-empty list of candidates (got {values!r})"
            )
    candidates = [dict(zip(grid, combination)) for combination in itertools.product(*grid.values())]
    for candidate in candidates:
        try:
            dataclasses.replace(model, **candidate).check()
        except StanceError as err:
            raise StanceError(f"data.search.{model.name}: candidate {candidate} is invalid: {err}") from None
    return candidates


def model_config_from_dict(values: dict[str, Any]) -> Any:
    """Rebuild a model config saved in a manifest (unknown keys are an error)."""
    name = values.get("name")
    if name not in MODEL_CONFIGS:
        raise StanceError(f"unknown model kind {name!r} (known: {', '.join(MODEL_CONFIGS)})")
    schema = MODEL_CONFIGS[name]
    known = {f.name: f for f in fields(schema)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise StanceError(f"unknown {name} setting(s): {', '.join(unknown)}")
    for key, value in values.items():
        expected = {"int": int, "float": (int, float), "bool": bool, "str": str}.get(str(known[key].type))
        if (
            expected
            and value is not None
            and (not isinstance(value, expected) or (expected is int and isinstance(value, bool)))
        ):
            raise StanceError(f"setting {key}={value!r} has the wrong type (expected {known[key].type})")
    config = schema(**values)
    config.check()
    return config


def register_configs() -> None:
    """Register the schemas with Hydra; the YAML files extend them via their defaults lists."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    store.store(name="train_schema", node=TrainConfig)
    store.store(group="data", name="data_schema", node=DataConfig)
    for name, schema in MODEL_CONFIGS.items():
        store.store(group="model", name=f"{name}_schema", node=schema)


def _positive(cfg: Any, *names: str) -> None:
    for name in names:
        if not getattr(cfg, name) > 0:
            raise StanceError(f"model.{name} must be positive (got {getattr(cfg, name)})")


def _non_negative(cfg: Any, *names: str) -> None:
    for name in names:
        if getattr(cfg, name) < 0:
            raise StanceError(f"model.{name} must not be negative (got {getattr(cfg, name)})")


def _calibration(cfg: Any) -> None:
    if cfg.calibration not in ("none", "temperature", "sigmoid", "isotonic"):
        raise StanceError(
            f"model.calibration must be none, temperature, sigmoid or isotonic (got {cfg.calibration!r})"
        )


def _class_weight(cfg: Any) -> None:
    if cfg.class_weight not in (None, "balanced"):
        raise StanceError(f"model.class_weight must be 'balanced' or null (got {cfg.class_weight!r})")


def _device(cfg: Any) -> None:
    if cfg.device not in ("auto", "cpu", "cuda", "mps"):
        raise StanceError(f"model.device must be auto, cpu, cuda or mps (got {cfg.device!r})")
