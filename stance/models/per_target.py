"""One model per stance target, behind the same interface (enabled by `model.per_target=true`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from stance.errors import StanceError
from stance.models.base import StanceClassifier

INDEX = "per_target.json"
SINGLE = ""  # the one group of single-target data


class PerTargetClassifier(StanceClassifier):
    """Routes each text to the model trained on its target's sentences only."""

    kind = "per_target"

    def __init__(self, config: Any, labels: Sequence[str], seed: int = 0):
        super().__init__(config, labels, seed)
        self.inner_config = dataclasses.replace(config, per_target=False, target_settings={})
        self.models: dict[str, StanceClassifier] = {}

    def config_for(self, target: str) -> Any:
        """The inner model's settings for one target: its own where `target_settings` has them."""
        return dataclasses.replace(self.inner_config, **self.config.target_settings.get(target, {}))

    def fit(self, texts, labels, targets=None) -> "PerTargetClassifier":
        from stance.models import create_model

        keys = [SINGLE] * len(texts) if targets is None else list(targets)
        self.models = {}
        for target in dict.fromkeys(keys):
            rows = [i for i, key in enumerate(keys) if key == target]
            model = create_model(self.config_for(target), self.labels, seed=self.seed)
            self.models[target] = model.fit([texts[i] for i in rows], [labels[i] for i in rows])
        return self

    def predict_proba(self, texts, targets=None) -> np.ndarray:
        self.check_fitted("models")
        keys = [SINGLE] * len(texts) if targets is None else list(targets)
        unknown = sorted(set(keys) - set(self.models))
        if unknown:
            shown = "no target" if unknown == [SINGLE] else f"unknown target {unknown[0]!r}"
            raise StanceError(f"{shown}: this per-target model knows {', '.join(repr(t) for t in self.models)}")
        out = np.zeros((len(texts), len(self.labels)))
        for target, model in self.models.items():
            rows = [i for i, key in enumerate(keys) if key == target]
            if rows:
                out[rows] = model.predict_proba([texts[i] for i in rows])
        return out

    def save(self, folder: Path) -> None:
        self.check_fitted("models")
        folder = Path(folder)
        names = {}
        for number, (target, model) in enumerate(self.models.items()):
            sub = folder / f"target-{number:02d}"
            sub.mkdir()
            model.save(sub)
            names[sub.name] = target
        (folder / INDEX).write_text(json.dumps({"targets": names}, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, config: Any, labels: Sequence[str]) -> "PerTargetClassifier":
        from stance.models import load_weights

        folder = Path(folder)
        try:
            names = json.loads((folder / INDEX).read_text(encoding="utf-8"))["targets"]
        except FileNotFoundError:
            raise StanceError(f"{folder}: missing {INDEX}") from None
        except (ValueError, KeyError, TypeError) as err:
            raise StanceError(f"{folder}/{INDEX}: corrupt ({err})") from None
        model = cls(config, labels)
        model.models = {target: load_weights(folder / sub, model.config_for(target), labels) for sub, target in names.items()}
        return model
