"""Training data by format name, and the sources a data config combines.

A data config names one *evaluated* source (`path`, read by its `format`): its sentences make
the cross-validation folds (or carry official splits) and are the only ones ever scored. It may
also list *train-only* sources (`train_only`, labeled CSV files): they join every training fold
and the final fit, and are never scored. Formats are registered by name, each with its own
options (`data.options`), checked when the data is read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stance.config import DataConfig
from stance.data.io import decode_text, resolve_path, split_lines
from stance.data.labeled import load_labeled
from stance.errors import StanceError

SPLITS = ("train", "val", "test")
TRAIN_ONLY_GROUP = "(train-only)"


@dataclass
class Corpus:
    """Labeled sentences, column-wise, as training and evaluation see them."""

    path: str
    texts: list[str]
    labels: list[str]
    groups: list[str]
    fingerprint: str
    # Per-row target names when the data has several targets (models then see them).
    targets: list[str] | None = None
    # Per-row official split ("train"/"val"/"test"), or None for cross-validation.
    splits: list[str] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Sequence[int]) -> Corpus:
        pick = lambda values: None if values is None else [values[i] for i in indices]
        return Corpus(
            self.path,
            pick(self.texts),
            pick(self.labels),
            pick(self.groups),
            self.fingerprint,
            pick(self.targets),
            pick(self.splits),
        )


@dataclass
class TrainingData:
    """The evaluated corpus, plus train-only sentences that join every training set."""

    evaluated: Corpus
    train_only: Corpus | None = None

    @property
    def fingerprint(self) -> str:
        if self.train_only is None:
            return self.evaluated.fingerprint
        joined = f"{self.evaluated.fingerprint}+{self.train_only.fingerprint}"
        return "sha256:" + hashlib.sha256(joined.encode()).hexdigest()

    def training_rows(self, rows: Sequence[int]) -> tuple[list[str], list[str], list[str] | None]:
        """Texts, labels and targets of the given evaluated rows plus every train-only row."""
        texts = [self.evaluated.texts[i] for i in rows]
        labels = [self.evaluated.labels[i] for i in rows]
        targets = None if self.evaluated.targets is None else [self.evaluated.targets[i] for i in rows]
        extra = self.train_only
        if extra is not None and len(extra):
            texts += extra.texts
            labels += extra.labels
            if targets is not None:
                targets += extra.targets
        return texts, labels, targets

    def describe(self) -> dict[str, Any]:
        """What was trained on, for reports and the manifest."""
        described = {"evaluated": {"path": self.evaluated.path, "n": len(self.evaluated)}}
        if self.train_only is not None:
            described["train_only"] = {"path": self.train_only.path, "n": len(self.train_only)}
        return described


# ---------------------------------------------------------------- formats


@dataclass
class CsvOptions:
    """The csv format has no options of its own: `text`, `label` and the group column."""


@dataclass
class TweetEvalOptions:
    targets: list[str] = field(default_factory=list)  # the target folders to read
    target_names: dict[str, str] = field(default_factory=dict)  # readable name put before each text
    label_ids: dict[str, str] = field(default_factory=dict)  # label id in the files -> label name
    strip: list[str] = field(default_factory=list)  # tokens removed from every text ('#SemST')


def _read_csv(config: DataConfig, options: CsvOptions) -> Corpus:
    path = resolve_path(config.path)
    data = load_labeled(path, config.labels, required=("text", "label", config.group_column), unique_ids=True)
    groups = data.columns[config.group_column]
    if len(set(groups)) < 2:
        raise StanceError(f"{path}: cross-validation needs at least two distinct {config.group_column!r} values")
    # A `target` column with several values makes the data multi-target: models see the target.
    targets = data.columns.get("target")
    if targets is not None and len(set(targets)) < 2:
        targets = None
    return Corpus(
        path=str(config.path),
        texts=data.texts,
        labels=data.labels,
        groups=groups,
        fingerprint=data.fingerprint,
        targets=targets,
    )


def clean_text(text: str, strip: Sequence[str]) -> str:
    for token in strip:
        text = re.sub(rf"(?<!\S){re.escape(token)}(?!\S)", " ", text)
    return " ".join(text.split())


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise StanceError(f"{path}: no such file (is data.path the TweetEval stance folder?)")
    lines = split_lines(decode_text(path.read_bytes(), str(path)))
    return lines[:-1] if lines and lines[-1] == "" else lines


def _read_tweeteval(config: DataConfig, options: TweetEvalOptions) -> Corpus:
    root = resolve_path(config.path)
    if not root.is_dir():
        raise StanceError(
            f"{root}: no such folder; set data.path to the TweetEval stance folder "
            "(see the README for where to get it)"
        )
    if not options.targets:
        raise StanceError("data.options.targets is empty: name the target folders to read")
    digest = hashlib.sha256()
    texts, labels, groups, targets, splits = [], [], [], [], []
    for folder in options.targets:
        name = options.target_names.get(folder, folder)
        for split in SPLITS:
            text_path, label_path = root / folder / f"{split}_text.txt", root / folder / f"{split}_labels.txt"
            tweets, ids = _read_lines(text_path), _read_lines(label_path)
            if len(tweets) != len(ids):
                raise StanceError(f"{text_path}: {len(tweets)} lines but {label_path.name} has {len(ids)}")
            for number, (tweet, label_id) in enumerate(zip(tweets, ids), start=1):
                label = options.label_ids.get(label_id.strip())
                if label not in config.labels:
                    raise StanceError(f"{label_path}, line {number}: unknown label id {label_id.strip()!r}")
                texts.append(clean_text(tweet, options.strip))
                labels.append(label)
                groups.append(folder)
                targets.append(name)
                splits.append(split)
            digest.update(text_path.read_bytes() + label_path.read_bytes())
    return Corpus(
        path=str(config.path),
        texts=texts,
        labels=labels,
        groups=groups,
        fingerprint="sha256:" + digest.hexdigest(),
        targets=targets,
        splits=splits,
    )


# name -> (options schema, reader)
FORMATS: dict[str, tuple[type, Callable[[DataConfig, Any], Corpus]]] = {
    "csv": (CsvOptions, _read_csv),
    "tweeteval": (TweetEvalOptions, _read_tweeteval),
}


def _options(config: DataConfig) -> Any:
    schema, _ = FORMATS[config.format]
    known = {f.name for f in dataclasses.fields(schema)}
    given = dict(config.options or {})
    unknown = sorted(set(given) - known)
    if unknown:
        shown = ", ".join(sorted(known)) or "none"
        raise StanceError(
            f"data.options.{unknown[0]} is not an option of the {config.format} format (options: {shown})"
        )
    return schema(**given)


def read_evaluated(config: DataConfig) -> Corpus:
    if config.format not in FORMATS:
        raise StanceError(f"data.format {config.format!r} is not supported (use one of: {', '.join(FORMATS)})")
    _, reader = FORMATS[config.format]
    return reader(config, _options(config))


def read_train_only(config: DataConfig, evaluated: Corpus, seed: int) -> Corpus | None:
    """The train-only CSV files as one corpus (a `train_only_fraction` share of them)."""
    if not config.train_only:
        return None
    parts = []
    for path in config.train_only:
        resolved = resolve_path(path)
        data = load_labeled(resolved, config.labels, required=("text", "label"))
        targets = data.columns.get("target")
        if evaluated.targets is not None:
            if targets is None:
                raise StanceError(
                    f"{path}: the evaluated data has several targets, so train-only rows need a 'target' column"
                )
            unknown = sorted(set(targets) - set(evaluated.targets))
            if unknown:
                raise StanceError(f"{path}: target {unknown[0]!r} is not among the evaluated data's targets")
        parts.append((str(path), data, targets if evaluated.targets is not None else None))
    texts = [t for _, d, _ in parts for t in d.texts]
    labels = [x for _, d, _ in parts for x in d.labels]
    targets = None if evaluated.targets is None else [t for _, _, ts in parts for t in ts]
    overlap = set(texts) & set(evaluated.texts)
    if overlap:
        raise StanceError(
            f"train-only data repeats {len(overlap)} evaluated sentence(s), e.g. "
            f"{sorted(overlap)[0][:60]!r}: they would leak into the scores"
        )
    digest = hashlib.sha256("".join(d.fingerprint for _, d, _ in parts).encode())
    corpus = Corpus(
        path=", ".join(p for p, _, _ in parts),
        texts=texts,
        labels=labels,
        groups=[TRAIN_ONLY_GROUP] * len(texts),
        fingerprint="sha256:" + digest.hexdigest(),
        targets=targets,
    )
    if config.train_only_fraction < 1:
        rng = np.random.default_rng(seed)
        keep = math.ceil(config.train_only_fraction * len(corpus))
        corpus = corpus.subset(sorted(rng.choice(len(corpus), size=keep, replace=False).tolist()))
    return corpus


def load_training_data(config: DataConfig, seed: int = 0) -> TrainingData:
    """The evaluated source and the train-only sources of a data config."""
    evaluated = read_evaluated(config)
    return TrainingData(evaluated=evaluated, train_only=read_train_only(config, evaluated, seed))
