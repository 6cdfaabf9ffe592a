"""Training: evaluate honestly, fit on all the data, save a self-describing model folder.

`train(cfg)` is what `scripts/train.py` calls; it takes a Hydra/OmegaConf config or a
`TrainConfig` and returns a `TrainingResult`, so it is testable without Hydra.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.config import TrainConfig, search_candidates
from stance.data.formats import TrainingData, load_training_data
from stance.errors import StanceError
from stance.evaluation.protocols import cross_validation, official_splits, progress
from stance.evaluation.results import TrainingResult
from stance.model_folder import (
    atomic_folder,
    build_manifest,
    check_can_write,
    folder_size,
    write_manifest,
    write_training_texts,
)
from stance.models import create_model
from stance.models.base import StanceClassifier
from stance.reports.model_report import write_reports


def to_train_config(cfg: Any) -> TrainConfig:
    """A checked `TrainConfig` from a Hydra config (or a `TrainConfig` itself)."""
    if not isinstance(cfg, TrainConfig):
        from omegaconf import OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        _reject_unknown_keys(cfg)
        try:
            cfg = OmegaConf.to_object(cfg)
        except OmegaConfBaseException as err:
            raise StanceError(f"invalid config: {err}".splitlines()[0]) from None
    if not dataclasses.is_dataclass(cfg.model):
        raise StanceError("config has no model: pick one with model=tfidf|transformer|setfit|ensemble")
    if cfg.data.per_target and hasattr(cfg.model, "per_target"):
        cfg.model = dataclasses.replace(cfg.model, per_target=True)
    cfg.check()
    return cfg


def _reject_unknown_keys(cfg: Any) -> None:
    """`+key=value` force-adds keys that the schema lacks; refuse them instead of ignoring them."""
    from omegaconf import DictConfig, OmegaConf

    def walk(node: Any, prefix: str) -> None:
        schema = OmegaConf.get_type(node)
        if dataclasses.is_dataclass(schema):
            known = {f.name for f in dataclasses.fields(schema)}
            unknown = sorted(set(node.keys()) - known)
            if unknown:
                raise StanceError(f"unknown config key {prefix}{unknown[0]} (known: {', '.join(sorted(known))})")
        for key in node:
            child = node._get_node(key)
            if isinstance(child, DictConfig) and not child._is_missing() and not child._is_none():
                walk(child, f"{prefix}{key}.")

    walk(cfg, "")


def measure_throughput(
    model: StanceClassifier, texts: Sequence[str], targets: Sequence[str] | None = None, min_seconds: float = 0.5
) -> float:
    """Sentences per second of `predict_proba` on `texts` after a warm-up call."""
    model.predict_proba(texts[:8], None if targets is None else targets[:8])
    done, start = 0, time.perf_counter()
    while True:
        model.predict_proba(texts, targets)
        done += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def train(cfg: Any, overrides: Sequence[str] = ()) -> TrainingResult:
    """Evaluate the configured model, then (unless `final_fit=false`) fit it on all the data and save it.

    Cross-validated data: the saved model is fitted on all the data (evaluated + train-only) after
    cross-validation. Official splits: scores come from a model trained on `train`; the saved model is
    refitted on train + val.
    """
    config = to_train_config(cfg)
    output_dir = Path(config.output_dir)
    if config.final_fit:
        check_can_write(output_dir, config.overwrite)  # before any work starts
    data = load_training_data(config.data, seed=config.seed)
    started = time.perf_counter()
    if data.evaluated.splits is None and search_candidates(config.model, config.data.search):
        raise StanceError(
            f"data.search needs data with a val split, and {data.evaluated.path} is cross-validated; "
            f"compare settings with a sweep instead, e.g. python scripts/train.py -m model.C=1,10,100"
        )
    protocol = cross_validation if data.evaluated.splits is None else official_splits
    scored = protocol(config, data)
    if scored.model_config is not None:  # settings chosen on val: the saved model and manifest use them
        config = dataclasses.replace(config, model=scored.model_config)
    result = TrainingResult(
        model=config.model.name,
        data={
            "name": config.data.name,
            "path": data.evaluated.path,
            "target": config.data.target,
            "stance_labels": list(config.data.stance_labels),
            "fingerprint": data.fingerprint,
            "sources": data.describe(),
        },
        protocol=scored.protocol,
        protocol_short=scored.protocol_short,
        scores=scored.scores,
        baseline=scored.baseline,
        per_group=scored.per_group,
        val=scored.val,
        search=scored.search,
        timing={"evaluation_seconds": time.perf_counter() - started},
        overrides=list(overrides),
    )
    if not config.final_fit:
        return result
    n_final = len(scored.final_rows) + (len(data.train_only) if data.train_only else 0)
    progress(f"final fit on {n_final} sentences")
    fit_started = time.perf_counter()
    model = create_model(config.model, config.data.labels, seed=config.seed).fit(
        *data.training_rows(scored.final_rows)
    )
    result.timing["final_fit_seconds"] = time.perf_counter() - fit_started
    result.timing["train_seconds"] = time.perf_counter() - started
    _save(config, data, model, scored, result, output_dir)
    return result


def _save(
    config: TrainConfig,
    data: TrainingData,
    model: StanceClassifier,
    scored: Any,
    result: TrainingResult,
    output_dir: Path,
) -> None:
    corpus = data.evaluated
    sample = list(range(min(len(corpus), 1000)))
    result.timing["classify_sentences_per_second"] = measure_throughput(
        model,
        [corpus.texts[i] for i in sample],
        None if corpus.targets is None else [corpus.targets[i] for i in sample],
    )
    if hasattr(model, "top_features"):
        result.top_features = model.top_features(10)
    targets = None if corpus.targets is None else list(dict.fromkeys(corpus.targets))
    with atomic_folder(output_dir, config.overwrite) as folder:
        model.save(folder)
        write_training_texts(folder, data.training_rows(scored.final_rows)[0])
        result.size_bytes = folder_size(folder)
        result.output_dir = str(output_dir)
        s = result.scores
        manifest = build_manifest(
            kind=config.model.name,
            labels=config.data.labels,
            stance_labels=config.data.stance_labels,
            target=config.data.target,
            config=dataclasses.asdict(config),
            data_fingerprint=data.fingerprint,
            metrics={
                "macro_f1": s.macro_f1,
                "f_avg": s.f_avg,
                "accuracy": s.accuracy,
                "n": s.n,
                "protocol": result.protocol,
                "intervals": s.intervals,
                "baseline": {
                    "macro_f1": result.baseline.macro_f1,
                    "f_avg": result.baseline.f_avg,
                    "accuracy": result.baseline.accuracy,
                },
            },
            targets=targets,
            data_sources=data.describe(),
        )
        from stance.models.onnx import manifest_entry

        exported = manifest_entry(folder)  # the transformer and SetFit classes' save writes it
        if exported:
            manifest["onnx"] = exported
        write_manifest(folder, manifest)
        test = corpus.subset(scored.scored_rows)
        write_reports(folder, result, test.texts, test.labels, scored.probabilities[scored.scored_rows], test.groups)
