"""Training: evaluate honestly, fit on all the data, save a self-describing model folder.

`run(cfg)` is what `scripts/train.py` calls; it takes a Hydra/OmegaConf config or a
`TrainConfig` and returns the headline metrics, so it is testable without Hydra.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from stance.config import TrainConfig
from stance.errors import StanceError
from stance.evaluation import classification_metrics, cross_validate, evaluate_predictions
from stance.manifest import build_manifest, write_manifest
from stance.models import create_model
from stance.paths import atomic_folder, check_can_write, folder_size, resolve_path
from stance.reports import write_reports
from stance.training_data import TrainingData, load_training_data


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
    if dataclasses.is_dataclass(cfg.model) is False:
        raise StanceError("config has no model: pick one with model=tfidf|transformer|setfit")
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
        for key in node.keys():
            child = node._get_node(key)
            if isinstance(child, DictConfig) and not child._is_missing() and not child._is_none():
                walk(child, f"{prefix}{key}.")

    walk(cfg, "")


def config_as_dict(config: TrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def measure_throughput(model: Any, texts: list[str], min_seconds: float = 0.5) -> float:
    """Sentences per second of `predict_proba` on `texts` after a warm-up call."""
    model.predict_proba(texts[:8])
    done, start = 0, time.perf_counter()
    while True:
        model.predict_proba(texts)
        done += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def evaluate_model(config: TrainConfig, data: TrainingData) -> tuple[dict[str, Any], np.ndarray]:
    """Leave-one-group-out cross-validation of the configured model, with a baseline."""
    labels, stance_labels = config.data.labels, config.data.stance_labels
    probabilities, baseline, folds = cross_validate(
        lambda fold: create_model(config.model, labels, seed=config.seed),
        data.texts, data.labels, data.groups, labels, seed=config.seed,
        train_fraction=config.train_fraction,
    )
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    common = dict(labels=labels, stance_labels=stance_labels, n_bootstrap=config.n_bootstrap,
                  confidence=config.confidence, seed=config.seed)
    result = evaluate_predictions(data.labels, predicted, **common)
    result["baseline"] = {"name": "majority", **evaluate_predictions(data.labels, baseline, **common)}
    result["per_fold"] = []
    for group, _, test_index in folds:
        fold_metrics = classification_metrics(
            [data.labels[i] for i in test_index], [predicted[i] for i in test_index], labels, stance_labels
        )
        result["per_fold"].append({"group": group, **{k: fold_metrics[k] for k in ("n", "macro_f1", "f_avg", "accuracy")}})
    result["protocol"] = (
        f"leave-one-{config.data.group_column}-out cross-validation ({len(folds)} folds; "
        f"no {config.data.group_column} is split between training and test)"
    )
    result["protocol_short"] = f"leave-one-{config.data.group_column}-out CV"
    return result, probabilities


def run(cfg: Any) -> dict[str, Any]:
    """Evaluate the configured model, then (unless `final_fit=false`) fit on all data and save.

    Returns the evaluation result; `macro_f1` and `f_avg` at the top level are the headline.
    """
    config = to_train_config(cfg)
    output_dir = Path(config.output_dir)
    if config.final_fit:
        check_can_write(output_dir, config.overwrite)  # before any work starts
    data = load_training_data(config.data)
    started = time.perf_counter()
    result, probabilities = evaluate_model(config, data)
    evaluation_seconds = time.perf_counter() - started
    result = {
        "model": config.model.name,
        "data": {"name": config.data.name, "path": data.path, "target": config.data.target,
                 "stance_labels": list(config.data.stance_labels), "fingerprint": data.fingerprint},
        **result,
    }
    result["timing"] = {"evaluation_seconds": evaluation_seconds}
    if not config.final_fit:
        return result

    fit_started = time.perf_counter()
    model = create_model(config.model, config.data.labels, seed=config.seed).fit(data.texts, data.labels)
    result["timing"]["final_fit_seconds"] = time.perf_counter() - fit_started
    result["timing"]["train_seconds"] = time.perf_counter() - started
    result["timing"]["classify_sentences_per_second"] = measure_throughput(model, data.texts)
    if hasattr(model, "top_features"):
        result["top_features"] = model.top_features(10)
    with atomic_folder(output_dir, config.overwrite) as folder:
        model.save(folder)
        result["size_bytes"] = folder_size(folder)
        manifest = build_manifest(
            kind=config.model.name, labels=config.data.labels, stance_labels=config.data.stance_labels,
            target=config.data.target, config=config_as_dict(config), data_fingerprint=data.fingerprint,
            metrics={k: result[k] for k in ("macro_f1", "f_avg", "accuracy", "n", "protocol", "intervals")}
            | {"baseline": {k: result["baseline"][k] for k in ("macro_f1", "f_avg", "accuracy")}},
        )
        write_manifest(folder, manifest)
        write_reports(folder, result, data.texts, data.labels, probabilities, data.groups)
    result["output_dir"] = str(output_dir)
    return result


__all__ = ["run", "to_train_config", "evaluate_model", "resolve_path"]
