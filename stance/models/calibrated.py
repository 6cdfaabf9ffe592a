"""Calibrated probabilities for any model kind (`model.calibration=temperature|sigmoid|isotonic`).

The calibrator is fitted on out-of-fold probabilities from an inner cross-validation of the
training data only, so it never sees the evaluation folds; then the model is fitted on all
the training data. Parameters are saved as JSON: nothing is pickled.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from stance.errors import StanceError
from stance.models.base import StanceClassifier

CALIBRATION = "calibration.json"
INNER = "uncalibrated"
INNER_FOLDS = 3


def _normalise(p: np.ndarray) -> np.ndarray:
    total = p.sum(axis=1, keepdims=True)
    uniform = np.full_like(p, 1 / p.shape[1])
    return np.where(total > 0, p / np.where(total > 0, total, 1), uniform)


def fit_calibrator(method: str, probabilities: np.ndarray, codes: np.ndarray) -> dict[str, Any]:
    """Parameters of a calibration map from held-out probabilities and true label codes."""
    p = np.clip(probabilities, 1e-9, 1)
    if method == "temperature":
        from scipy.optimize import minimize_scalar

        logits = np.log(p)

        def nll(log_t: float) -> float:
            z = logits / np.exp(log_t)
            z = z - z.max(axis=1, keepdims=True)
            return float(-(z[np.arange(len(codes)), codes] - np.log(np.exp(z).sum(axis=1))).mean())

        return {"temperature": float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))}
    if method == "sigmoid":
        from sklearn.linear_model import LogisticRegression

        params = []
        for k in range(p.shape[1]):
            target = (codes == k).astype(int)
            x = np.log(p[:, k] / np.clip(1 - p[:, k], 1e-9, 1))[:, None]
            if target.min() == target.max():
                params.append([0.0, float(np.log(max(target.mean(), 1e-6) / max(1 - target.mean(), 1e-6)))])
                continue
            fitted = LogisticRegression(C=1e4).fit(x, target)
            params.append([float(fitted.coef_[0, 0]), float(fitted.intercept_[0])])
        return {"sigmoid": params}
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        maps = []
        for k in range(p.shape[1]):
            fitted = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(p[:, k], (codes == k).astype(float))
            maps.append({"x": fitted.X_thresholds_.tolist(), "y": fitted.y_thresholds_.tolist()})
        return {"isotonic": maps}
    raise StanceError(f"unknown calibration {method!r}")


def apply_calibrator(params: dict[str, Any], probabilities: np.ndarray) -> np.ndarray:
    p = np.clip(probabilities, 1e-9, 1)
    if "temperature" in params:
        z = np.log(p) / params["temperature"]
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)
    if "sigmoid" in params:
        x = np.log(p / np.clip(1 - p, 1e-9, 1))
        a, b = np.array(params["sigmoid"]).T
        return _normalise(1 / (1 + np.exp(-(a * x + b))))
    if "isotonic" in params:
        columns = [np.interp(p[:, k], m["x"], m["y"]) for k, m in enumerate(params["isotonic"])]
        return _normalise(np.stack(columns, axis=1))
    raise StanceError("unknown calibration parameters")


class CalibratedClassifier(StanceClassifier):
    kind = "calibrated"

    def __init__(self, config: Any, labels: Sequence[str], seed: int = 0):
        super().__init__(config, labels, seed)
        self.inner_config = dataclasses.replace(config, calibration="none")
        self.model: StanceClassifier | None = None
        self.params: dict[str, Any] = {}

    def fit(self, texts, labels, targets=None) -> "CalibratedClassifier":
        from sklearn.model_selection import KFold, StratifiedKFold

        from stance.models import create_model

        texts, labels = list(texts), list(labels)
        codes = np.array([self.labels.index(x) for x in labels])
        smallest = np.bincount(codes).min() if len(set(codes)) > 1 else 0
        splitter = (StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=self.seed) if smallest >= INNER_FOLDS
                    else KFold(INNER_FOLDS, shuffle=True, random_state=self.seed))
        held_out = np.zeros((len(texts), len(self.labels)))
        pick = lambda rows, values: None if values is None else [values[i] for i in rows]  # noqa: E731
        for train, test in splitter.split(texts, codes):
            inner = create_model(self.inner_config, self.labels, seed=self.seed)
            inner.fit(pick(train, texts), pick(train, labels), pick(train, targets))
            held_out[test] = inner.predict_proba(pick(test, texts), pick(test, targets))
        self.params = fit_calibrator(self.config.calibration, held_out, codes)
        self.model = create_model(self.inner_config, self.labels, seed=self.seed).fit(texts, labels, targets)
        return self

    def predict_proba(self, texts, targets=None) -> np.ndarray:
        self.check_fitted("model")
        return apply_calibrator(self.params, self.model.predict_proba(texts, targets))

    def save(self, folder: Path) -> None:
        self.check_fitted("model")
        inner = Path(folder) / INNER
        inner.mkdir()
        self.model.save(inner)
        (Path(folder) / CALIBRATION).write_text(json.dumps(self.params), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, config: Any, labels: Sequence[str]) -> "CalibratedClassifier":
        from stance.models import load_weights

        model = cls(config, labels)
        try:
            model.params = json.loads((Path(folder) / CALIBRATION).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StanceError(f"{folder}: missing {CALIBRATION}") from None
        except ValueError as err:
            raise StanceError(f"{folder}/{CALIBRATION}: corrupt ({err})") from None
        model.model = load_weights(Path(folder) / INNER, model.inner_config, labels)
        return model
