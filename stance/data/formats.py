"""Load the data set named by a data config: texts, labels, targets, and how to evaluate.

Two formats: `csv` (labeled sentences, evaluated by leave-one-group-out cross-validation)
and `tweeteval` (the TweetEval stance files, evaluated on their official splits).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from stance.config import DataConfig
from stance.data import decode_text, load_dataset, split_lines
from stance.errors import StanceError
from stance.paths import resolve_path

SPLITS = ("train", "val", "test")


@dataclass
class TrainingData:
    path: str
    texts: list[str]
    labels: list[str]
    groups: list[str]
    fingerprint: str
    # Per-row target names when the data has several targets (models then see them).
    targets: list[str] | None = None
    # Per-row official split ("train"/"val"/"test"), or None for cross-validation.
    splits: list[str] | None = None

    def subset(self, indices) -> "TrainingData":
        pick = lambda values: None if values is None else [values[i] for i in indices]  # noqa: E731
        return TrainingData(self.path, pick(self.texts), pick(self.labels), pick(self.groups),
                            self.fingerprint, pick(self.targets), pick(self.splits))


def load_training_data(config: DataConfig) -> TrainingData:
    loaders = {"csv": _load_csv, "tweeteval": _load_tweeteval}
    if config.format not in loaders:
        raise StanceError(f"data.format {config.format!r} is not supported (use one of: {', '.join(loaders)})")
    return loaders[config.format](config)


def _load_csv(config: DataConfig) -> TrainingData:
    path = resolve_path(config.path)
    dataset = load_dataset(path, config.labels, required=("text", "label", config.group_column))
    groups = dataset[config.group_column]
    if len(set(groups)) < 2:
        raise StanceError(f"{path}: cross-validation needs at least two distinct {config.group_column!r} values")
    # A `target` column with several values makes the data multi-target: models see the target.
    targets = dataset["target"] if "target" in dataset.column_names else None
    if targets is not None and len(set(targets)) < 2:
        targets = None
    return TrainingData(
        path=str(config.path), texts=dataset["text"], labels=dataset["label"],
        groups=groups, fingerprint=dataset.info.description, targets=targets,
    )


def clean_text(text: str, strip: list[str]) -> str:
    for token in strip:
        text = re.sub(rf"(?<!\S){re.escape(token)}(?!\S)", " ", text)
    return " ".join(text.split())


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise StanceError(f"{path}: no such file (is data.path the TweetEval stance folder?)")
    lines = split_lines(decode_text(path.read_bytes(), str(path)))
    return lines[:-1] if lines and lines[-1] == "" else lines


def _load_tweeteval(config: DataConfig) -> TrainingData:
    root = resolve_path(config.path)
    if not root.is_dir():
        raise StanceError(f"{root}: no such folder; set data.path to the TweetEval stance folder "
                          "(see the README for where to get it)")
    if not config.targets:
        raise StanceError("data.targets is empty: name the target folders to read")
    digest = hashlib.sha256()
    texts, labels, groups, targets, splits = [], [], [], [], []
    for folder in config.targets:
        name = config.target_names.get(folder, folder)
        for split in SPLITS:
            text_path, label_path = root / folder / f"{split}_text.txt", root / folder / f"{split}_labels.txt"
            tweets, ids = _read_lines(text_path), _read_lines(label_path)
            if len(tweets) != len(ids):
                raise StanceError(f"{text_path}: {len(tweets)} lines but {label_path.name} has {len(ids)}")
            for number, (tweet, label_id) in enumerate(zip(tweets, ids), start=1):
                label = config.label_ids.get(label_id.strip())
                if label not in config.labels:
                    raise StanceError(f"{label_path}, line {number}: unknown label id {label_id.strip()!r}")
                texts.append(clean_text(tweet, config.strip))
                labels.append(label)
                groups.append(folder)
                targets.append(name)
                splits.append(split)
            digest.update(text_path.read_bytes() + label_path.read_bytes())
    return TrainingData(path=str(config.path), texts=texts, labels=labels, groups=groups,
                        fingerprint="sha256:" + digest.hexdigest(), targets=targets, splits=splits)
