"""Load the data set named by a data config into texts, labels and evaluation groups."""

from __future__ import annotations

from dataclasses import dataclass

from stance.config import DataConfig
from stance.data import SEED_COLUMNS, load_dataset
from stance.errors import StanceError
from stance.paths import resolve_path


@dataclass
class TrainingData:
    path: str
    texts: list[str]
    labels: list[str]
    groups: list[str]
    fingerprint: str


def load_training_data(config: DataConfig) -> TrainingData:
    if config.format != "csv":
        raise StanceError(f"data.format {config.format!r} is not supported (use 'csv')")
    path = resolve_path(config.path)
    required = list(dict.fromkeys([*SEED_COLUMNS, config.group_column]))
    dataset = load_dataset(path, config.labels, required=required)
    groups = dataset[config.group_column]
    if len(set(groups)) < 2:
        raise StanceError(f"{path}: cross-validation needs at least two distinct {config.group_column!r} values")
    return TrainingData(
        path=str(config.path), texts=dataset["text"], labels=dataset["label"],
        groups=groups, fingerprint=dataset.info.description,
    )
