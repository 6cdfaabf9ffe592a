"""stance: train, evaluate and serve classifiers of a sentence's stance toward a target.

The public API (names are imported on first use, so `import stance` stays cheap):

- `train(cfg)` evaluates and saves a model from a config (`TrainConfig` or a composed Hydra
  config) and returns a `TrainingResult`;
- `load_model(folder)` returns `(classifier, manifest)` from a saved model folder;
- `StanceClassifier` is the interface every kind implements (fit, predict_proba, save, load);
- `create_model(config, labels)` builds an untrained classifier of any registered kind;
- `TrainConfig`, `DataConfig`, `TfidfConfig`, `TransformerConfig`, `SetFitConfig`,
  `EnsembleConfig` are the config types; `compose(*overrides)` builds one as scripts/train.py does;
- `Evaluation`, `TrainingResult` are the typed results.
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "train": "stance.training",
    "load_model": "stance.models",
    "create_model": "stance.models",
    "StanceClassifier": "stance.models.base",
    "TrainConfig": "stance.config",
    "DataConfig": "stance.config",
    "TfidfConfig": "stance.config",
    "TransformerConfig": "stance.config",
    "SetFitConfig": "stance.config",
    "EnsembleConfig": "stance.config",
    "compose": "stance.composition",
    "Evaluation": "stance.evaluation.results",
    "TrainingResult": "stance.evaluation.results",
    "StanceError": "stance.errors",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'stance' has no attribute {name!r}")
