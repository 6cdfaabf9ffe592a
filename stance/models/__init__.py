"""The one place that maps a model kind to its implementation.

Classes are imported on demand, so loading a TF-IDF model never imports torch.
"""

from __future__ import annotations

import dataclasses
from importlib import import_module
from pathlib import Path
from typing import Any, Sequence

from stance.errors import StanceError
from stance.models.base import StanceClassifier

REGISTRY: dict[str, str] = {
    "tfidf": "stance.models.tfidf:TfidfClassifier",
    "transformer": "stance.models.transformer:TransformerClassifier",
    "setfit": "stance.models.setfit:SetFitClassifier",
    "ensemble": "stance.models.ensemble:EnsembleClassifier",
}
PER_TARGET = "stance.models.per_target:PerTargetClassifier"
CALIBRATED = "stance.models.calibrated:CalibratedClassifier"


def _import(path: str) -> type[StanceClassifier]:
    module_name, class_name = path.split(":")
    return getattr(import_module(module_name), class_name)


def model_class(config: Any) -> type[StanceClassifier]:
    """The class for a model config: its `name` picks the kind, `per_target` wraps it."""
    if config.name not in REGISTRY:
        raise StanceError(f"unknown model kind {config.name!r} (known: {', '.join(REGISTRY)})")
    if getattr(config, "calibration", "none") != "none":
        return _import(CALIBRATED)  # wraps the rest, per-target models included
    if getattr(config, "per_target", False) and config.name != "ensemble":
        return _import(PER_TARGET)
    return _import(REGISTRY[config.name])


def create_model(config: Any, labels: Sequence[str], seed: int = 0) -> StanceClassifier:
    """A fresh, untrained classifier for a model config."""
    return model_class(config)(config, labels, seed=seed)


def load_weights(folder: Path, config: Any, labels: Sequence[str]) -> StanceClassifier:
    """Rebuild a trained classifier from the weights in `folder`.

    A transformer or SetFit folder with an ONNX export runs on onnxruntime, and its torch class
    (whose module imports torch) is never imported; wrappers load members through here too.
    """
    from stance.models.onnx import load_runtime

    runtime = load_runtime(folder, config, labels)
    if runtime is not None:
        return runtime
    return model_class(config).load(Path(folder), config, labels)


def load_model(folder: str | Path) -> tuple[StanceClassifier, dict[str, Any]]:
    """Load a saved model folder: (classifier, manifest). Nothing is unpickled."""
    from stance.config import model_config_from_dict
    from stance.model_folder import read_manifest

    folder = Path(folder)
    manifest = read_manifest(folder)
    model_settings = manifest.get("config", {}).get("model")
    if not isinstance(model_settings, dict):
        raise StanceError(f"{folder}: manifest has no model config")
    config = model_config_from_dict({**model_settings, "name": manifest["kind"]})
    if hasattr(config, "device"):
        # Where it was trained is no order for where it runs: CUDA when present, else CPU.
        config = dataclasses.replace(config, device="auto")
    return load_weights(folder, config, manifest["labels"]), manifest
