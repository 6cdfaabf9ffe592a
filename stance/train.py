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
from stance.evaluation import calibration, classification_metrics, cross_validate, evaluate_predictions
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


def measure_throughput(model: Any, texts: list[str], targets: list[str] | None = None,
                       min_seconds: float = 0.5) -> float:
    """Sentences per second of `predict_proba` on `texts` after a warm-up call."""
    model.predict_proba(texts[:8], None if targets is None else targets[:8])
    done, start = 0, time.perf_counter()
    while True:
        model.predict_proba(texts, targets)
        done += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def _per_group(data: TrainingData, predicted: list[str], rows_by_group: dict[str, list[int]],
               labels: list[str], stance_labels: list[str]) -> list[dict[str, Any]]:
    out = []
    for group, rows in rows_by_group.items():
        m = classification_metrics([data.labels[i] for i in rows], [predicted[i] for i in rows], labels, stance_labels)
        out.append({"group": group, **{k: m[k] for k in ("n", "macro_f1", "f_avg", "accuracy")}})
    return out


def _scored(config: TrainConfig, data: TrainingData, probabilities: np.ndarray, baseline: list[str],
            rows: list[int]) -> dict[str, Any]:
    """Metrics with intervals for the model and the baseline on the given rows."""
    labels, stance_labels = config.data.labels, config.data.stance_labels
    common = dict(labels=labels, stance_labels=stance_labels, n_bootstrap=config.n_bootstrap,
                  confidence=config.confidence, seed=config.seed)
    gold = [data.labels[i] for i in rows]
    predicted = [labels[i] for i in probabilities[rows].argmax(axis=1)]
    result = evaluate_predictions(gold, predicted, **common)
    result["calibration"] = calibration(gold, probabilities[rows], labels)
    result["baseline"] = {"name": "majority", **evaluate_predictions(gold, [baseline[i] for i in rows], **common)}
    return result


def cross_validation(config: TrainConfig, data: TrainingData) -> tuple[dict[str, Any], np.ndarray, None]:
    """Leave-one-group-out cross-validation of the configured model, with a baseline."""
    labels = config.data.labels
    probabilities, baseline, folds = cross_validate(
        lambda fold: create_model(config.model, labels, seed=config.seed),
        data.texts, data.labels, data.groups, labels, seed=config.seed,
        train_fraction=config.train_fraction,
    )
    rows = list(range(len(data.texts)))
    result = _scored(config, data, probabilities, baseline, rows)
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    result["per_group"] = _per_group(data, predicted, {g: list(test) for g, _, test in folds},
                                     labels, config.data.stance_labels)
    column = config.data.group_column
    result["protocol"] = (f"leave-one-{column}-out cross-validation ({len(folds)} folds; "
                          f"no {column} is split between training and test)")
    result["protocol_short"] = f"leave-one-{column}-out CV"
    return result, probabilities, None


def official_splits(config: TrainConfig, data: TrainingData) -> tuple[dict[str, Any], np.ndarray, Any]:
    """Train on `train`, report on `test` (headline) and `val`; the baseline is each target's
    majority training label, as in SemEval-2016."""
    from collections import Counter

    labels = config.data.labels
    split_rows = {s: [i for i, x in enumerate(data.splits) if x == s] for s in ("train", "val", "test")}
    train = split_rows["train"]
    pick = lambda rows, values: None if values is None else [values[i] for i in rows]  # noqa: E731
    model = create_model(config.model, labels, seed=config.seed).fit(
        pick(train, data.texts), pick(train, data.labels), pick(train, data.targets))
    probabilities = np.zeros((len(data.texts), len(labels)))
    scored = split_rows["val"] + split_rows["test"]
    probabilities[scored] = model.predict_proba(pick(scored, data.texts), pick(scored, data.targets))
    majority = {g: Counter(data.labels[i] for i in train if data.groups[i] == g).most_common(1)[0][0]
                for g in dict.fromkeys(data.groups)}
    baseline = [majority[g] for g in data.groups]
    result = _scored(config, data, probabilities, baseline, split_rows["test"])
    val = _scored(config, data, probabilities, baseline, split_rows["val"])
    result["val"] = {k: val[k] for k in ("n", "macro_f1", "f_avg", "accuracy", "intervals")}
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    by_group = {g: [i for i in split_rows["test"] if data.groups[i] == g] for g in dict.fromkeys(data.groups)}
    result["per_group"] = _per_group(data, predicted, by_group, labels, config.data.stance_labels)
    result["protocol"] = ("official splits: trained on train, val scores kept for choosing between systems, reported on test "
                          f"({len(split_rows['test'])} items pooled over {len(by_group)} targets)")
    result["protocol_short"] = "official test split"
    return result, probabilities, model


def run(cfg: Any) -> dict[str, Any]:
    """Evaluate the configured model, then (unless `final_fit=false`) save it.

    Cross-validated data: the saved model is fit on all the data after cross-validation.
    Official splits: the saved model is the one trained on `train` and scored on `test`.
    Returns the evaluation; `macro_f1` and `f_avg` at the top level are the headline.
    """
    config = to_train_config(cfg)
    output_dir = Path(config.output_dir)
    if config.final_fit:
        check_can_write(output_dir, config.overwrite)  # before any work starts
    data = load_training_data(config.data)
    started = time.perf_counter()
    protocol = cross_validation if data.splits is None else official_splits
    result, probabilities, model = protocol(config, data)
    result = {
        "model": config.model.name,
        "data": {"name": config.data.name, "path": data.path, "target": config.data.target,
                 "stance_labels": list(config.data.stance_labels), "fingerprint": data.fingerprint},
        **result,
    }
    result["timing"] = {"evaluation_seconds": time.perf_counter() - started}
    if not config.final_fit:
        return result

    if model is None:
        fit_started = time.perf_counter()
        model = create_model(config.model, config.data.labels, seed=config.seed).fit(
            data.texts, data.labels, data.targets)
        result["timing"]["final_fit_seconds"] = time.perf_counter() - fit_started
    result["timing"]["train_seconds"] = time.perf_counter() - started
    sample = list(range(min(len(data.texts), 1000)))
    result["timing"]["classify_sentences_per_second"] = measure_throughput(
        model, [data.texts[i] for i in sample], None if data.targets is None else [data.targets[i] for i in sample])
    if hasattr(model, "top_features"):
        result["top_features"] = model.top_features(10)
    targets = None if data.targets is None else list(dict.fromkeys(data.targets))
    with atomic_folder(output_dir, config.overwrite) as folder:
        model.save(folder)
        result["size_bytes"] = folder_size(folder)
        manifest = build_manifest(
            kind=config.model.name, labels=config.data.labels, stance_labels=config.data.stance_labels,
            target=config.data.target, config=config_as_dict(config), data_fingerprint=data.fingerprint,
            metrics={k: result[k] for k in ("macro_f1", "f_avg", "accuracy", "n", "protocol", "intervals")}
            | {"baseline": {k: result["baseline"][k] for k in ("macro_f1", "f_avg", "accuracy")}},
            targets=targets,
        )
        from stance.models.onnx import manifest_entry

        exported = manifest_entry(folder)  # the torch classes' save writes it (stance.models.onnx)
        if exported:
            manifest["onnx"] = exported
        write_manifest(folder, manifest)
        scored = [i for i in range(len(data.texts)) if data.splits is None or data.splits[i] == "test"]
        test = data.subset(scored)
        write_reports(folder, result, test.texts, test.labels, probabilities[scored], test.groups)
    result["output_dir"] = str(output_dir)
    return result


__all__ = ["run", "to_train_config", "cross_validation", "official_splits", "resolve_path"]
