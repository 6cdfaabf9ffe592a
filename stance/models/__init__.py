"""The one place that maps a model kind to its implementation.

Classes are imported on demand, so loading a TF-IDF model never imports torch.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any, Sequence

from stance.errors import StanceError
from stance.models.base import StanceClassifier

REGISTRY: dict[str, str] = {
    "tfidf": "stance.models.tfidf:TfidfClassifier",
    "transformer": "stance.models.transformer:TransformerClassifier",
    "setfit": "stance.models.setfit:SetFitClassifier",
}


def model_class(kind: str) -> type[StanceClassifier]:
    if kind not in REGISTRY:
        raise StanceError(f"unknown model kind {kind!r} (known: {', '.join(REGISTRY)})")
    module_name, class_name = REGISTRY[kind].split(":")
    return getattr(import_module(module_name), class_name)


def create_model(config: Any, labels: Sequence[str], seed: int = 0) -> StanceClassifier:
    """A fresh, untrained classifier for a model config (its `name` picks the kind)."""
    return model_class(config.name)(config, labels, seed=seed)


def load_model(folder: str | Path) -> tuple[StanceClassifier, dict[str, Any]]:
    """Load a saved model folder: (classifier, manifest). Nothing is unpickled."""
    from stance.config import model_config_from_dict
    from stance.manifest import read_manifest

    folder = Path(folder)
    manifest = read_manifest(folder)
    model_settings = manifest.get("config", {}).get("model")
    if not isinstance(model_settings, dict):
        raise StanceError(f"{folder}: manifest has no model config")
    config = model_config_from_dict({**model_settings, "name": manifest["kind"]})
    model = model_class(manifest["kind"]).load(folder, config, manifest["labels"])
    return model, manifest
